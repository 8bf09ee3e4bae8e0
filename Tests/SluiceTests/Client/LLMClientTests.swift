import Sluice
import SluiceTesting
import Synchronization
import Testing

/// A body source that serves chunks, then (optionally) waits until cancelled, and records its cancel.
private final class TrackingSource: ResponseBodySource {
    private let chunks: Mutex<ArraySlice<[UInt8]>>
    private let holdOpen: Bool
    private let cancels = Mutex(0)

    init(_ text: [String], holdOpen: Bool = false) {
        chunks = Mutex(text.map { Array($0.utf8) }[...])
        self.holdOpen = holdOpen
    }

    var cancelCount: Int { cancels.withLock { $0 } }

    func next() async throws -> [UInt8]? {
        if let chunk = chunks.withLock({ $0.popFirst() }) { return chunk }
        if holdOpen { try await Task.sleep(for: .seconds(3600)) }
        return nil
    }

    func cancel() { cancels.withLock { $0 += 1 } }
}

private final class Log: Sendable {
    private let entries = Mutex<[String]>([])
    func add(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}

@Suite("LLMClient")
struct LLMClientTests {
    /// Retries off: these tests check the client layer, not the retry policy (RetryMiddlewareTests do).
    static func configuration(defaults: LLMClient.ChatDefaults = .init()) -> LLMClient.Configuration {
        var configuration = LLMClient.Configuration(
            adapter: TestAdapter(), baseURL: "http://127.0.0.1:9/v1/", apiKey: "KEY-MARKER", defaults: defaults)
        configuration.retryPolicy = .disabled
        return configuration
    }

    @Test("chat sends through the adapter and applies the client's defaults where the request leaves them unset")
    func chatWithDefaults() async throws {
        let transport = InMemoryTransport { request in
            ClientResponse(status: 200, headers: ["x-request-id": "req_1"], body: ResponseBody(bytes: request.body ?? []))
        }
        let client = LLMClient(Self.configuration(defaults: .init(model: "default-model", maxOutputTokens: 99)), transport: transport)
        let reply = try await client.chat("echo this")
        #expect(reply.text == "echo this")
        #expect(reply.requestID == "req_1")
        let sent = try #require(transport.requests.first)
        #expect(sent.url == "http://127.0.0.1:9/v1/chat")
        #expect(sent.headers["x-model"] == "default-model")
        #expect(sent.headers["x-max-tokens"] == "99")

        _ = try await client.chat(ChatRequest(model: "explicit", messages: [.user("x")], maxOutputTokens: 5))
        #expect(transport.requests.last?.headers["x-model"] == "explicit")
        #expect(transport.requests.last?.headers["x-max-tokens"] == "5")
    }

    @Test("a non-2xx answer becomes the adapter's typed error with the request id from the headers")
    func providerError() async throws {
        let transport = InMemoryTransport { _ in
            ClientResponse(status: 429, headers: ["x-request-id": "req_429"], body: ResponseBody(bytes: Array("slow down".utf8)))
        }
        let client = LLMClient(Self.configuration(), transport: transport)
        let error = await #expect(throws: SluiceError.self) { try await client.chat("hi") }
        #expect(error?.code == .rateLimited)
        #expect(error?.status == 429)
        #expect(error?.requestID == "req_429")
        #expect(error.map { !String(describing: $0).contains("KEY-MARKER") } == true)
    }

    @Test("a stream yields typed events, accumulates the reply, and reports complete at the end marker")
    func streamAccumulates() async throws {
        let transport = InMemoryTransport { _ in
            ClientResponse(status: 200, body: ResponseBody(chunks: [Array("data: Hel".utf8), Array("lo\n\ndata: , world\n\nda".utf8), Array("ta: [END]\n\n".utf8)]))
        }
        let client = LLMClient(Self.configuration(), transport: transport)
        var deltas: [String] = []
        let reply = try await client.streamChat(ChatRequest(model: "m", messages: [.user("hi")])) { event in
            if case .textDelta(let text) = event { deltas.append(text) }
        }
        #expect(deltas == ["Hello", ", world"])
        #expect(reply.text == "Hello, world")
        #expect(reply.usage == Usage(inputTokens: 3, outputTokens: 2))
        #expect(reply.finishReason == .stop)
    }

    @Test("leaving the stream's scope early ends the transfer")
    func streamScopeEndsTransfer() async throws {
        let source = TrackingSource(["data: one\n\n", "data: two\n\n"], holdOpen: true)
        let transport = InMemoryTransport { _ in ClientResponse(status: 200, body: ResponseBody(source: source)) }
        let client = LLMClient(Self.configuration(), transport: transport)
        let first = try await client.streamChat(ChatRequest(model: "m", messages: [.user("hi")])) { stream in
            for try await event in stream {
                if case .textDelta(let text) = event { return text }
            }
            return ""
        }
        #expect(first == "one")
        #expect(source.cancelCount == 1)
        #expect(client.inFlightCalls == 0)
    }

    @Test("an error event mid-stream throws streamError carrying the partial reply")
    func streamErrorCarriesPartial() async throws {
        let transport = InMemoryTransport { _ in
            ClientResponse(status: 200, body: ResponseBody(chunks: [Array("data: partial \n\ndata: text\n\ndata: ERR\n\n".utf8)]))
        }
        let client = LLMClient(Self.configuration(), transport: transport)
        let error = await #expect(throws: SluiceError.self) {
            _ = try await client.streamChat(ChatRequest(model: "m", messages: [.user("hi")]))
        }
        #expect(error?.code == .streamError)
        #expect(error?.providerError?.type == "overloaded_error")
        #expect(error?.partialResponse?.text == "partial text")
    }

    @Test("a stream cut before the end marker throws incompleteStream with the partial reply")
    func incompleteStream() async throws {
        let transport = InMemoryTransport { _ in
            ClientResponse(status: 200, body: ResponseBody(chunks: [Array("data: cut\n\n".utf8)]))
        }
        let client = LLMClient(Self.configuration(), transport: transport)
        let error = await #expect(throws: SluiceError.self) {
            _ = try await client.streamChat(ChatRequest(model: "m", messages: [.user("hi")]))
        }
        #expect(error?.code == .incompleteStream)
        #expect(error?.partialResponse?.text == "cut")
    }

    @Test("shutdown refuses new calls at once and waits for the calls in flight to finish")
    func shutdownDrains() async throws {
        let (gate, openGate) = AsyncStream.makeStream(of: Void.self)
        let (received, signalReceived) = AsyncStream.makeStream(of: Void.self)
        let transport = InMemoryTransport { request in
            signalReceived.yield()
            for await _ in gate { break }
            return ClientResponse(status: 200, body: ResponseBody(bytes: request.body ?? []))
        }
        let client = LLMClient(Self.configuration(), transport: transport)
        let log = Log()
        let call = Task {
            let reply = try await client.chat("in flight")
            log.add("call finished")
            return reply.text
        }
        for await _ in received { break }
        let shutdown = Task {
            await client.shutdown()
            log.add("shutdown finished")
        }
        while !client.isShuttingDown { await Task.yield() }
        let refused = await #expect(throws: SluiceError.self) { try await client.chat("late") }
        #expect(refused?.code == .shutdown)
        openGate.yield()
        #expect(try await call.value == "in flight")
        await shutdown.value
        #expect(log.all == ["call finished", "shutdown finished"])
        #expect(client.inFlightCalls == 0)
    }

    @Test("a batch returns one result per request in input order; a failure does not lose the rest")
    func batchInOrder() async throws {
        let transport = InMemoryTransport { request in
            let text = String(decoding: request.body ?? [], as: UTF8.self)
            if text == "bad" { return ClientResponse(status: 400, body: ResponseBody(bytes: Array("no".utf8))) }
            return ClientResponse(status: 200, body: ResponseBody(bytes: Array(text.utf8)))
        }
        let client = LLMClient(Self.configuration(), transport: transport)
        let prompts = (0..<20).map { $0 == 7 ? "bad" : "item \($0)" }
        let results = await client.chatBatch(prompts.map { ChatRequest(model: "m", messages: [.user($0)]) }, maxConcurrency: 3)
        #expect(results.count == 20)
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let reply): #expect(index != 7 && reply.text == "item \(index)")
            case .failure(let error): #expect(index == 7 && error.code == .badRequest)
            }
        }
    }

    @Test("chatBatchResults yields every item once, tagged with its index")
    func batchAsCompleted() async throws {
        let transport = InMemoryTransport { request in
            ClientResponse(status: 200, body: ResponseBody(bytes: request.body ?? []))
        }
        let client = LLMClient(Self.configuration(), transport: transport)
        var seen: [Int: String] = [:]
        for await item in client.chatBatchResults((0..<12).map { ChatRequest(model: "m", messages: [.user("p\($0)")]) }, maxConcurrency: 4) {
            seen[item.index] = try item.result.get().text
        }
        #expect(seen.count == 12)
        #expect(seen.allSatisfy { $0.value == "p\($0.key)" })
    }

    @Test("fromEnvironment reads the SDKs' variables and names a missing one without any value")
    func environment() throws {
        let openAI = try LLMClient.Configuration.fromEnvironment(environment: ["OPENAI_API_KEY": "KEY-MARKER", "OPENAI_BASE_URL": "http://127.0.0.1:1/v1"])
        #expect(openAI.adapter.provider == .openAI)
        #expect(openAI.baseURL == "http://127.0.0.1:1/v1")
        #expect(!openAI.description.contains("KEY-MARKER"))
        let anthropic = try LLMClient.Configuration.fromEnvironment(environment: ["ANTHROPIC_API_KEY": "KEY-MARKER"])
        #expect(anthropic.adapter.provider == .anthropic)
        #expect(anthropic.baseURL == "https://api.anthropic.com")
        let error = #expect(throws: SluiceError.self) {
            try LLMClient.Configuration.fromEnvironment(provider: .anthropic, environment: ["OPENAI_API_KEY": "KEY-MARKER"])
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("ANTHROPIC_API_KEY") == true)
    }
}
