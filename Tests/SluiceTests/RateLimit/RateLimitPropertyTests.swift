@testable import Sluice
import Testing

/// Seeded random traffic through the bucket core: what it admits stays within the limit in every
/// one-minute window, and a provider counting the same way (the mock server's bucket) would accept
/// every request even when they reach it a little early or late.
@Suite("Rate-limit properties")
struct RateLimitPropertyTests {
    /// SplitMix64, so a failing seed reproduces.
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// The provider's bucket, as the mock server counts: refill to capacity, admit if it holds enough.
    struct ProviderBucket {
        let perSecond: Double
        let capacity: Double
        var level: Double
        var at: Double = 0

        mutating func admit(_ amount: Double, at time: Double) -> Bool {
            level = min(capacity, level + max(0, time - at) * perSecond)
            at = max(at, time)
            guard level + 1e-6 >= amount else { return false }
            level -= amount
            return true
        }
    }

    @Test("admissions never exceed capacity plus a minute of refill in any one-minute window, and a provider with the same limits refuses none", arguments: Array(UInt64(1)...24))
    func neverOverAdmits(seed: UInt64) {
        var random = SeededRandom(state: seed)
        let perMinute = [600, 6_000, 40_000][Int(seed % 3)]
        let burst: Int? = seed % 4 == 0 ? perMinute / 10 : nil
        let limits = RateLimits(requestsPerMinute: 120, tokensPerMinute: perMinute, requestBurst: seed % 2 == 0 ? 5 : nil, tokenBurst: burst)
        let capacity = Double(burst ?? perMinute)
        let bucketID = RateLimitBucketID(keyID: KeyID(rawValue: "k"))
        var set = RateLimitBucketSet(limits: limits, margin: .default, now: .zero)

        // Requests arrive at random times (bursts and lulls), with random sizes up to the capacity.
        var arrival = 0.0
        var admitted: [(time: Double, tokens: Int)] = []
        var free = 0.0  // FIFO: a request is admitted no earlier than the one before it
        for _ in 0..<600 {
            arrival += random.next() % 5 == 0 ? Double.random(in: 0...20, using: &random) : Double.random(in: 0...0.2, using: &random)
            let tokens = Int.random(in: 1...Int(capacity), using: &random)
            let cost = RateLimitCost(requests: 1, tokens: tokens, inputTokens: tokens)
            let now = Duration.rateLimitSeconds(max(arrival, free))
            set.refill(at: now)
            let ready = set.readyTime(for: cost, after: .zero, now: now)
            set.refill(at: ready)
            _ = set.admit(cost, id: 0, bucketID: bucketID, now: ready)
            free = ready.rateLimitSeconds
            admitted.append((free, tokens))
        }

        // Window check: everything admitted in [t, t + 60 s) fits capacity + 60 s of refill.
        let allowed = capacity + Double(perMinute)
        var windowStart = 0
        var sum = 0
        for end in admitted.indices {
            sum += admitted[end].tokens
            while admitted[end].time - admitted[windowStart].time >= 60 {
                sum -= admitted[windowStart].tokens
                windowStart += 1
            }
            #expect(Double(sum) <= allowed + 1e-6, "seed \(seed): \(sum) tokens in a minute, limit \(allowed)")
        }

        // The provider sees each request up to 20 ms later than it was admitted (jitter reorders
        // nothing that the margin does not cover): it refuses none.
        var provider = ProviderBucket(perSecond: Double(perMinute) / 60, capacity: capacity, level: capacity)
        var refused = 0
        let arrivals = admitted.map { (time: $0.time + Double.random(in: 0...0.02, using: &random), tokens: $0.tokens) }
        for (time, tokens) in arrivals.sorted(by: { $0.time < $1.time }) {
            if !provider.admit(Double(tokens), at: time) { refused += 1 }
        }
        #expect(refused == 0, "seed \(seed): the provider refused \(refused) requests")
    }
}
