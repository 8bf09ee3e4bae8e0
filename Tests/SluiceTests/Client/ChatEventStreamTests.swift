import SluiceTesting
import Synchronization
import Testing

@testable import Sluice

@Suite("Returnable chat streams")
struct ChatEventStreamTests {
    static func chunk(_ text: String, id: String = "chatcmpl-1", finish: String? = nil) -> String {
        let reason = finish.map { "\"\($0)\"" } ?? "null"
        return
            #"data: {"id":"\#(id)","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"\#(text)"},"finish_reason":\#(reason)}]}"#
            + "\n\n"
    }

    static func body(_ words: [String], id: String = "chatcmpl-1") -> String {
        words.map { chunk($0, id: id) }.joined() + chunk("", id: id, finish: "stop")
            + #"data: {"id":"\#(id)","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":\#(words.count),"total_tokens":\#(3 + words.count)}}"#
            + "\n\ndata: [DONE]\n\n"
    }

    /// A client whose server answers with `respond(request)`.
    static func client(
        recorder: EventRecorder, respond: @escaping @Sendable (ClientRequest) -> ClientResponse
    ) -> LLMClient {
        var configuration = LLMClient.Configuration.openAI(apiKey: "sk-returned", baseURL: "http://127.0.0.1:9/v1")
        configuration.retryPolicy = .disabled
        configuration.eventHandlers = [recorder]
        return LLMClient(configuration, transport: InMemoryTransport { request in respond(request) })
    }

    /// A client whose server streams what the test sends through `source`.
    static func client(recorder: EventRecorder, streamingFrom source: ControlledSource) -> LLMClient {
        client(recorder: recorder) { _ in
            ClientResponse(status: 200, headers: ["content-type": "text/event-stream"], body: ResponseBody(source: source))
        }
    }

    static func streaming(_ body: String) -> ClientResponse {
        ClientResponse(status: 200, headers: ["content-type": "text/event-stream"], body: ResponseBody(bytes: Array(body.utf8)))
    }

    /// Polls `condition` for up to 10 s.
    static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<1_000 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    /// A stream made in a function and returned from it, the way a service hands one to its caller.
    static func answer(_ question: String, client: LLMClient) -> ChatEventStream {
        client.chatStream(ChatRequest(model: "gpt-4o-mini", messages: [.user(question)]))
    }

    @Test("a stream returned from a function reads to the end; the call then succeeds with its usage")
    func returned() async throws {
        let recorder = EventRecorder()
        let client = Self.client(recorder: recorder) { _ in Self.streaming(Self.body(["A ", "sluice"])) }
        var text = ""
        for try await case .textDelta(let fragment) in Self.answer("What is a sluice?", client: client) {
            text += fragment
        }
        #expect(text == "A sluice")
        #expect(await Self.eventually { !recorder.events(ofKind: .requestSucceeded).isEmpty })
        #expect(recorder.events(ofKind: .requestSucceeded).first?.usage?.outputTokens == 2)
    }

    @Test("streams of several calls merge: each reads its own reply, concurrently")
    func merged() async throws {
        let recorder = EventRecorder()
        let client = Self.client(recorder: recorder) { request in
            let body = try! JSONValue(parsing: request.body ?? [])
            let question = body["messages"]?[0]?["content"]?.stringValue ?? ""
            return Self.streaming(Self.body([question, "!"], id: question))
        }
        let streams = ["one", "two", "three"].map { Self.answer($0, client: client) }
        let texts = try await withThrowingTaskGroup(of: String.self) { group in
            for stream in streams {
                group.addTask { try await stream.finalResponse().text }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(texts == ["one!", "two!", "three!"])
        #expect(await Self.eventually { recorder.events(ofKind: .requestSucceeded).count == 3 })
    }

    @Test("a stream released after one event ends the transfer, and the call is reported cancelled")
    func droppedUnread() async throws {
        let recorder = EventRecorder()
        let source = ControlledSource()
        let client = Self.client(recorder: recorder, streamingFrom: source)
        source.send(Array(Self.chunk("Hello").utf8))
        do {
            var iterator = Self.answer("hi", client: client).makeAsyncIterator()
            var first: ChatStreamEvent?
            repeat { first = try await iterator.next() } while first != nil && first?.isContent != true
            #expect(first == .textDelta("Hello"))
        }
        #expect(await Self.eventually { source.cancelCount > 0 }, "the transfer ended")
        #expect(await Self.eventually { !recorder.events(ofKind: .requestCancelled).isEmpty })
        #expect(recorder.events(ofKind: .requestSucceeded).isEmpty)
    }

    @Test("cancelling the consuming task ends the transfer and the wait")
    func consumerCancelled() async throws {
        let recorder = EventRecorder()
        let source = ControlledSource()
        let client = Self.client(recorder: recorder, streamingFrom: source)
        let stream = Self.answer("hi", client: client)
        let consumer = Task {
            for try await _ in stream {}
        }
        await source.waitUntilPending()
        consumer.cancel()
        let result = await consumer.result
        #expect(throws: (any Error).self) { try result.get() }
        #expect(await Self.eventually { source.cancelCount > 0 })
        #expect(await Self.eventually { !recorder.events(ofKind: .requestCancelled).isEmpty })
    }

    @Test("cancel() ends a stream that is still waiting for its head; a non-2xx answer is the first next()'s error")
    func cancelAndErrors() async throws {
        let recorder = EventRecorder()
        let unauthorized = Self.client(recorder: recorder) { _ in
            ClientResponse(
                status: 401, headers: ["content-type": "application/json"],
                body: ResponseBody(bytes: Array(#"{"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}}"#.utf8)))
        }
        var iterator = Self.answer("hi", client: unauthorized).makeAsyncIterator()
        let error = await #expect(throws: SluiceError.self) { _ = try await iterator.next() }
        #expect(error?.status == 401)

        let source = ControlledSource()
        let slow = Self.client(recorder: EventRecorder(), streamingFrom: source)
        let stream = Self.answer("hi", client: slow)
        #expect(await Self.eventually { stream.snapshot != nil }, "the head arrived")
        stream.cancel()
        await #expect(throws: (any Error).self) { for try await _ in stream {} }
        #expect(await Self.eventually { source.cancelCount > 0 })
    }
}
