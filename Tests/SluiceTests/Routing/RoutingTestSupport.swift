import SluiceTesting
import Synchronization

@testable import Sluice

/// What a scripted deployment's server does with the next request.
enum ScriptedAnswer: Sendable {
    /// A whole reply that says the deployment's name.
    case reply
    /// A whole reply, after moving the deployment's test clock on by this much.
    case replyAfter(Duration)
    /// A non-2xx answer with an OpenAI error body.
    case status(Int, code: String? = nil, message: String = "failure")
    /// The transport throws (a connection or time-limit failure).
    case transportError(SluiceError)
    /// Waits until the task is cancelled (or an hour passes).
    case hang
    /// A stream: these SSE chunks, then the end marker, or `failure` instead of it.
    case stream([String], then: SluiceError?)
}

/// A value tests change while closures that captured it read it.
final class SharedValue<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func get() -> Value { value.withLock { $0 } }
    func set(_ next: Value) { value.withLock { $0 = next } }
}

/// A deployment over an in-memory server whose answer a test switches at run time.
final class ScriptedDeployment: Sendable {
    static func secret(_ name: String) -> String { "sk-route-\(name)-0123456789abcdef" }

    let name: String
    let answer: SharedValue<ScriptedAnswer>
    let transport: InMemoryTransport
    let client: LLMClient

    init(_ name: String, _ answer: ScriptedAnswer = .reply, clock: any SluiceClock) {
        self.name = name
        let answer = SharedValue(answer)
        self.answer = answer
        transport = InMemoryTransport { _ in
            let next = answer.get()
            if case .replyAfter(let delay) = next { (clock as? TestClock)?.advance(by: delay) }
            return try await Self.respond(next, name: name)
        }
        var configuration = LLMClient.Configuration.openAI(
            apiKey: Self.secret(name), baseURL: "http://127.0.0.1:9/v1")
        configuration.retryPolicy = .disabled
        configuration.clock = clock
        client = LLMClient(configuration, transport: transport)
    }

    /// Polls `condition` for up to 10 s.
    static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<1_000 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    func set(_ next: ScriptedAnswer) { answer.set(next) }

    var requestCount: Int { transport.requests.count }

    func deployment(model: String? = nil, weight: Double = 1) -> Deployment {
        Deployment(name: name, client: client, model: model, weight: weight)
    }

    static func chunk(_ delta: String) -> String {
        #"data: {"id":"c1","model":"m","choices":[{"index":0,"delta":\#(delta),"finish_reason":null}]}"# + "\n\n"
    }

    static func text(_ text: String) -> String { chunk(#"{"content":"\#(text)"}"#) }

    static let role = chunk(#"{"role":"assistant"}"#)

    private static func respond(_ answer: ScriptedAnswer, name: String) async throws -> ClientResponse {
        switch answer {
        case .reply, .replyAfter:
            let body =
                #"{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"from \#(name)"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#
            return ClientResponse(
                status: 200, headers: ["content-type": "application/json"], body: ResponseBody(bytes: Array(body.utf8)))
        case .status(let status, let code, let message):
            let codeJSON = code.map { "\"\($0)\"" } ?? "null"
            let body = #"{"error":{"message":"\#(message)","type":"error","param":null,"code":\#(codeJSON)}}"#
            return ClientResponse(
                status: status, headers: ["content-type": "application/json"], body: ResponseBody(bytes: Array(body.utf8)))
        case .transportError(let error):
            throw error
        case .hang:
            try await Task.sleep(for: .seconds(3_600))
            throw SluiceError(.transportFailure, "hung for an hour")
        case .stream(let chunks, let failure):
            let headers: HTTPHeaders = ["content-type": "text/event-stream"]
            if let failure {
                return ClientResponse(
                    status: 200, headers: headers, body: ResponseBody(source: BreakingBodySource(chunks, then: failure)))
            }
            let finish = #"data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#
            let body = chunks.joined() + finish + "\n\ndata: [DONE]\n\n"
            return ClientResponse(status: 200, headers: headers, body: ResponseBody(bytes: Array(body.utf8)))
        }
    }
}
