import Sluice

/// What the configurations of the Redis stores (``RedisRateLimitStore``, ``RedisSpendBudgetStore``,
/// ``RedisCircuitBreakerStore``) share: each is made from a ``RedisConfiguration``, or a `redis://` URL.
public protocol RedisStoreConfiguration: Sendable {
    /// A configuration with the store's defaults for this server.
    init(redis: RedisConfiguration)
}

extension RedisStoreConfiguration {
    /// A configuration for a `redis://` URL.
    public init(url: String) throws(RedisError) {
        self.init(redis: try RedisConfiguration(url: url))
    }
}

extension RedisClient {
    /// A client whose connection events reach `onEvent` (and the events of the call in progress) as
    /// ``RateLimitStoreEvent``s: `connected`, `reconnected`, `connection_lost`, `script_reloaded`.
    static func reporting(
        to onEvent: (@Sendable (RateLimitStoreEvent) -> Void)?, configuration: RedisConfiguration, connections: Int
    ) -> RedisClient {
        RedisClient(configuration: configuration, connections: connections) { event in
            let reported: RateLimitStoreEvent
            switch event {
            case .connected(let again): reported = RateLimitStoreEvent(again ? .reconnected : .connected)
            case .connectionLost(let reason, let retryIn):
                reported = RateLimitStoreEvent(.connectionLost, detail: "\(reason); next attempt in \(retryIn)")
            case .scriptReloaded: reported = RateLimitStoreEvent(.scriptReloaded)
            }
            RedisRateLimitStore.report(reported, to: onEvent)
        }
    }
}
