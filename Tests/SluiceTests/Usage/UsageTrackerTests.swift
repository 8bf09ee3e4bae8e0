import Sluice
import Testing

@Suite("UsageTracker counting")
struct UsageTrackerTests {
    let keyA = KeyID(rawValue: "key-a")
    let keyB = KeyID(rawValue: "key-b")

    @Test("counts tokens and outcomes overall, per model and per key")
    func totalsPerModelAndKey() {
        let tracker = UsageTracker()
        tracker.handle(
            usageTestEvent(
                .requestSucceeded, call: 1, model: "gpt-4o-mini", key: keyA,
                usage: Usage(inputTokens: 10, outputTokens: 5)))
        tracker.handle(
            usageTestEvent(
                .requestSucceeded, call: 2, model: "gpt-4o", key: keyA,
                usage: Usage(inputTokens: 100, outputTokens: 50, cachedInputTokens: 40, reasoningTokens: 7)))
        tracker.handle(usageTestEvent(.requestFailed, call: 3, model: "gpt-4o-mini", key: keyB, usage: nil))
        tracker.handle(
            usageTestEvent(
                .requestCancelled, call: 4, model: "gpt-4o-mini", key: keyB,
                usage: Usage(inputTokens: 3, outputTokens: 1)))

        let summary = tracker.snapshot()
        #expect(summary.totals.inputTokens == 113)
        #expect(summary.totals.outputTokens == 56)
        #expect(summary.totals.totalTokens == 169)
        #expect(summary.totals.cachedInputTokens == 40)
        #expect(summary.totals.reasoningTokens == 7)
        #expect(summary.totals.succeeded == 2)
        #expect(summary.totals.failed == 1)
        #expect(summary.totals.cancelled == 1)
        #expect(summary.totals.requests == 4)

        let mini = summary.byModel["gpt-4o-mini"]
        #expect(mini?.inputTokens == 13)
        #expect(mini?.outputTokens == 6)
        #expect(mini?.requests == 3)
        #expect(summary.byModel["gpt-4o"]?.cachedInputTokens == 40)

        #expect(summary.byKey[keyA]?.requests == 2)
        #expect(summary.byKey[keyA]?.inputTokens == 110)
        #expect(summary.byKey[keyB]?.failed == 1)
        #expect(summary.byKey[keyB]?.cancelled == 1)
        #expect(summary.byKey[keyB]?.inputTokens == 3)
    }

    @Test("a call's usage counts once, from its terminal event only — never again from usage_settled")
    func usageCountedOnce() {
        let tracker = UsageTracker()
        let usage = Usage(inputTokens: 10, outputTokens: 5)
        for kind in [
            ClientEvent.Kind.requestStarted, .attemptStarted, .responseHead, .firstToken, .chunk, .usageSettled,
        ] {
            tracker.handle(usageTestEvent(kind, usage: usage))
        }
        #expect(tracker.snapshot() == UsageSummary())
        tracker.handle(usageTestEvent(.requestSucceeded, usage: usage))
        let totals = tracker.snapshot().totals
        #expect(totals.inputTokens == 10)
        #expect(totals.outputTokens == 5)
        #expect(totals.requests == 1)
    }

    @Test("a stream that failed part-way still counts the tokens it used")
    func failedStreamCountsUsage() {
        let tracker = UsageTracker()
        var failed = usageTestEvent(.requestFailed, usage: Usage(inputTokens: 20, outputTokens: 8))
        failed.operation = .streamChat
        failed.error = SluiceError(.streamError, "cut")
        tracker.handle(failed)
        let totals = tracker.snapshot().totals
        #expect(totals.failed == 1)
        #expect(totals.inputTokens == 20)
        #expect(totals.outputTokens == 8)
        #expect(totals.cost != nil)
    }

    @Test("counts retries and sums rate-limit waits per model and key")
    func retriesAndWaits() {
        let tracker = UsageTracker()
        tracker.handle(usageTestEvent(.rateLimitWaitStarted, key: keyA))
        tracker.handle(usageTestEvent(.rateLimitWaitEnded, key: keyA, waited: .milliseconds(1_500)))
        tracker.handle(usageTestEvent(.retryScheduled, key: keyA))
        tracker.handle(usageTestEvent(.retryScheduled, key: keyA))
        tracker.handle(usageTestEvent(.rateLimitWaitEnded, model: "gpt-4o", key: keyB, waited: .milliseconds(500)))
        tracker.handle(usageTestEvent(.rateLimitWaitEnded, key: keyB, waited: nil))
        tracker.handle(usageTestEvent(.permitWaitEnded, key: keyB, waited: .seconds(9)))

        let summary = tracker.snapshot()
        #expect(summary.totals.retries == 2)
        #expect(summary.totals.rateLimitWait == .seconds(2))
        #expect(summary.byKey[keyA]?.rateLimitWait == .milliseconds(1_500))
        #expect(summary.byKey[keyA]?.retries == 2)
        #expect(summary.byKey[keyB]?.rateLimitWait == .milliseconds(500))
        #expect(summary.byModel["gpt-4o"]?.rateLimitWait == .milliseconds(500))
        #expect(summary.totals.requests == 0)
        #expect(summary.cost == .zero)
    }

    @Test("prices a known model exactly, from cached, uncached and output tokens")
    func costOfKnownModel() {
        let tracker = UsageTracker()
        // 1,000,000 input of which 400,000 cached, 100,000 output on gpt-4o-mini ($0.15 / $0.075 / $0.60):
        // 600,000 × 0.15 + 400,000 × 0.075 + 100,000 × 0.60 per million = 0.09 + 0.03 + 0.06 = $0.18
        tracker.handle(
            usageTestEvent(
                .requestSucceeded, model: "gpt-4o-mini",
                usage: Usage(inputTokens: 1_000_000, outputTokens: 100_000, cachedInputTokens: 400_000)))
        let summary = tracker.snapshot()
        #expect(summary.cost == Cost(nanodollars: 180_000_000))
        #expect(summary.cost?.description == "$0.180000")
        #expect(summary.unpricedModels.isEmpty)
        #expect(summary.byModel["gpt-4o-mini"]?.cost == summary.cost)
        #expect(summary.byKey[keyA]?.cost == summary.cost)
    }

    @Test("prices Anthropic cache writes and reads at their own rates")
    func anthropicCache() {
        let tracker = UsageTracker()
        // claude-sonnet-4-5: $3 input, $0.30 cache read, $3.75 cache write, $15 output per million.
        // input 10,000 = 2,000 uncached + 5,000 read + 3,000 written; output 1,000.
        // 2,000×3 + 5,000×0.30 + 3,000×3.75 + 1,000×15 = 6,000 + 1,500 + 11,250 + 15,000 µ$ = $0.03375
        tracker.handle(
            usageTestEvent(
                .requestSucceeded, model: "claude-sonnet-4-5-20250929",
                usage: Usage(
                    inputTokens: 10_000, outputTokens: 1_000, cachedInputTokens: 5_000, cacheCreationInputTokens: 3_000)
            ))
        #expect(tracker.snapshot().cost == Cost(nanodollars: 33_750_000))
    }

    @Test("an unknown model's cost is unknown, never $0, and a known part is still reported")
    func unknownModelCost() {
        let tracker = UsageTracker()
        tracker.handle(
            usageTestEvent(
                .requestSucceeded, model: "gpt-4o-mini", key: keyA,
                usage: Usage(inputTokens: 1_000, outputTokens: 1_000)))
        tracker.handle(
            usageTestEvent(
                .requestSucceeded, model: "my-local-llama", key: keyB,
                usage: Usage(inputTokens: 1_000, outputTokens: 1_000)))
        tracker.handle(usageTestEvent(.requestFailed, model: "also-unknown-but-no-tokens", key: keyA))

        let summary = tracker.snapshot()
        #expect(summary.cost == nil)
        #expect(summary.unpricedModels == ["my-local-llama"])
        #expect(summary.totals.pricedCost == Cost(nanodollars: 750_000))  // 1,000×0.15 + 1,000×0.60 µ$
        #expect(summary.byModel["my-local-llama"]?.cost == nil)
        #expect(summary.byModel["my-local-llama"]?.unpricedModels == ["my-local-llama"])
        #expect(summary.byModel["also-unknown-but-no-tokens"]?.cost == .zero)
        #expect(summary.byKey[keyA]?.cost == Cost(nanodollars: 750_000))
        #expect(summary.byKey[keyB]?.cost == nil)
    }

    @Test("a custom price table prices a model the default table does not know")
    func customPrices() {
        var prices = PriceTable.default
        prices["my-local-llama"] = ModelPrice(input: 0, output: 0)
        let tracker = UsageTracker(prices: prices)
        tracker.handle(
            usageTestEvent(.requestSucceeded, model: "my-local-llama", usage: Usage(inputTokens: 5, outputTokens: 5)))
        #expect(tracker.snapshot().cost == .zero)
        #expect(tracker.snapshot().unpricedModels.isEmpty)
    }

    @Test("events without a key id count in totals and per model, not per key")
    func noKey() {
        let tracker = UsageTracker()
        tracker.handle(usageTestEvent(.requestSucceeded, key: nil, usage: Usage(inputTokens: 1, outputTokens: 1)))
        let summary = tracker.snapshot()
        #expect(summary.totals.requests == 1)
        #expect(summary.byModel["gpt-4o-mini"]?.requests == 1)
        #expect(summary.byKey.isEmpty)
    }

    @Test("reset returns the totals it cleared and starts again from zero")
    func reset() {
        let tracker = UsageTracker()
        tracker.handle(usageTestEvent(.requestSucceeded, usage: Usage(inputTokens: 10, outputTokens: 5)))
        let cleared = tracker.reset()
        #expect(cleared.totals.inputTokens == 10)
        #expect(tracker.snapshot() == UsageSummary())
        tracker.handle(usageTestEvent(.requestSucceeded, usage: Usage(inputTokens: 1, outputTokens: 1)))
        #expect(tracker.snapshot().totals.inputTokens == 1)
    }

    @Test("concurrent handlers from many tasks lose no count")
    func concurrentHandle() async {
        let tracker = UsageTracker()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<500 {
                        let key = KeyID(rawValue: "key-\(task % 2)")
                        tracker.handle(
                            usageTestEvent(
                                .requestSucceeded, call: UInt64(task * 1_000 + index), key: key,
                                usage: Usage(inputTokens: 2, outputTokens: 1)))
                        tracker.handle(usageTestEvent(.retryScheduled, key: key))
                    }
                }
            }
        }
        let summary = tracker.snapshot()
        #expect(summary.totals.succeeded == 4_000)
        #expect(summary.totals.inputTokens == 8_000)
        #expect(summary.totals.retries == 4_000)
        #expect(summary.byKey[KeyID(rawValue: "key-0")]?.succeeded == 2_000)
    }
}
