import Sluice
import Synchronization

/// A ``CircuitBreakerStore`` in Redis, so that every replica's router shares each deployment's
/// circuit: failures seen by one replica open it for all, and the half-open probes are limited across
/// all of them.
///
/// ```swift
/// let breakers = RedisCircuitBreakerStore(configuration: try .init(url: "redis://127.0.0.1:6379/0"))
/// let router = try LLMRouter(deployments, breakerStore: breakers)
/// ```
///
/// Each admission and each outcome is one Lua script run atomically on the server, on the server's
/// clock, over one hash per deployment under ``Configuration/keyPrefix`` named by a fingerprint of the
/// deployment's name (the first 16 hex digits of its SHA-256). Routers share a circuit when they name
/// the deployment alike; give them the same ``CircuitBreakerPolicy``.
///
/// - Important: A probe whose process died is taken as lost after ``Configuration/probeLease``, and
///   another is let through. When Redis cannot be reached or answers nonsense, the circuits are kept
///   in this process (an ``InMemoryCircuitBreakerStore``) until it answers again, with a
///   `store_fallback_entered` event, so an outage of Redis never blocks calls.
public final class RedisCircuitBreakerStore: CircuitBreakerStore {
    public struct Configuration: RedisStoreConfiguration {
        public var redis: RedisConfiguration
        /// Prefix of every key the store writes. Default `sluice:cb`.
        public var keyPrefix: String = "sluice:cb"
        /// Connections to Redis (commands are pipelined on each). Default 1.
        public var connections: Int = 1
        /// How long a half-open circuit waits for a probe's outcome before it takes the probe as
        /// lost (its process died) and lets another through. Default 60 s.
        public var probeLease: Duration = .seconds(60)
        /// Called on connection changes, fallbacks and script reloads; must not block.
        public var onEvent: (@Sendable (RateLimitStoreEvent) -> Void)?

        public init(redis: RedisConfiguration) {
            self.redis = redis
        }
    }

    public let configuration: Configuration
    private let client: RedisClient
    private let fallback: RedisFallback
    private let local = InMemoryCircuitBreakerStore()
    private let keys = Mutex<[String: String]>([:])
    /// The local fallback's admissions carry generations from one below here up, so that they are
    /// never mistaken for Redis's.
    private static let localGeneration: Int64 = 1 << 62

    public init(configuration: Configuration) {
        self.configuration = configuration
        let onEvent = configuration.onEvent
        self.client = .reporting(to: onEvent, configuration: configuration.redis, connections: configuration.connections)
        self.fallback = RedisFallback(onEvent: onEvent)
    }

    /// Closes the connections to Redis.
    public func close() async { await client.close() }

    public nonisolated(nonsending) func admit(_ deployment: String, policy: CircuitBreakerPolicy, now: Duration) async
        -> CircuitBreakerAdmission
    {
        let reply: RESPValue
        do {
            reply = try await client.evaluate(RedisScript.circuit, keys: [key(for: deployment)], arguments: ["admit"] + arguments(policy))
        } catch let error as RedisError {
            return await fallBack(deployment, policy: policy, now: now, after: error)
        } catch {
            return await local.admit(deployment, policy: policy, now: now)
        }
        let fields = reply.array ?? []
        guard fields.count == 5, let admitted = fields[0].integer, let code = fields[1].integer else {
            return await fallBack(
                deployment, policy: policy, now: now,
                after: RedisError(.unexpectedReply, "the circuit script answered \(String(describing: reply).prefix(200))"))
        }
        fallback.leave()
        let generation = fields[3].integer ?? -1
        return CircuitBreakerAdmission(
            admitted: admitted == 1, state: Self.state(code), probeGeneration: admitted == 1 && generation >= 0 ? generation : nil,
            transition: fields[2].integer == 1 ? .halfOpen : nil,
            retryAfter: .milliseconds(min(Int64(Int32.max), max(0, fields[4].integer ?? 0))))
    }

    public nonisolated(nonsending) func record(
        _ outcome: CircuitBreakerOutcome, of admission: CircuitBreakerAdmission, deployment: String,
        policy: CircuitBreakerPolicy, now: Duration
    ) async -> CircuitState? {
        guard admission.admitted else { return nil }
        if let generation = admission.probeGeneration, generation >= Self.localGeneration - 1 {
            var local = admission
            local.probeGeneration = generation == Self.localGeneration - 1 ? nil : generation - Self.localGeneration
            return await self.local.record(outcome, of: local, deployment: deployment, policy: policy, now: now)
        }
        let code =
            switch outcome {
            case .ignored: "0"
            case .success: "1"
            case .failure: "2"
            }
        let arguments = ["record"] + arguments(policy) + [code, String(admission.probeGeneration ?? -1)]
        guard let reply = try? await client.evaluate(RedisScript.circuit, keys: [key(for: deployment)], arguments: arguments),
            let fields = reply.array, fields.count == 2, fields[0].integer == 1, let state = fields[1].integer
        else { return nil }
        return Self.state(state)
    }

    // MARK: Helpers

    private func arguments(_ policy: CircuitBreakerPolicy) -> [String] {
        [
            String(max(1, policy.window.milliseconds)), String(max(1, policy.minimumCalls)), String(policy.failureRatio),
            String(policy.consecutiveFailures ?? -1), String(max(0, policy.openDuration.milliseconds)),
            String(max(1, policy.halfOpenProbes)), String(max(1, configuration.probeLease.milliseconds)),
        ]
    }

    /// The Redis key of a deployment's circuit: the prefix and a fingerprint of its name.
    func key(for deployment: String) -> String {
        if let known = keys.withLock({ $0[deployment] }) { return known }
        let key = configuration.keyPrefix + ":{" + String(SHA256.hex(Array(deployment.utf8)).prefix(16)) + "}"
        keys.withLock { keys in
            if keys.count >= 10_000 { keys.removeAll() }
            keys[deployment] = key
        }
        return key
    }

    private nonisolated(nonsending) func fallBack(
        _ deployment: String, policy: CircuitBreakerPolicy, now: Duration, after error: RedisError
    ) async -> CircuitBreakerAdmission {
        fallback.enter(after: error)
        var admission = await local.admit(deployment, policy: policy, now: now)
        // Marked as the fallback's (a call through a closed circuit as one below the mark), so that its
        // outcome is recorded where it was let through.
        if admission.admitted { admission.probeGeneration = Self.localGeneration + (admission.probeGeneration ?? -1) }
        return admission
    }

    private static func state(_ code: Int64) -> CircuitState {
        switch code {
        case 1: .open
        case 2: .halfOpen
        default: .closed
        }
    }
}
