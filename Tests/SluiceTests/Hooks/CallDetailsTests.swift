import SluiceTesting
import Synchronization
import Testing
import Tracing

@testable import Sluice

/// What a call's events say of its request and reply (the GenAI request and response attributes),
/// and the trace context on its requests, through a whole client.
@Suite("Call details on events, and trace context on requests")
struct CallDetailsTests {
    static let chatReply = #"""
        {"id":"chatcmpl-42","object":"chat.completion","model":"gpt-4o-mini-2024-07-18",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"length"}],
         "usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}
        """#

    static let streamBody = """
        data: {"id":"chatcmpl-7","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}

        data: {"id":"chatcmpl-7","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

        data: [DONE]


        """

    static let responsesReply = #"""
        {"id":"resp_9","object":"response","model":"gpt-4o-mini-2024-07-18","status":"incomplete",
         "incomplete_details":{"reason":"max_output_tokens"},
         "output":[{"type":"message","id":"msg_1","role":"assistant","status":"incomplete",
                    "content":[{"type":"output_text","text":"Hi","annotations":[]}]}],
         "usage":{"input_tokens":5,"output_tokens":16,"total_tokens":21}}
        """#

    func client(
        baseURL: String = "http://127.0.0.1:8089/v1", handlers: [any ClientEventHandler],
        onRequest: @escaping @Sendable (ClientRequest) -> Void = { _ in }
    ) -> LLMClient {
        let transport = InMemoryTransport { request in
            onRequest(request)
            if request.url.hasSuffix("/responses") {
                return ClientResponse(
                    status: 200, headers: ["content-type": "application/json"],
                    body: ResponseBody(bytes: Array(Self.responsesReply.utf8)))
            }
            let streaming = request.headers["accept"] == "text/event-stream"
            return ClientResponse(
                status: 200, headers: ["content-type": streaming ? "text/event-stream" : "application/json"],
                body: ResponseBody(bytes: Array((streaming ? Self.streamBody : Self.chatReply).utf8)))
        }
        var configuration = LLMClient.Configuration.openAI(apiKey: "sk-details", baseURL: baseURL)
        configuration.retryPolicy = .disabled
        configuration.eventHandlers = handlers
        return LLMClient(configuration, transport: transport)
    }

    @Test("request_started names the server and the request's settings; request_succeeded the reply's id, model and finish reason")
    func plainChat() async throws {
        let recorder = EventRecorder()
        let client = client(handlers: [recorder])
        var request = ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")], maxOutputTokens: 1)
        request.temperature = 0.25
        request.topP = 0.9
        request.seed = 7
        _ = try await client.chat(request)
        let started = try #require(recorder.events(ofKind: .requestStarted).first?.request)
        #expect(started.serverAddress == "127.0.0.1")
        #expect(started.serverPort == 8089)
        #expect(started.maxOutputTokens == 1)
        #expect(started.temperature == 0.25)
        #expect(started.topP == 0.9)
        #expect(started.seed == 7)
        let reply = try #require(recorder.events(ofKind: .requestSucceeded).first?.reply)
        #expect(reply == ClientEvent.ReplyDetails(id: "chatcmpl-42", model: "gpt-4o-mini-2024-07-18", finishReasons: ["length"]))
    }

    @Test("a Responses call is traced as chat with its id, model and the reason it stopped")
    func responses() async throws {
        let recorder = EventRecorder()
        let tracer = AdapterTestTracer()
        let client = client(handlers: [recorder, TracingEventHandler(tracer: tracer)])
        var request = ResponsesRequest(model: "gpt-4o-mini", input: "hi")
        request.maxOutputTokens = 16
        _ = try await client.createResponse(request)
        #expect(recorder.events(ofKind: .requestStarted).first?.request?.maxOutputTokens == 16)
        let reply = try #require(recorder.events(ofKind: .requestSucceeded).first?.reply)
        #expect(reply == ClientEvent.ReplyDetails(id: "resp_9", model: "gpt-4o-mini-2024-07-18", finishReasons: ["max_output_tokens"]))
        let span = try #require(tracer.started.first { $0.operationName != "sluice.attempt" })
        #expect(span.operationName == "chat gpt-4o-mini")
        #expect(span.attributes.get("gen_ai.operation.name") == .string("chat"))
    }

    @Test("a streamed call's reply details are what the caller read of the stream")
    func streamedChat() async throws {
        let recorder = EventRecorder()
        let client = client(handlers: [recorder])
        let text = try await client.streamChat(ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")])) { stream in
            try await stream.finalResponse().text
        }
        #expect(text == "Hi")
        let reply = try #require(recorder.events(ofKind: .requestSucceeded).first?.reply)
        #expect(reply == ClientEvent.ReplyDetails(id: "chatcmpl-7", model: "gpt-4o-mini-2024-07-18", finishReasons: ["stop"]))
    }

    @Test("with a tracing handler every attempt carries its span's trace context; without one, none")
    func traceContextOnRequests() async throws {
        let tracer = AdapterTestTracer()
        let sent = Mutex<[HTTPHeaders]>([])
        let traced = client(handlers: [TracingEventHandler(tracer: tracer)]) { request in
            sent.withLock { $0.append(request.headers) }
        }
        _ = try await traced.chat(ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")]))
        let attempt = try #require(tracer.started.first { $0.operationName == "sluice.attempt" })
        #expect(sent.withLock { $0.map { $0.values(for: "traceparent") } } == [["span-\(attempt.id)"]])

        let plainSent = Mutex<[HTTPHeaders]>([])
        let plain = client(handlers: [EventRecorder()]) { request in
            plainSent.withLock { $0.append(request.headers) }
        }
        _ = try await plain.chat(ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")]))
        #expect(plainSent.withLock { $0.map { $0.contains("traceparent") } } == [false])
    }

    @Test(
        "the server of a base URL",
        arguments: [
            ("https://api.openai.com/v1", "api.openai.com", 443), ("http://127.0.0.1:8080/v1", "127.0.0.1", 8080),
            ("http://localhost/v1", "localhost", 80), ("https://user:pw@Example.COM:8443/x?y#z", "example.com", 8443),
            ("http://[::1]:9000/v1", "::1", 9000), ("https://[::1]", "::1", 443),
        ])
    func serverLocation(_ url: String, _ address: String, _ port: Int) {
        #expect(ServerLocation(baseURL: url) == ServerLocation(address: address, port: port))
    }

    @Test(
        "a base URL without a host or with a bad port names no server",
        arguments: ["", "api.openai.com", "https://", "https://:443", "http://h:0", "http://h:65536", "http://h:+80", "http://h:99999999999999999999"])
    func noServerLocation(_ url: String) {
        #expect(ServerLocation(baseURL: url) == nil)
    }
}
