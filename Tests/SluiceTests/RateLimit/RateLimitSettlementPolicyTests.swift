import Testing

@testable import Sluice

@Suite("RateLimitSettlementPolicy and prompt-cache reads")
struct RateLimitSettlementPolicyTests {
    static let reserved = TokenEstimate(input: 10_000, maxOutput: 500)
    /// 10 000 prompt tokens: 9 000 read from the cache, 200 written, 800 uncached.
    static let cachedUsage = Usage(
        inputTokens: 10_000, outputTokens: 120, cachedInputTokens: 9_000, cacheCreationInputTokens: 200)

    @Test("Anthropic's default charges input less cache reads (writes included) and the real output")
    func anthropicDefault() {
        let charge = RateLimitSettlementPolicy.default(for: .anthropic).charge(Self.reserved, Self.cachedUsage)
        #expect(charge == TokenCharge(input: 1_000, output: 120))
    }

    @Test("without usage, or with a usage that reports no input, the reservation's input stands")
    func anthropicWithoutUsage() {
        let policy = RateLimitSettlementPolicy.refundUnusedOutputAndCacheReads
        #expect(policy.charge(Self.reserved, nil) == TokenCharge(input: 10_000, output: 500))
        #expect(policy.charge(Self.reserved, Usage(outputTokens: 7)) == TokenCharge(input: 10_000, output: 7))
    }

    @Test("a prompt larger than the estimate is charged up to what the limit counts")
    func anthropicChargedUp() {
        let usage = Usage(inputTokens: 12_000, outputTokens: 10, cachedInputTokens: 1_000)
        #expect(
            RateLimitSettlementPolicy.refundUnusedOutputAndCacheReads.charge(Self.reserved, usage)
                == TokenCharge(input: 11_000, output: 10))
    }

    @Test(
        "hostile counts saturate and never go below zero",
        arguments: [
            (Usage(inputTokens: 100, outputTokens: 1, cachedInputTokens: Int.max), TokenCharge(input: 0, output: 1)),
            (Usage(inputTokens: 100, outputTokens: 1, cachedInputTokens: -50), TokenCharge(input: 100, output: 1)),
            (
                Usage(inputTokens: Int.max, outputTokens: 1, cachedInputTokens: 1),
                TokenCharge(input: Int.max - 1, output: 1)
            ),
            (Usage(inputTokens: -5, outputTokens: -5, cachedInputTokens: 3), TokenCharge(input: 10_000, output: 0)),
        ]
    )
    func hostile(_ usage: Usage, _ expected: TokenCharge) {
        #expect(RateLimitSettlementPolicy.refundUnusedOutputAndCacheReads.charge(Self.reserved, usage) == expected)
    }

    @Test("OpenAI's default counts cached tokens: the admission charge stands")
    func openAIDefault() {
        let usage = Usage(inputTokens: 10_000, outputTokens: 120, cachedInputTokens: 9_000)
        #expect(
            RateLimitSettlementPolicy.default(for: .openAI).charge(Self.reserved, usage)
                == TokenCharge(input: 10_000, output: 500))
    }

    @Test("the rule is configurable: counting reads keeps the old charge, exact usage can leave them out")
    func configurable() {
        #expect(
            RateLimitSettlementPolicy.refundUnusedOutput(countingCacheReads: true).charge(
                Self.reserved, Self.cachedUsage)
                == TokenCharge(input: 10_000, output: 120))
        #expect(
            RateLimitSettlementPolicy.refundUnusedOutput.charge(Self.reserved, Self.cachedUsage)
                == TokenCharge(input: 10_000, output: 120))
        #expect(
            RateLimitSettlementPolicy.exactUsage(countingCacheReads: false).charge(Self.reserved, Self.cachedUsage)
                == TokenCharge(input: 1_000, output: 120))
        #expect(
            RateLimitSettlementPolicy.exactUsage(countingCacheReads: true).charge(Self.reserved, Self.cachedUsage)
                == TokenCharge(input: 10_000, output: 120))
    }
}
