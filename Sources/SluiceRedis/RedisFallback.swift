import Sluice
import Synchronization

/// Whether a store is limiting locally because Redis failed, shared by a store and its concurrency
/// permits: each change is reported once, as `store_fallback_entered` or `store_fallback_left`.
final class RedisFallback: Sendable {
    private let active = Mutex(false)
    private let onEvent: (@Sendable (RateLimitStoreEvent) -> Void)?

    init(onEvent: (@Sendable (RateLimitStoreEvent) -> Void)?) {
        self.onEvent = onEvent
    }

    /// Redis failed with `error`: reports the fallback unless it is already in force.
    func enter(after error: RedisError) {
        let entered = active.withLock { active in
            defer { active = true }
            return !active
        }
        if entered { RedisRateLimitStore.report(RateLimitStoreEvent(.fallbackEntered, detail: error.description), to: onEvent) }
    }

    /// Redis answered: reports the end of the fallback if one was in force.
    func leave() {
        let left = active.withLock { active in
            defer { active = false }
            return active
        }
        if left { RedisRateLimitStore.report(RateLimitStoreEvent(.fallbackLeft), to: onEvent) }
    }
}
