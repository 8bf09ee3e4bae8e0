import Sluice
import SluiceTesting
import Testing

/// A call the provider reports no usage for is counted from the client's estimate, flagged as such,
/// never as 0 tokens or $0.
@Suite("Estimated usage")
struct EstimatedUsageTests {
    static let noUsageCompletion = Array(
        """
        {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"The answer is forty-two, as computed."},"finish_reason":"stop"}]}
        """.utf8)

    /// A stream with content and no usage chunk (a server that ignores `include_usage`).
    static let noUsageStream = Array(
        """
        data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hello there, streamed"},"finish_reason":"stop"}]}

        data: [DONE]


        """.utf8)

    static func client(_ body: [UInt8]) -> LLMClient {
        var configuration = LLMClient.Configuration.openAI(apiKey: "k", baseURL: "http://127.0.0.1:1/v1")
        configuration.retryPolicy = .disabled
        return LLMClient(configuration, transport: InMemoryTransport { _ in ClientResponse(status: 200, body: ResponseBody(bytes: body)) })
    }

    static let request = ChatRequest(model: "gpt-4o-mini", messages: [.user(String(repeating: "word ", count: 40))])

    @Test("a reply without usage is counted with the prompt and reply estimates, flagged, and priced")
    func plainReply() async throws {
        let recorder = EventRecorder()
        let tracker = UsageTracker()
        var options = CallOptions()
        options.eventHandlers = [recorder, tracker]
        let reply = try await Self.client(Self.noUsageCompletion).chat(Self.request, options: options)
        #expect(reply.usage == nil)  // the reply says what the provider said

        let succeeded = try #require(recorder.events.first { $0.kind == .requestSucceeded })
        let usage = try #require(succeeded.usage)
        #expect(usage.isEstimated)
        #expect(usage.inputTokens == DefaultTokenEstimator().estimateInputTokens(Self.request))
        #expect(usage.outputTokens == DefaultTokenEstimator.textTokens(reply.text))
        #expect(usage.outputTokens > 0)

        let summary = tracker.snapshot()
        #expect(summary.totals.estimatedCalls == 1)
        #expect(summary.totals.inputTokens == usage.inputTokens)
        #expect(summary.cost.map { $0 > .zero } == true)
    }

    @Test("a stream that ends without a usage chunk is counted from its text, flagged")
    func streamWithoutUsage() async throws {
        let (reply, summary) = try await withUsageTracking {
            try await Self.client(Self.noUsageStream).streamChat(Self.request)
        }
        #expect(reply.text == "Hello there, streamed")
        #expect(summary.totals.estimatedCalls == 1)
        #expect(summary.totals.outputTokens == DefaultTokenEstimator.textTokens("Hello there, streamed"))
        #expect(summary.totals.inputTokens > 0)
    }

    @Test("a reply with usage is counted as reported, not flagged")
    func reportedUsage() async throws {
        let (_, summary) = try await withUsageTracking {
            try await Self.client(UsageTestBodies.completion(input: 10, output: 5)).chat(Self.request)
        }
        #expect(summary.totals.estimatedCalls == 0)
        #expect(summary.totals.inputTokens == 10)
        #expect(summary.totals.outputTokens == 5)
    }

    @Test("embeddings whose answer counts no tokens are counted from the input estimate")
    func embeddingsWithoutUsage() async throws {
        let body = Array(#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"model":"text-embedding-3-small"}"#.utf8)
        let request = EmbeddingsRequest(model: "text-embedding-3-small", inputs: ["one two three four five six seven eight"])
        let (_, summary) = try await withUsageTracking {
            try await Self.client(body).embed(request)
        }
        #expect(summary.totals.estimatedCalls == 1)
        #expect(summary.totals.inputTokens == DefaultTokenEstimator().estimateInputTokens(request))
    }

    @Test("an OpenAI stream cut after content and before usage is counted from what it had generated")
    func cutStream() async throws {
        let cut = Array(
            """
            data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Partial answer here"},"finish_reason":null}]}


            """.utf8)
        let tracker = UsageTracker()
        await #expect(throws: SluiceError.self) {
            try await withEventHandler(tracker) { try await Self.client(cut).streamChat(Self.request) }
        }
        let totals = tracker.snapshot().totals
        #expect(totals.failed == 1)
        #expect(totals.estimatedCalls == 1)
        #expect(totals.outputTokens == DefaultTokenEstimator.textTokens("Partial answer here"))
    }

    @Test("an Anthropic stream cut after message_start counts the input tokens message_start reported")
    func anthropicCutStream() async throws {
        let cut = Array(
            """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"usage":{"input_tokens":25,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}


            """.utf8)
        var configuration = LLMClient.Configuration.anthropic(apiKey: "k", baseURL: "http://127.0.0.1:1")
        configuration.retryPolicy = .disabled
        let client = LLMClient(
            configuration, transport: InMemoryTransport { _ in ClientResponse(status: 200, body: ResponseBody(bytes: cut)) })
        let tracker = UsageTracker()
        await #expect(throws: SluiceError.self) {
            try await withEventHandler(tracker) {
                try await client.streamChat(ChatRequest(model: "claude-sonnet-4-5", messages: [.user("hi")]))
            }
        }
        let totals = tracker.snapshot().totals
        #expect(totals.failed == 1)
        #expect(totals.estimatedCalls == 0)
        #expect(totals.inputTokens == 25)
    }
}
