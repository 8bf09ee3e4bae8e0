import Sluice
import Synchronization

/// A ``RateLimitStore`` in Redis, so that every process using a key obeys the key's limits together.
///
/// ```swift
/// let store = try RedisRateLimitStore(configuration: .init(url: "redis://127.0.0.1:6379/0"))
/// var limits = RateLimitMiddleware.Configuration(keys: [APIKey("sk-…", limits: RateLimits(requestsPerMinute: 500))])
/// limits.store = store
/// ```
///
/// Every operation is one Lua script run atomically on the server, on the server's clock (`TIME`),
/// so the clocks of the processes never matter: admission is one round trip, settlement one more
/// (sent without waiting; none at all when the charge did not change). A request that must wait is
/// charged at once and told how long to wait, so requests queue in arrival order across processes
/// and sleep until their turn instead of polling.
///
/// What is stored: per bucket set (a key, or a model on a key) one hash under
/// ``Configuration/keyPrefix`` named by a fingerprint (the first 16 hex digits of the SHA-256 of its
/// ``KeyID`` and model), holding levels, refill rates, capacities and a cooldown; and a short-lived
/// marker per settled reservation, so a settlement is applied once; and one `epoch` key that tells
/// whether Redis lost its data since the processes last used it. Never an API key: processes share
/// a key's limits when they name it alike (the same label, or no label and the same key).
///
/// - Important: When Redis cannot be reached or answers too slowly, ``Configuration/failurePolicy``
///   decides: ``FailurePolicy/fallBackToLocal(share:)`` limits in this process to a share of each
///   limit until Redis answers again; ``FailurePolicy/failClosed`` fails the call with
///   ``SluiceError/Code/rateLimitStoreUnavailable``. When Redis comes back without its data
///   (restarted, flushed), the bucket sets it lost start empty and refill, never full, for
///   ``Configuration/restartGrace``: the provider still counts what was spent before.
///   While requests are scheduled ahead on a bucket set, header corrections are skipped there (their
///   charges are already in the levels); a 429's cooldown holds every process.
public final class RedisRateLimitStore: RateLimitStore {
    /// What to do when Redis cannot be reached or answers too slowly.
    public enum FailurePolicy: Sendable, Hashable {
        /// Limit in this process, to `share` (0…1) of each configured limit, until Redis answers
        /// again; set it to 1 ÷ the number of processes sharing the keys.
        case fallBackToLocal(share: Double)
        /// Fail the call with ``SluiceError/Code/rateLimitStoreUnavailable``.
        case failClosed
    }

    public struct Configuration: RedisStoreConfiguration {
        public var redis: RedisConfiguration
        /// Prefix of every key the store writes. Default `sluice:rl`.
        public var keyPrefix: String = "sluice:rl"
        /// Default `.fallBackToLocal(share: 0.25)`.
        public var failurePolicy: FailurePolicy = .fallBackToLocal(share: 0.25)
        /// Connections to Redis (commands are pipelined on each). Default 2.
        public var connections: Int = 2
        /// For how long after Redis is found to have lost its data (restarted empty, flushed) the
        /// bucket sets it no longer has start empty rather than full. Default 60 s.
        public var restartGrace: Duration = .seconds(60)
        /// How long a concurrency permit (``RedisRateLimitStore/concurrencyPermits``) outlives its
        /// holder's last renewal: a process killed while holding permits frees them this long after.
        /// Live holders renew every third of it. Default 30 s.
        public var leaseLifetime: Duration = .seconds(30)
        /// Called on connection changes, fallbacks and script reloads, inside a call or not; must
        /// not block. (Those that happen while a call reserves also reach the call's event
        /// handlers as `rate_limit_store` events.)
        public var onEvent: (@Sendable (RateLimitStoreEvent) -> Void)?

        public init(redis: RedisConfiguration) {
            self.redis = redis
        }
    }

    private struct State {
        var fingerprints: [RateLimitBucketID: String] = [:]
        var cooldowns: [RateLimitBucketID: Duration] = [:]
        var waiting: [RateLimitBucketID: Int] = [:]
    }

    /// Settlements in flight and dropped (shared with the tasks that send them; the spend-budget
    /// store keeps its own).
    final class SettlementCounters: Sendable {
        let pending = Atomic<Int>(0)
        let dropped = Atomic<Int>(0)
    }


    public let configuration: Configuration
    /// The clock waits are slept on; only durations measured on it reach Redis.
    public let clock: any SluiceClock
    /// Per-key concurrency permits shared through the same Redis, for
    /// `LLMClient.Configuration.concurrencyStore`.
    public let concurrencyPermits: RedisConcurrencyPermits
    private let client: RedisClient
    private let fallback: RedisFallback
    private let local: InMemoryRateLimitStore
    private let state = Mutex(State())
    private let nextID = Atomic<UInt64>(0)
    private let settlements = SettlementCounters()
    private let instance: String
    private let hasUsedRedis = Atomic(false)
    private let epochKey: String

    /// Settlements sent and not yet answered, at most; more are dropped (and counted).
    static let maxPendingSettlements = 10_000
    /// How long Redis remembers that a reservation was settled.
    static let settlementMarkerLifetime = "300000"
    private static let redisReservation: UInt64 = 1 << 63

    public init(configuration: Configuration, clock: any SluiceClock = SystemClock.shared) {
        self.configuration = configuration
        self.clock = clock
        self.local = InMemoryRateLimitStore(clock: clock)
        self.instance = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let onEvent = configuration.onEvent
        self.epochKey = configuration.keyPrefix + ":epoch"
        self.client = .reporting(to: onEvent, configuration: configuration.redis, connections: configuration.connections)
        self.fallback = RedisFallback(onEvent: onEvent)
        self.concurrencyPermits = RedisConcurrencyPermits(
            client: client, fallback: fallback, configuration: configuration, clock: clock)
    }

    /// Closes the connections to Redis.
    public func close() async { await client.close() }

    /// Settlements dropped because Redis could not take them (the budget they would have corrected
    /// stays as reserved).
    public var droppedSettlementCount: Int { settlements.dropped.load(ordering: .relaxed) }

    // MARK: RateLimitStore

    /// Where the events of the reservation in progress on this task go, besides the configured callback.
    @TaskLocal static var callReporter: (@Sendable (RateLimitStoreEvent) -> Void)?

    public nonisolated(nonsending) func reserve(_ request: RateLimitReservationRequest) async throws -> RateLimitReservation {
        guard let reporter = request.onStoreEvent else { return try await reserveReporting(request) }
        return try await Self.$callReporter.withValue(reporter) { try await reserveReporting(request) }
    }

    private nonisolated(nonsending) func reserveReporting(_ request: RateLimitReservationRequest) async throws
        -> RateLimitReservation
    {
        guard !request.candidates.isEmpty else { throw SluiceError.noUsableKeyForRequest }
        let start = clock.now
        var accept = request.maxWait.map(\.microseconds) ?? -1
        if let deadline = request.deadline {
            let left = max(.zero, deadline - start).microseconds
            accept = accept < 0 ? left : min(accept, left)
        }
        let keys = request.candidates.map { key(for: $0.bucket) }
        let cost = request.cost
        var arguments = RateLimitDimension.every.map { String(max(0, cost[$0])) }
        arguments.append(String(accept))
        arguments.append(hasUsedRedis.load(ordering: .relaxed) ? "1" : "0")
        arguments.append(String(request.safetyMargin.fractionOfCapacity))
        arguments.append(String(request.safetyMargin.refillTime.rateLimitSeconds))
        arguments.append(String(configuration.restartGrace.microseconds))
        for candidate in request.candidates {
            for dimension in RateLimitDimension.every {
                if let limit = dimension.limit(in: candidate.limits), limit.capacity > 0 {
                    arguments.append(String(Double(limit.perMinute) / 60))
                    arguments.append(String(limit.capacity))
                } else {
                    arguments.append("0")
                    arguments.append("0")
                }
            }
        }
        let reply: RESPValue
        do {
            reply = try await client.evaluate(RedisScript.reserve, keys: keys + [epochKey], arguments: arguments)
        } catch let error as RedisError {
            return try await fallBack(request, after: error)
        }
        let replied = clock.now
        hasUsedRedis.store(true, ordering: .relaxed)
        fallback.leave()
        guard let fields = reply.array, let code = fields.first?.integer else {
            throw SluiceError(.rateLimitStoreUnavailable, "the rate-limit script answered \(reply)")
        }
        let value = { (index: Int) -> Int64 in index < fields.count ? fields[index].integer ?? 0 : 0 }
        let candidate = Int(clamping: value(1)) - 1
        guard code == -2 || request.candidates.indices.contains(candidate) else {
            throw SluiceError(.rateLimitStoreUnavailable, "the rate-limit script answered \(reply)")
        }
        switch code {
        case -1:
            let dimension = RateLimitDimension.every[Int(clamping: max(1, min(4, value(2)))) - 1]
            throw SluiceError.requestTooLarge(
                needs: cost[dimension], of: dimension, bucket: request.candidates[candidate].bucket, capacity: Int(clamping: value(3)))
        case -2:
            throw SluiceError.noUsableKeyForRequest
        case 0:
            let bucket = request.candidates[candidate].bucket
            let wait = Duration.microseconds(value(2))
            if let deadline = request.deadline, start + wait > deadline {
                throw SluiceError.waitExceedsDeadline(bucket: bucket, wait: wait, left: deadline - start)
            }
            throw SluiceError.wouldWait(bucket: bucket, wait: wait, maxWait: request.maxWait ?? .zero)
        default:
            break
        }
        let bucket = request.candidates[candidate].bucket
        var reservation = RateLimitReservation(
            id: .init(rawValue: Self.redisReservation | nextID.add(1, ordering: .relaxed).newValue),
            bucket: bucket, cost: cost, admittedAt: start, ledgerMark: .zero)
        let wait = Duration.microseconds(value(2))
        if wait > .zero {
            reservation.queued = true
            request.onWait?(RateLimitWaitNotice(bucket: bucket, delay: wait, reason: Self.reason(value(3))))
            // Measured from the reply, not the request: Redis's clock started the wait at some point
            // between the two, and waking late by up to a round trip is safe where early is not.
            try await sleep(until: replied + wait, holding: reservation)
            // A 429 seen by another process while this one slept cools it too.
            let left = try? await client.evaluate(RedisScript.cooldown, keys: [keys[candidate]], arguments: ["0"])
            if let left = left?.integer, left > 0 {
                try await sleep(until: clock.now + .microseconds(left), holding: reservation)
            }
        }
        if let until = state.withLock({ $0.cooldowns[bucket] }), until > clock.now {
            reservation.queued = true
            try await sleep(until: until, holding: reservation)
        }
        reservation.admittedAt = clock.now
        return reservation
    }

    public func settle(_ reservation: RateLimitReservation, charge: RateLimitCost) {
        guard reservation.id.rawValue & Self.redisReservation != 0 else {
            local.settle(reservation, charge: charge)
            return
        }
        let deltas = RateLimitDimension.every.map { charge[$0].saturatingSubtracting(reservation.cost[$0]) }
        guard deltas.contains(where: { $0 != 0 }) else { return }
        let counters = settlements
        guard counters.pending.add(1, ordering: .relaxed).newValue <= Self.maxPendingSettlements else {
            counters.pending.subtract(1, ordering: .relaxed)
            counters.dropped.add(1, ordering: .relaxed)
            return
        }
        let hash = key(for: reservation.bucket)
        let keys = [hash, hash + ":s:" + instance + "-" + String(reservation.id.rawValue & ~Self.redisReservation, radix: 36)]
        let arguments = deltas.map(String.init) + [Self.settlementMarkerLifetime]
        let client = self.client
        Task {
            defer { counters.pending.subtract(1, ordering: .relaxed) }
            // The marker makes a second attempt safe when the first one's fate is unknown.
            for attempt in 0..<2 {
                if attempt > 0 { try? await Task.sleep(for: RedisClient.initialBackoff * 5) }
                if (try? await client.evaluate(RedisScript.settle, keys: keys, arguments: arguments)) != nil { return }
            }
            counters.dropped.add(1, ordering: .relaxed)
        }
    }

    @discardableResult
    public nonisolated(nonsending) func sync(_ reservation: RateLimitReservation, with observation: RateLimitObservation) async -> Bool {
        guard reservation.id.rawValue & Self.redisReservation != 0 else {
            return await local.sync(reservation, with: observation)
        }
        var arguments = [String(max(.zero, clock.now - reservation.admittedAt).microseconds)]
        for dimension in RateLimitDimension.every { arguments.append(String(observation.remaining[dimension].map { max(0, $0) } ?? -1)) }
        let reply = try? await client.evaluate(RedisScript.sync, keys: [key(for: reservation.bucket)], arguments: arguments)
        return reply?.integer == 1
    }

    public nonisolated(nonsending) func cooldown(_ bucket: RateLimitBucketID, until: Duration) async {
        state.withLock { state in
            if (state.cooldowns[bucket] ?? .zero) < until { state.cooldowns[bucket] = until }
        }
        await local.cooldown(bucket, until: until)
        let length = max(.zero, until - clock.now).microseconds
        _ = try? await client.evaluate(RedisScript.cooldown, keys: [key(for: bucket)], arguments: [String(length)])
    }

    public nonisolated(nonsending) func state(of bucket: RateLimitBucketID) async -> RateLimitBucketState? {
        let now = clock.now
        let waiting = state.withLock { $0.waiting[bucket] ?? 0 }
        guard let reply = try? await client.evaluate(RedisScript.state, keys: [key(for: bucket)], arguments: []),
            let fields = reply.array, fields.count == 7, fields[0].integer == 1
        else { return await local.state(of: bucket) }
        var available: [RateLimitDimension: Double] = [:]
        for (index, dimension) in RateLimitDimension.every.enumerated() {
            if let text = fields[3 + index].string, let level = Double(text) { available[dimension] = level }
        }
        let cooling = fields[1].integer ?? 0
        return RateLimitBucketState(
            available: available, cooldownUntil: cooling > 0 ? now + .microseconds(cooling) : nil, waiting: waiting)
    }

    // MARK: Helpers

    /// The Redis key of a bucket set: the prefix and a fingerprint, in braces (one cluster slot).
    func key(for bucket: RateLimitBucketID) -> String {
        if let known = state.withLock({ $0.fingerprints[bucket] }) { return known }
        let name = Array(bucket.keyID.rawValue.utf8) + [0] + Array((bucket.model ?? "").utf8)
        let key = configuration.keyPrefix + ":{" + String(SHA256.hex(name).prefix(16)) + "}"
        state.withLock { state in
            if state.fingerprints.count >= 10_000 { state.fingerprints.removeAll() }
            state.fingerprints[bucket] = key
        }
        return key
    }

    /// Sleeps until `until` on the clock; cancelled, gives the reservation back and throws.
    private nonisolated(nonsending) func sleep(until: Duration, holding reservation: RateLimitReservation) async throws {
        state.withLock { $0.waiting[reservation.bucket, default: 0] += 1 }
        defer {
            state.withLock { state in
                state.waiting[reservation.bucket, default: 1] -= 1
                if state.waiting[reservation.bucket] == 0 { state.waiting[reservation.bucket] = nil }
            }
        }
        do {
            try await clock.sleep(until: until)
        } catch {
            settle(reservation, charge: .zero)
            throw CancellationError()
        }
    }

    private nonisolated(nonsending) func fallBack(_ request: RateLimitReservationRequest, after error: RedisError) async throws
        -> RateLimitReservation
    {
        switch configuration.failurePolicy {
        case .failClosed:
            throw SluiceError(.rateLimitStoreUnavailable, "the shared rate-limit store failed: \(error)", cause: error)
        case .fallBackToLocal(let share):
            fallback.enter(after: error)
            var request = request
            request.candidates = request.candidates.map { candidate in
                var candidate = candidate
                candidate.limits = candidate.limits.scaled(by: share)
                return candidate
            }
            return try await local.reserve(request)
        }
    }

    static func report(_ event: RateLimitStoreEvent, to callback: (@Sendable (RateLimitStoreEvent) -> Void)?) {
        callback?(event)
        callReporter?(event)
    }

    private static func reason(_ code: Int64) -> RateLimitWaitNotice.Reason {
        switch code {
        case 1...4: RateLimitWaitNotice.Reason(RateLimitDimension.every[Int(code) - 1])
        case 5: .cooldown
        default: .queue
        }
    }
}

extension RateLimits {
    /// Each limit and burst times `share` (0…1), at least 1 where set.
    func scaled(by share: Double) -> RateLimits {
        let share = share.isFinite ? min(1, max(0, share)) : 1
        func scale(_ value: Int?) -> Int? { value.map { Swift.max(1, Int((Double($0) * share).rounded(.down))) } }
        return RateLimits(
            requestsPerMinute: scale(requestsPerMinute), tokensPerMinute: scale(tokensPerMinute),
            inputTokensPerMinute: scale(inputTokensPerMinute), outputTokensPerMinute: scale(outputTokensPerMinute),
            requestBurst: scale(requestBurst), tokenBurst: scale(tokenBurst), inputTokenBurst: scale(inputTokenBurst),
            outputTokenBurst: scale(outputTokenBurst))
    }
}

extension Duration {
    /// Whole microseconds, saturating.
    var microseconds: Int64 { nanosecondsClamped / 1000 }
}
