@testable import Sluice
import Testing

/// Seeded random interleavings of what happens to a key's calls, checked against the header
/// correction (``RateLimitBucketSet/correct(_:with:now:)``) in every dimension at once (requests,
/// tokens, Anthropic input and output tokens).
///
/// The client admits calls through the bucket core. A simulated provider counts each call when it
/// processes it, in any order (a server handling requests concurrently), and reports what it has
/// left as of then, rounded down to a unit (1, or a coarse unit as Anthropic's rounded token
/// counts); its replies come back in any order and each one corrects the client's buckets. In half
/// the runs other consumers spend the same key at the provider (as much as it has left). The
/// provider's bucket refills to its capacity like the client's and counts every call of the client
/// (a refusal would be a 429: the backstop, outside this model), so its level may go below zero.
///
/// What is provably true of the rule (lower to the reported remaining plus the refill since the
/// call's admission), and checked after every step:
/// - a correction never raises a bucket;
/// - the client's level plus the calls it admitted that the provider has not counted yet is never
///   below the provider's true remaining by more than the rounding unit: a correction throws no
///   capacity away (the uncounted calls are among the unanswered ones, so the level is never below
///   the true remaining by more than the unanswered calls);
/// - with no other consumer, the client's level plus the calls admitted but not yet counted is never
///   above the provider's true remaining, but for the refill the provider lost to a full bucket
///   while calls were in flight (the local model's own error, which the safety margin covers):
///   corrections add nothing to it, so they introduce no 429;
/// - once every call is counted and answered, the client's level is at most the provider's true
///   remaining plus the refill during the last call's round trip: what others spent is caught.
@Suite("Rate-limit header correction properties")
struct RateLimitCorrectionPropertyTests {
    typealias SeededRandom = RateLimitPropertyTests.SeededRandom

    /// The provider's view of a key: a bucket per dimension, refilled to capacity, that counts
    /// every call it processes (and what other consumers spend).
    struct Provider {
        var perSecond: [RateLimitDimension: Double]
        var capacity: [RateLimitDimension: Double]
        var level: [RateLimitDimension: Double]
        var at = 0.0
        /// Whether the client has calls the provider has not counted yet (set by the simulation).
        var callsInFlight = false
        /// The refill lost to a full bucket while the client had calls in flight: the client, which
        /// charged them earlier, may gain it (the safety margin is there for this).
        var lostWhileInFlight: [RateLimitDimension: Double] = [:]

        mutating func refill(at time: Double) {
            for (dimension, rate) in perSecond {
                let filled = level[dimension]! + max(0, time - at) * rate
                if callsInFlight, filled > capacity[dimension]! {
                    lostWhileInFlight[dimension, default: 0] += filled - max(level[dimension]!, capacity[dimension]!)
                }
                level[dimension] = min(capacity[dimension]!, filled)
            }
            at = max(at, time)
        }

        mutating func count(_ cost: RateLimitCost, at time: Double) {
            refill(at: time)
            for dimension in perSecond.keys { level[dimension]! -= Double(cost[dimension]) }
        }

        /// Another consumer spends up to `cost`, what the provider has left (it refuses the rest).
        mutating func spend(_ cost: RateLimitCost, at time: Double) {
            refill(at: time)
            for dimension in perSecond.keys {
                level[dimension]! -= min(Double(cost[dimension]), max(0, level[dimension]!))
            }
        }

        /// What a reply reports: whole units left as of now, rounded down to `unit`.
        func remaining(unit: [RateLimitDimension: Int]) -> RateLimitObservation.Remaining {
            func reported(_ dimension: RateLimitDimension) -> Int {
                let units = max(0, Int((level[dimension]! + 1e-9).rounded(.down)))
                return units / unit[dimension]! * unit[dimension]!
            }
            return .init(
                requests: reported(.requests), tokens: reported(.tokens), inputTokens: reported(.inputTokens),
                outputTokens: reported(.outputTokens))
        }
    }

    struct Call {
        var reservation: RateLimitReservation
        var cost: RateLimitCost
        var counted: RateLimitObservation.Remaining?
    }

    @Test("a correction never raises a bucket, never wastes capacity, introduces no 429 and catches what others spent", arguments: Array(UInt64(1)...40))
    func correctionIsSound(seed: UInt64) {
        var random = SeededRandom(state: seed &* 7_919)
        let othersSpend = seed % 2 == 0
        let coarse = seed % 3 == 0
        let limits = RateLimits(
            requestsPerMinute: 150, tokensPerMinute: 60_000, inputTokensPerMinute: 40_000, outputTokensPerMinute: 12_000,
            requestBurst: seed % 4 == 0 ? 20 : nil)
        let bucketID = RateLimitBucketID(keyID: KeyID(rawValue: "k"))
        var set = RateLimitBucketSet(limits: limits, margin: .default, now: .zero)
        var provider = Provider(perSecond: [:], capacity: [:], level: [:])
        var unit: [RateLimitDimension: Int] = [:]
        for dimension in RateLimitDimension.every {
            let bucket = set[bucket: dimension]!
            provider.perSecond[dimension] = bucket.perSecond
            provider.capacity[dimension] = bucket.capacity
            provider.level[dimension] = bucket.capacity
            unit[dimension] = coarse && dimension != .requests ? 1_000 : 1
        }

        var calls: [Call] = []
        var uncounted: [Int] = []
        var unanswered: [Int] = []
        var time = 0.0
        var corrections = 0

        func level(_ dimension: RateLimitDimension) -> Double { set[bucket: dimension]!.level }

        /// The invariants that hold after every step.
        func check(_ step: Int) {
            var inFlight = RateLimitCost.zero
            for index in uncounted {
                for dimension in RateLimitDimension.every { inFlight[dimension] += calls[index].cost[dimension] }
            }
            for dimension in RateLimitDimension.every {
                let local = level(dimension)
                let truth = provider.level[dimension]!
                let pending = Double(inFlight[dimension])
                #expect(
                    local + pending >= truth - Double(unit[dimension]!) - 1e-6,
                    "seed \(seed), step \(step), \(dimension): level \(local) + \(pending) uncounted is below the provider's \(truth)")
                if !othersSpend {
                    let lost = provider.lostWhileInFlight[dimension, default: 0]
                    #expect(
                        local + pending <= truth + lost + 1e-6,
                        "seed \(seed), step \(step), \(dimension): level \(local) + \(pending) uncounted is above the provider's \(truth) + \(lost)")
                }
            }
        }

        func answer(_ index: Int, step: Int) {
            let now = Duration.rateLimitSeconds(time)
            set.refill(at: now)
            let before = Dictionary(uniqueKeysWithValues: RateLimitDimension.every.map { ($0, level($0)) })
            if set.correct(calls[index].reservation, with: calls[index].counted!, now: now) { corrections += 1 }
            for dimension in RateLimitDimension.every {
                #expect(level(dimension) <= before[dimension]! + 1e-9, "seed \(seed), step \(step): \(dimension) was raised")
            }
        }

        for step in 0..<1_500 {
            time += random.next() % 8 == 0 ? Double.random(in: 0...1.5, using: &random) : Double.random(in: 0...0.03, using: &random)
            let now = Duration.rateLimitSeconds(time)
            provider.callsInFlight = !uncounted.isEmpty
            provider.refill(at: time)
            set.refill(at: now)
            switch random.next() % 10 {
            case 0...3:
                // The client admits a call when its buckets allow.
                let input = Int.random(in: 20...400, using: &random)
                let output = Int.random(in: 16...200, using: &random)
                let cost = RateLimitCost(requests: 1, tokens: input + output, inputTokens: input, outputTokens: output)
                guard set.readyTime(for: cost, after: .zero, now: now) <= now else { break }
                let reservation = set.admit(cost, id: UInt64(calls.count), bucketID: bucketID, now: now)
                calls.append(Call(reservation: reservation, cost: cost))
                uncounted.append(calls.count - 1)
            case 4...6:
                // The provider processes one of the calls it has received, not necessarily the oldest.
                guard !uncounted.isEmpty else { break }
                let index = uncounted.remove(at: Int.random(in: 0..<uncounted.count, using: &random))
                provider.count(calls[index].cost, at: time)
                calls[index].counted = provider.remaining(unit: unit)
                unanswered.append(index)
            case 7...8:
                // One of the processed calls' replies arrives, not necessarily in order.
                guard !unanswered.isEmpty else { break }
                answer(unanswered.remove(at: Int.random(in: 0..<unanswered.count, using: &random)), step: step)
            default:
                // Other consumers spend the key.
                guard othersSpend else { break }
                provider.spend(
                    RateLimitCost(requests: Int.random(in: 0...3, using: &random), tokens: Int.random(in: 0...3_000, using: &random),
                        inputTokens: Int.random(in: 0...2_000, using: &random), outputTokens: Int.random(in: 0...600, using: &random)),
                    at: time)
            }
            check(step)
        }

        // Quiet down: one more call once the buckets allow it, then the provider processes the
        // rest in order, the last call last, and every reply arrives (in any order).
        let cost = RateLimitCost(requests: 1, tokens: 300, inputTokens: 200, outputTokens: 100)
        time = max(time, set.readyTime(for: cost, after: .zero, now: .rateLimitSeconds(time)).rateLimitSeconds)
        provider.callsInFlight = !uncounted.isEmpty
        provider.refill(at: time)
        set.refill(at: .rateLimitSeconds(time))
        calls.append(Call(reservation: set.admit(cost, id: UInt64(calls.count), bucketID: bucketID, now: .rateLimitSeconds(time)), cost: cost))
        uncounted.append(calls.count - 1)
        provider.callsInFlight = true
        for index in uncounted {
            time += 0.01
            provider.count(calls[index].cost, at: time)
            calls[index].counted = provider.remaining(unit: unit)
            unanswered.append(index)
        }
        uncounted = []
        provider.callsInFlight = false
        let last = calls[calls.count - 1]
        time += 0.01
        provider.refill(at: time)
        while !unanswered.isEmpty {
            answer(unanswered.remove(at: Int.random(in: 0..<unanswered.count, using: &random)), step: -1)
            check(-1)
        }
        // The last reply reported at most the provider's remaining now (only refill came after it;
        // a provider below zero, having counted more than it holds, reports zero).
        let roundTrip = time - last.reservation.admittedAt.rateLimitSeconds
        for dimension in RateLimitDimension.every {
            let bound = max(0, provider.level[dimension]!) + roundTrip * provider.perSecond[dimension]! + 1e-6
            #expect(level(dimension) <= bound, "seed \(seed), \(dimension): level \(level(dimension)) after the last reply, bound \(bound)")
        }
        #expect(calls.count > 50, "seed \(seed): only \(calls.count) calls admitted")
        if othersSpend { #expect(corrections > 0, "seed \(seed): no reply corrected anything") }
    }
}
