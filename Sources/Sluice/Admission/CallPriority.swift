/// How urgently a call wants admission when the rate limiter or the concurrency limiter makes calls
/// wait: a waiting call of higher priority is admitted before every waiting call of lower priority;
/// calls of one priority are admitted in arrival order.
///
/// Set it for one call in ``CallOptions/priority``; a call that sets none is ``default``.
///
/// ```swift
/// var options = CallOptions()
/// options.priority = .batch
/// ```
///
/// The order is strict: while calls of a higher priority keep the limit busy, lower-priority calls
/// wait (they can starve). Bound their wait with a deadline, a ``RateLimitWaitPolicy`` or
/// ``AdmissionQueuePolicy/maxWaiting``. Priorities order the waiters of one process; a shared
/// store (`SluiceRedis`) admits across processes in its own order. See <doc:LoadShedding>.
public enum CallPriority: Int, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// Work nobody waits on (bulk embedding, evaluations): admitted when no other call waits.
    case batch = 0
    /// Calls that set no priority.
    case `default` = 1
    /// A person waits for the answer: admitted before every other waiting call.
    case interactive = 2

    /// How many priorities there are (levels `0 ..< count`).
    static let count = 3

    public static func < (lhs: CallPriority, rhs: CallPriority) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .batch: "batch"
        case .default: "default"
        case .interactive: "interactive"
        }
    }
}

extension CallOptions {
    private enum PriorityKey: CallOptionKey {
        typealias Value = CallPriority
    }

    /// This call's priority in the rate limiter's and the concurrency limiter's queues; `nil` (the
    /// default) is ``CallPriority/default``.
    public var priority: CallPriority? {
        get { self[PriorityKey.self] }
        set { self[PriorityKey.self] = newValue }
    }
}
