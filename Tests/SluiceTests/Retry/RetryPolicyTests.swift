import Sluice
import Testing

@Suite("RetryPolicy")
struct RetryPolicyTests {
    @Test("defaults match the SDKs: 3 attempts, 0.5 s doubling to 8 s, full jitter, 60 s server cap")
    func defaults() {
        let policy = RetryPolicy.default
        #expect(policy.maxAttempts == 3)
        #expect(policy.initialBackoff == .milliseconds(500))
        #expect(policy.maxBackoff == .seconds(8))
        #expect(policy.backoffMultiplier == 2)
        #expect(policy.jitter == .full)
        #expect(policy.maxServerDelay == .seconds(60))
        #expect(policy.retryableStatuses == [408, 409, 429, 500, 502, 503, 504, 529])
    }

    @Test("the backoff base grows by the multiplier and stops at maxBackoff")
    func backoffBase() throws {
        let policy = try RetryPolicy(maxAttempts: 10, initialBackoff: .milliseconds(500), maxBackoff: .seconds(3), jitter: .none)
        let bases = (1...6).map { policy.backoff(forRetry: $0, random: 0.9) }
        #expect(bases == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(3), .seconds(3), .seconds(3)])
    }

    @Test("full jitter draws below the base, equal jitter between half the base and the base")
    func jitterBounds() throws {
        let policy = try RetryPolicy(initialBackoff: .seconds(2))
        #expect(policy.backoff(forRetry: 1, random: 0) == .zero)
        #expect(policy.backoff(forRetry: 1, random: 0.25) == .milliseconds(500))
        #expect(RetryPolicy.Jitter.equal.apply(to: .seconds(2), random: 0) == .seconds(1))
        #expect(RetryPolicy.Jitter.equal.apply(to: .seconds(2), random: 0.5) == .milliseconds(1500))
        // A seeded generator's draws stay within the bounds.
        var generator = SplitMix64(seed: 42)
        for retry in 1...8 {
            let random = Double(generator.next() >> 11) / Double(1 << 53)
            let base = policy.backoffBase(forRetry: retry)
            let full = RetryPolicy.Jitter.full.apply(to: base, random: random)
            let equal = RetryPolicy.Jitter.equal.apply(to: base, random: random)
            #expect(full >= .zero && full < base)
            #expect(equal >= base / 2 && equal < base)
        }
    }

    @Test("an invalid policy is refused with invalidConfiguration")
    func validation() {
        #expect(throws: SluiceError.self) { try RetryPolicy(maxAttempts: 0) }
        #expect(throws: SluiceError.self) { try RetryPolicy(initialBackoff: .zero) }
        #expect(throws: SluiceError.self) { try RetryPolicy(initialBackoff: .seconds(2), maxBackoff: .seconds(1)) }
        #expect(throws: SluiceError.self) { try RetryPolicy(backoffMultiplier: 0.5) }
        #expect(throws: SluiceError.self) { try RetryPolicy(maxServerDelay: .seconds(-1)) }
        do {
            _ = try RetryPolicy(maxAttempts: 0)
        } catch {
            #expect(error.code == .invalidConfiguration)
        }
    }
}

/// A small seeded generator, so jitter draws are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
