import Sluice
import Synchronization

/// Per-key concurrency permits shared through Redis: leases that expire unless their holder renews
/// them, so a process killed while holding permits frees them after ``RedisRateLimitStore/Configuration/leaseLifetime``.
///
/// Get one from a store (it shares the store's connections, prefix, failure policy and events):
///
/// ```swift
/// let store = RedisRateLimitStore(configuration: try .init(url: "redis://127.0.0.1:6379/0"))
/// var configuration = LLMClient.Configuration.anthropic(apiKey: key)
/// configuration.concurrency = ConcurrencyLimits(maxConcurrentRequestsPerKey: 8)
/// configuration.concurrencyStore = store.concurrencyPermits
/// ```
///
/// Each key's leases are one sorted set in Redis (member: the lease, score: its expiry on the
/// server's clock); taking a lease first drops the expired ones. A caller that finds every permit
/// taken sleeps and tries again, starting at 2 ms and backing off to 25 ms (never sooner than
/// needed, never longer than the earliest lease's expiry), so waiting is cheap but not strictly
/// first-in, first-out across processes. One task per store renews every lease it holds, a round
/// trip per key each third of the lifetime.
public final class RedisConcurrencyPermits: ConcurrencyPermitStore {
    private struct Held: Sendable {
        var set: String
        var member: String
    }

    /// The leases held and the local fallback's counts (shared with the renewal task).
    private final class Book: Sendable {
        struct State {
            var held: [UInt64: Held] = [:]
            var renewing = false
            var local: [KeyID?: Int] = [:]
        }

        let state = Mutex(State())
    }

    private let client: RedisClient
    private let fallback: RedisFallback
    private let configuration: RedisRateLimitStore.Configuration
    private let clock: any SluiceClock
    private let book = Book()
    private let nextID = Atomic<UInt64>(0)
    private let instance = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    private static let redisLease: UInt64 = 1 << 63

    init(client: RedisClient, fallback: RedisFallback, configuration: RedisRateLimitStore.Configuration, clock: any SluiceClock) {
        self.client = client
        self.fallback = fallback
        self.configuration = configuration
        self.clock = clock
    }

    /// Leases this process holds in Redis now.
    public var heldCount: Int { book.state.withLock { $0.held.count } }

    public nonisolated(nonsending) func acquire(key: KeyID?, limit: Int, deadline: Duration?) async throws -> ConcurrencyLease {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let set = setKey(for: key)
        let member = instance + "-" + String(id, radix: 36)
        let lifetime = String(max(1, configuration.leaseLifetime.microseconds / 1000))
        var pause = Duration.milliseconds(2)
        while true {
            try Task.checkCancellation()
            var hint = Duration.milliseconds(25)
            do {
                let reply = try await client.evaluate(Self.acquireLease, keys: [set], arguments: [member, String(max(1, limit)), lifetime])
                fallback.leave()
                let fields = reply.array ?? []
                if fields.first?.integer == 1 {
                    hold(id: id, Held(set: set, member: member))
                    return ConcurrencyLease(id: Self.redisLease | id, key: key)
                }
                if fields.count > 1, let left = fields[1].integer { hint = .milliseconds(max(1, left)) }
            } catch let error as RedisError {
                switch configuration.failurePolicy {
                case .failClosed:
                    throw SluiceError(.rateLimitStoreUnavailable, "the shared concurrency permits failed: \(error)", cause: error)
                case .fallBackToLocal(let share):
                    fallback.enter(after: error)
                    let local = max(1, Int((Double(limit) * min(1, max(0, share.isFinite ? share : 1))).rounded(.down)))
                    let taken = book.state.withLock { state in
                        guard state.local[key, default: 0] < local else { return false }
                        state.local[key, default: 0] += 1
                        return true
                    }
                    if taken { return ConcurrencyLease(id: id, key: key) }
                }
            }
            let now = clock.now
            if let deadline, now >= deadline {
                throw SluiceError(
                    .permitWaitExceedsDeadline,
                    "the call's deadline passed while it waited for one of \(limit) concurrency permits shared through Redis")
            }
            var sleep = min(pause, hint)
            if let deadline { sleep = min(sleep, deadline - now) }
            try await clock.sleep(for: sleep)
            pause = min(pause * 2, .milliseconds(25))
        }
    }

    public func release(_ lease: ConcurrencyLease) {
        guard lease.id & Self.redisLease != 0 else {
            book.state.withLock { state in
                let left = state.local[lease.key, default: 1] - 1
                state.local[lease.key] = left > 0 ? left : nil
            }
            return
        }
        guard let held = book.state.withLock({ $0.held.removeValue(forKey: lease.id & ~Self.redisLease) }) else { return }
        let client = self.client
        Task { _ = try? await client.evaluate(Self.releaseLease, keys: [held.set], arguments: [held.member]) }
    }

    // MARK: Helpers

    private func setKey(for key: KeyID?) -> String {
        let name = Array("concurrency".utf8) + [0] + Array((key?.rawValue ?? "").utf8)
        return configuration.keyPrefix + ":{" + String(SHA256.hex(name).prefix(16)) + "}:c"
    }

    private func hold(id: UInt64, _ held: Held) {
        let startRenewal = book.state.withLock { state in
            state.held[id] = held
            defer { state.renewing = true }
            return !state.renewing
        }
        guard startRenewal else { return }
        let book = self.book
        let client = self.client
        let clock = self.clock
        let lifetime = configuration.leaseLifetime
        Task {
            while true {
                try? await clock.sleep(for: lifetime / 3)
                let bySet: [String: [String]]? = book.state.withLock { state in
                    if state.held.isEmpty {
                        state.renewing = false
                        return nil
                    }
                    return Dictionary(grouping: state.held.values, by: \.set).mapValues { $0.map(\.member) }
                }
                guard let bySet else { return }
                let milliseconds = String(max(1, lifetime.microseconds / 1000))
                for (set, members) in bySet {
                    _ = try? await client.evaluate(Self.renewLeases, keys: [set], arguments: [milliseconds] + members)
                }
            }
        }
    }

    // MARK: Scripts

    private static let acquireLease = RedisScript(acquireScript)
    private static let releaseLease = RedisScript(releaseScript)
    private static let renewLeases = RedisScript(renewScript)

    private static let clockPrelude = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

        """

    /// KEYS: the key's lease set. ARGV: the lease, the limit, the lifetime (ms). Returns `{1}` when
    /// taken, `{0, ms until the earliest lease expires}` when every permit is held.
    static let acquireScript = clockPrelude + """
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        local lifetime = tonumber(ARGV[3])
        if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
          redis.call('ZADD', KEYS[1], now + lifetime, ARGV[1])
          if redis.call('PTTL', KEYS[1]) < lifetime * 2 then redis.call('PEXPIRE', KEYS[1], lifetime * 2) end
          return {1}
        end
        local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        return {0, math.max(1, tonumber(first[2]) - now)}
        """

    /// KEYS: the key's lease set. ARGV: the lease.
    static let releaseScript = """
        return redis.call('ZREM', KEYS[1], ARGV[1])
        """

    /// KEYS: the key's lease set. ARGV: the lifetime (ms), then the leases to extend (those that
    /// expired meanwhile are not brought back). Returns how many were extended.
    static let renewScript = clockPrelude + """
        local lifetime = tonumber(ARGV[1])
        local renewed = 0
        for i = 2, #ARGV do
          if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
            redis.call('ZADD', KEYS[1], 'XX', now + lifetime, ARGV[i])
            renewed = renewed + 1
          end
        end
        if renewed > 0 then redis.call('PEXPIRE', KEYS[1], lifetime * 2) end
        return renewed
        """
}
