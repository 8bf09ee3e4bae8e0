import Sluice
import SluiceTesting
import Testing

@Suite("UsageTracker with LLMClient")
struct UsageEndToEndTests {
    /// Retries off, so a failing answer is one call that fails (retry counting has its own tests).
    static func client(apiKey: String = "k", _ handler: @escaping InMemoryTransport.Handler) -> LLMClient {
        var configuration = LLMClient.Configuration.openAI(apiKey: apiKey, baseURL: "http://127.0.0.1:1/v1")
        configuration.retryPolicy = .disabled
        return LLMClient(configuration, transport: InMemoryTransport(handler))
    }

    static func okClient(apiKey: String = "k", input: Int = 10, output: Int = 5, tracker: UsageTracker? = nil)
        -> LLMClient
    {
        var configuration = LLMClient.Configuration.openAI(apiKey: apiKey, baseURL: "http://127.0.0.1:1/v1")
        if let tracker { configuration.eventHandlers = [tracker] }
        return LLMClient(
            configuration,
            transport: InMemoryTransport { _ in
                ClientResponse(
                    status: 200, body: ResponseBody(bytes: UsageTestBodies.completion(input: input, output: output)))
            })
    }

    static func request(_ model: String = "gpt-4o-mini") -> ChatRequest {
        ChatRequest(model: model, messages: [.user("hi")])
    }

    @Test("a tracker on two clients totals per model and per key, and prices a known model")
    func perModelAndKey() async throws {
        let tracker = UsageTracker()
        let first = Self.okClient(apiKey: "first-secret-key", tracker: tracker)
        let second = Self.okClient(apiKey: "second-secret-key", input: 100, output: 20, tracker: tracker)
        _ = try await first.chat(Self.request())
        _ = try await first.chat(Self.request())
        _ = try await second.chat(Self.request("gpt-4o"))

        let summary = tracker.snapshot()
        #expect(summary.totals.succeeded == 3)
        #expect(summary.totals.inputTokens == 120)
        #expect(summary.totals.outputTokens == 30)
        #expect(summary.byModel["gpt-4o-mini"]?.inputTokens == 20)
        #expect(summary.byModel["gpt-4o"]?.outputTokens == 20)
        let firstKey = KeyID(apiKey: "first-secret-key")
        let secondKey = KeyID(apiKey: "second-secret-key")
        #expect(summary.byKey[firstKey]?.requests == 2)
        #expect(summary.byKey[secondKey]?.inputTokens == 100)
        // gpt-4o-mini: 20×0.15 + 10×0.60 = 9 µ$; gpt-4o: 100×2.50 + 20×10 = 450 µ$.
        #expect(summary.byModel["gpt-4o-mini"]?.cost == Cost(nanodollars: 9_000))
        #expect(summary.byKey[secondKey]?.cost == Cost(nanodollars: 450_000))
        #expect(summary.cost == Cost(nanodollars: 459_000))
        #expect(!String(describing: summary).contains("secret"))
    }

    @Test("an unknown model's usage is counted and its cost reported as unknown")
    func unknownModel() async throws {
        let (_, usage) = try await withUsageTracking {
            try await Self.okClient().chat(Self.request("my-local-llama"))
        }
        #expect(usage.totals.inputTokens == 10)
        #expect(usage.cost == nil)
        #expect(usage.unpricedModels == ["my-local-llama"])
    }

    @Test("withUsageTracking counts 50 concurrent child-task calls exactly, and not a call outside its scope")
    func scopedConcurrent() async throws {
        let client = Self.okClient()
        _ = try await client.chat(Self.request())  // before the scope
        let outside = Task { try await client.chat(Self.request()) }  // inherits no tracking scope

        let (count, usage) = try await withUsageTracking {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 {
                    group.addTask { _ = try await client.chat(Self.request()) }
                }
                try await group.waitForAll()
                return 50
            }
        }
        _ = try await outside.value
        _ = try await client.chat(Self.request())  // after the scope

        #expect(count == 50)
        #expect(usage.totals.succeeded == 50)
        #expect(usage.totals.requests == 50)
        #expect(usage.totals.inputTokens == 500)
        #expect(usage.totals.outputTokens == 250)
        #expect(usage.byKey[KeyID(apiKey: "k")]?.succeeded == 50)
        // 500×0.15 + 250×0.60 = 225 µ$
        #expect(usage.cost == Cost(nanodollars: 225_000))
    }

    @Test("nested scopes each count the calls made inside them")
    func nestedScopes() async throws {
        let client = Self.okClient()
        let (inner, outer) = try await withUsageTracking {
            _ = try await client.chat(Self.request())
            let (_, inner) = try await withUsageTracking { try await client.chat(Self.request()) }
            return inner
        }
        #expect(inner.totals.requests == 1)
        #expect(outer.totals.requests == 2)
    }

    @Test("a call that fails with HTTP 500 is counted as failed")
    func failedCall() async throws {
        let client = Self.client { _ in
            ClientResponse(status: 500, body: ResponseBody(bytes: UsageTestBodies.serverError))
        }
        let tracker = UsageTracker()
        _ = await withEventHandler(tracker) {
            await #expect(throws: SluiceError.self) { try await client.chat(Self.request()) }
        }
        let summary = tracker.snapshot()
        #expect(summary.totals.failed == 1)
        #expect(summary.totals.succeeded == 0)
        #expect(summary.totals.inputTokens == 0)
        #expect(summary.cost == .zero)
    }

    @Test("a streamed call counts the usage of its final chunk, cached and reasoning tokens included")
    func streamedCall() async throws {
        let client = Self.client { _ in
            ClientResponse(
                status: 200, body: ResponseBody(bytes: Array((UsageTestBodies.streamChunks + "data: [DONE]\n\n").utf8)))
        }
        let (reply, usage) = try await withUsageTracking {
            try await client.streamChat(Self.request())
        }
        #expect(reply.text == "Hello")
        #expect(usage.totals.succeeded == 1)
        #expect(usage.totals.inputTokens == 9)
        #expect(usage.totals.outputTokens == 2)
        #expect(usage.totals.cachedInputTokens == 4)
        #expect(usage.totals.reasoningTokens == 1)
    }

    @Test("a per-call handler counts only that call")
    func perCall() async throws {
        let client = Self.okClient()
        let tracker = UsageTracker()
        var options = CallOptions()
        options.eventHandlers = [tracker]
        _ = try await client.chat(Self.request(), options: options)
        _ = try await client.chat(Self.request())
        #expect(tracker.snapshot().totals.requests == 1)
    }
}
