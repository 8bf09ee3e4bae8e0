import Foundation
import Testing

@testable import SluiceMockServer

/// The samples of the "Scripting the mock server" article, run: the Swift sample as written, and
/// the article's JSON script read from the article itself.
@Suite("Scripting the mock server article")
struct ScriptingArticleTests {
    @Test("the Swift sample: tool call, then text after the tool result, 503 twice then ok")
    func swiftSample() async throws {
        let script = MockScript(
            rules: [
                MockRule(
                    name: "weather-answer",
                    match: MockMatch(toolResult: true),
                    reply: MockReply(text: "It is 18 degrees and sunny in Paris.")),
                MockRule(
                    name: "weather-call",
                    match: MockMatch(message: try MockPattern("(?i)weather")),
                    reply: MockReply(toolCalls: [
                        MockReply.ToolCall(name: "get_weather", arguments: #"{"city":"Paris"}"#)
                    ])),
                MockRule(
                    name: "flaky",
                    match: MockMatch(message: try MockPattern("flaky")),
                    replies: [MockReply(status: 503, times: 2), MockReply(text: "ok")]),
            ],
            defaultReply: MockReply(text: "I only know about the weather."))
        var configuration = MockServerConfiguration()
        configuration.script = script
        try await MockLLMServer.withRunning(configuration) { server in
            server.addRules([
                MockRule(name: "tenant-b-down", match: MockMatch(key: "tenant-b"), reply: MockReply(status: 503))
            ])
            try await runIntegrationTests(baseURL: server.baseURL)
        }
    }

    @Test("the JSON script of the article loads and answers the same conversation on both providers")
    func jsonSample() async throws {
        var root = URL(fileURLWithPath: #filePath)
        while root.lastPathComponent != "Tests" { root = root.deletingLastPathComponent() }
        let article = try String(
            contentsOf: root.deletingLastPathComponent().appendingPathComponent(
                "Sources/Sluice/Sluice.docc/ScriptingTheMockServer.md"),
            encoding: .utf8)
        let json = try #require(
            article.components(separatedBy: "```json\n").dropFirst().first?
                .components(separatedBy: "```").first)
        var configuration = MockServerConfiguration()
        configuration.script = try MockScript(json: json)
        try await MockLLMServer.withRunning(configuration) { server in
            try await runIntegrationTests(baseURL: server.baseURL)
            let anthropicCall = try await RawHTTPClient.messages(
                port: server.port, messagesBody("What is the weather in Paris?"))
            #expect(anthropicCall.body.contains(#""name":"get_weather""#))
            let toolResult =
                #"{"model":"claude-test","max_tokens":100,"messages":[{"role":"user","content":"What is the weather?"},"#
                + #"{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},"#
                + #"{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"18C"}]}]}"#
            let answer = try await RawHTTPClient.messages(port: server.port, toolResult)
            #expect(answer.body.contains("It is 18 degrees and sunny in Paris."))
        }
    }
}

/// What the article's sample runs against the server: the weather tool loop and the flaky
/// sequence, over OpenAI chat completions.
func runIntegrationTests(baseURL: String) async throws {
    let port = try #require(Int(baseURL.split(separator: ":").last ?? ""))
    func chat(_ messages: String) async throws -> RawHTTPResponse {
        try await RawHTTPClient.chat(port: port, #"{"model":"gpt-4o-mini","messages":\#(messages)}"#)
    }
    let call = try await chat(#"[{"role":"user","content":"What is the weather in Paris?"}]"#)
    #expect(call.body.contains(#""name":"get_weather","arguments":"{\"city\":\"Paris\"}""#))
    let answer = try await chat(
        #"[{"role":"user","content":"What is the weather in Paris?"},"#
            + #"{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},"#
            + #"{"role":"tool","tool_call_id":"c1","content":"18C"}]"#)
    #expect(answer.body.contains("It is 18 degrees and sunny in Paris."))
    var statuses: [Int] = []
    for _ in 0..<3 { statuses.append(try await chat(#"[{"role":"user","content":"flaky?"}]"#).status) }
    #expect(statuses == [503, 503, 200])
    let other = try await chat(#"[{"role":"user","content":"Hello"}]"#)
    #expect(other.body.contains("I only know about the weather."))
}
