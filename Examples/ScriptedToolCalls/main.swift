// A tool-call conversation scripted on the mock server, run by Sluice on both providers, then
// checked against the server's request journal; and a scripted failure sequence that the retry
// policy rides out.
//
//     swift run ExampleScriptedToolCalls
//
// Always runs against the mock LLM server it starts in-process on 127.0.0.1: the script and the
// journal are the point. It exits with status 1 and a message when the server saw something else
// than expected.
import Foundation
import Sluice
import SluiceMockServer
import Synchronization

let weather = ToolDefinition(
    name: "get_weather",
    description: "Current weather for a city",
    parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]])

/// The program's side of the tool.
func runTool(_ call: ToolCall) throws -> String {
    let city = try call.parsedArguments()["city"]?.stringValue ?? "somewhere"
    return "18 degrees and sunny in \(city)"
}

/// The script: the turn that carries a tool result gets the answer, a turn that asks about the
/// weather gets the `get_weather` call, a "flaky" request fails twice with 503, then succeeds.
func makeScript() throws -> MockScript {
    MockScript(
        rules: [
            MockRule(
                name: "weather-answer",
                match: MockMatch(toolResult: true),
                reply: MockReply(text: "It is 18 degrees and sunny in Paris.", outputTokens: 9)),
            MockRule(
                name: "weather-call",
                match: MockMatch(message: try MockPattern("(?i)weather")),
                reply: MockReply(toolCalls: [
                    MockReply.ToolCall(name: "get_weather", arguments: #"{"city":"Paris"}"#)
                ])),
            MockRule(
                name: "flaky",
                match: MockMatch(path: "/v1/chat/completions", message: try MockPattern("flaky")),
                replies: [MockReply(status: 503, errorMessage: "try later", times: 2), MockReply(text: "ok")]),
        ],
        defaultReply: MockReply(text: "I only know about the weather."))
}

/// Exits with status 1 and `message` on standard error unless `condition` holds.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    guard !condition else { return }
    FileHandle.standardError.write(Data("unexpected: \(message())\n".utf8))
    exit(1)
}

/// The tool loop, at most four turns: the answer and the number of turns.
func toolLoop(_ client: LLMClient, model: String) async throws -> (answer: String, turns: Int) {
    var request = ChatRequest(
        model: model, messages: [.user("What is the weather in Paris?")], tools: [weather], maxOutputTokens: 64)
    var reply = try await client.chat(request)
    var turns = 1
    while !reply.toolCalls.isEmpty && turns < 4 {
        request.messages.append(reply.asMessage)
        for call in reply.toolCalls {
            check(call.name == "get_weather", "tool \(call.name)")
            request.messages.append(.tool(callID: call.id, try runTool(call)))
        }
        reply = try await client.chat(request)
        turns += 1
    }
    return (reply.text, turns)
}

/// Counts the retries of the calls it is attached to.
final class RetryCounter: ClientEventHandler {
    let retries = Mutex(0)
    func handle(_ event: ClientEvent) {
        if event.kind == .retryScheduled { retries.withLock { $0 += 1 } }
    }
}

let providers: [(name: String, key: MockAPIKey, path: String)] = [
    ("openai", MockAPIKey(name: "openai-service", secret: "sk-mock-openai-0123"), "/v1/chat/completions"),
    ("anthropic", MockAPIKey(name: "anthropic-service", secret: "sk-ant-mock-4567"), "/v1/messages"),
]

/// Runs the conversation on both providers, checks the journal, then rides out the scripted 503s.
func run(_ server: MockLLMServer) async throws {
    // The same conversation on both providers.
    for provider in providers {
        let configuration: LLMClient.Configuration =
            provider.name == "openai"
            ? .openAI(apiKey: provider.key.secret, baseURL: server.baseURL + "/v1")
            : .anthropic(apiKey: provider.key.secret, baseURL: server.baseURL)
        let model = provider.name == "openai" ? "gpt-4o-mini" : "claude-test"
        let (answer, turns) = try await withLLMClient(configuration) { try await toolLoop($0, model: model) }
        print("\(provider.name): \(turns) turns, answer: \(answer)")
        check(turns == 2 && answer == "It is 18 degrees and sunny in Paris.", "\(provider.name) answered \(answer)")
    }

    // What the service sent, turn by turn, from the journal.
    let entries = server.requests
    for entry in entries {
        let status = entry.outcome.status.map(String.init) ?? "pending"
        print(
            "  #\(entry.sequence) \(entry.method) \(entry.path) rule: \(entry.rule ?? "none")"
                + " key: \(entry.key ?? "none") status: \(status)")
    }
    let rules = entries.map { $0.rule ?? "none" }
    print("journal: \(entries.count) requests, rules: \(rules.joined(separator: ", "))")
    check(entries.count == 4, "\(entries.count) requests")
    check(rules == ["weather-call", "weather-answer", "weather-call", "weather-answer"], "rules \(rules)")
    for (index, entry) in entries.enumerated() {
        let provider = providers[index / 2]
        check(entry.path == provider.path, "#\(entry.sequence) went to \(entry.path)")
        check(entry.key == provider.key.name, "#\(entry.sequence) authenticated as \(entry.key ?? "nobody")")
        check(entry.outcome.status == 200, "#\(entry.sequence) answered \(entry.outcome.status ?? 0)")
        // The second turn carries the tool's result back, and no entry holds a key's secret.
        if index % 2 == 1 {
            check(entry.body.contains("18 degrees and sunny in Paris"), "#\(entry.sequence) lacks the tool result")
        }
        for key in providers.map(\.key) {
            check(
                !entry.body.contains(key.secret) && !entry.headers.contains { $0.value.contains(key.secret) },
                "#\(entry.sequence) holds a secret")
        }
    }
    print("journal: tool results sent on turn 2, no secret recorded")

    // A scripted failure sequence: 503, 503, then the answer; the retry policy rides it out.
    server.clearRequests()
    var configuration = LLMClient.Configuration.openAI(apiKey: providers[0].key.secret, baseURL: server.baseURL + "/v1")
    configuration.retryPolicy = try RetryPolicy(
        maxAttempts: 4, initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(200))
    let counter = RetryCounter()
    var options = CallOptions()
    options.eventHandlers = [counter]
    let reply = try await withLLMClient(configuration) { client in
        try await client.chat(
            ChatRequest(model: "gpt-4o-mini", messages: [.user("a flaky question")]), options: options)
    }
    let retries = counter.retries.withLock { $0 }
    let statuses = server.requests.map { $0.outcome.status.map(String.init) ?? "pending" }
    print("retried \(retries) times after scripted 503s, answer: \(reply.text)")
    print("flaky journal: statuses \(statuses.joined(separator: ", ")), rule: \(server.requests.last?.rule ?? "none")")
    check(retries == 2 && reply.text == "ok", "\(retries) retries, answer \(reply.text)")
    check(statuses == ["503", "503", "200"], "statuses \(statuses)")
}

var mock = MockServerConfiguration()
mock.keys = providers.map(\.key)
mock.acceptsUnknownKeys = false
mock.script = try makeScript()

try await MockLLMServer.withRunning(mock) { server in
    try await run(server)
}
