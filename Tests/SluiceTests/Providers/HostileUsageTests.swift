import Testing

@testable import Sluice

/// Usage counts are the server's word and hostile like every other: each reply below is read (never
/// trapping), and its counts end up in `0...WireNumber.maxCount`, so the token arithmetic after it
/// (settlement, totals, cost) cannot overflow. An odd field is read as missing rather than losing the
/// reply it came with.
@Suite("Hostile usage counts")
struct HostileUsageTests {
    static let cap = WireNumber.maxCount

    /// A usage value as JSON text, and the count it must read as (`nil`: missing, 0 in ``Usage``).
    static let cases: [(json: String, count: Int?)] = [
        ("9223372036854775807", cap), ("99999999999999999999999999", cap), ("1e300", cap), ("12.9", 12),
        ("-5", 0), ("-99999999999999999999999", 0), ("-1e300", 0), ("\"many\"", nil), ("\"12\"", nil),
        ("null", nil), ("true", nil), ("{\"a\":1}", nil), ("[1,2]", nil), ("0", 0), ("42", 42),
    ]

    @Test("OpenAI: plain reply usage", arguments: cases)
    func openAIPlain(json: String, count: Int?) throws {
        let count = count ?? 0
        let body = #"{"id":"x","choices":[{"index":0,"message":{"content":"hi"}}],"usage":{"prompt_tokens":"#
            + json + #","completion_tokens":"# + json + #","prompt_tokens_details":{"cached_tokens":"# + json + "}}}"
        let response = try OpenAIAdapter().decodeChatResponse(Array(body.utf8), headers: [:])
        #expect(response.text == "hi")
        #expect(response.usage?.inputTokens == count)
        #expect(response.usage?.outputTokens == count)
        #expect(response.usage?.totalTokens == count * 2)
    }

    @Test("OpenAI: the usage chunk of a stream", arguments: cases)
    func openAIStream(json: String, count: Int?) throws {
        let count = count ?? 0
        let chunk = try OpenAIChatChunk.decode(
            #"{"choices":[],"usage":{"prompt_tokens":"# + json + #","completion_tokens":"# + json + "}}")
        #expect(chunk.usage?.sluiceUsage.inputTokens == count)
        #expect(chunk.usage?.sluiceUsage.outputTokens == count)
    }

    @Test("Anthropic: plain reply usage, cache counts summed saturating", arguments: cases)
    func anthropicPlain(json: String, count: Int?) throws {
        let count = count ?? 0
        let body = #"{"id":"m","type":"message","role":"assistant","model":"c","content":[{"type":"text","text":"hi"}],"#
            + #""stop_reason":"end_turn","usage":{"input_tokens":"# + json + #","output_tokens":"# + json
            + #","cache_read_input_tokens":"# + json + #","cache_creation_input_tokens":"# + json + "}}"
        let response = try AnthropicAdapter().decodeChatResponse(Array(body.utf8), headers: [:])
        #expect(response.text == "hi")
        #expect(response.usage?.inputTokens == count * 3)
        #expect(response.usage?.outputTokens == count)
    }

    @Test("Anthropic: message_start and message_delta usage in a stream", arguments: cases)
    func anthropicStream(json: String, count: Int?) throws {
        let transcript =
            AnthropicFixture.event(
                "message_start",
                #"{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"model":"c","usage":{"input_tokens":"#
                    + json + #","output_tokens":1}}}"#)
            + AnthropicFixture.event(
                "message_delta",
                #"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":"# + json + "}}")
            + AnthropicFixture.event("message_stop", #"{"type":"message_stop"}"#)
        let run = AnthropicFixture.run(transcript)
        #expect(run.error == nil)
        let usages = run.events.compactMap { event -> Usage? in
            if case .usage(let usage) = event { return usage }
            return nil
        }
        #expect(usages.last?.inputTokens == count ?? 0)
        // A delta without a usable output count keeps the one message_start gave (1).
        #expect(usages.last?.outputTokens == count ?? 1)
    }

    @Test("sums over hostile counts saturate: settlement, totals and cost never trap")
    func arithmeticSaturates() {
        let huge = Usage(inputTokens: .max, outputTokens: .max, cachedInputTokens: .max, cacheCreationInputTokens: .max)
        #expect(huge.totalTokens == .max)
        #expect(TokenCharge(input: .max, output: .max).total == .max)
        #expect(TokenEstimate(input: .max, maxOutput: .max).total == .max)
        let charge = RateLimitSettlementPolicy.keepAdmissionCharge.charge(TokenEstimate(input: 10, maxOutput: 10), huge)
        #expect(charge.total == .max)
        let price = ModelPrice(input: 1_000_000, output: 1_000_000)
        #expect(price.cost(of: huge).nanodollars == .max)
        #expect((Cost(nanodollars: .max) + Cost(nanodollars: 1)).nanodollars == .max)

        let tracker = UsageTracker(prices: PriceTable(["m": price]))
        for call in 1...3 { tracker.handle(usageTestEvent(.requestSucceeded, call: UInt64(call), model: "m", usage: huge)) }
        let totals = tracker.snapshot().totals
        #expect(totals.inputTokens == .max)
        #expect(totals.totalTokens == .max)
        #expect(totals.cost?.nanodollars == .max)
    }
}

/// An error body's identifiers are quoted in the error's message: a hostile one must not grow it.
@Suite("Hostile error text")
struct HostileErrorTextTests {
    static let long = String(repeating: "x", count: 3_000)

    @Test(
        "a huge error type or code is cut in the message of both providers",
        arguments: [
            (Provider.openAI, #"{"error":{"type":"LONG","message":"m"}}"#),
            (.openAI, #"{"error":{"code":"LONG","message":"m"}}"#),
            (.anthropic, #"{"type":"error","error":{"type":"LONG","message":"m"}}"#),
        ])
    func longLabels(provider: Provider, body: String) {
        let adapter: any ProviderAdapter = provider == .openAI ? OpenAIAdapter() : AnthropicAdapter()
        let bytes = Array(body.replacingOccurrences(of: "LONG", with: Self.long).utf8)
        let error = adapter.decodeError(status: 400, headers: [:], body: bytes)
        #expect(error.status == 400)
        #expect(error.message.utf8.count < 300, "\(error.message.utf8.count) bytes")
    }
}
