import Synchronization

/// Caps retries at a share of recent traffic, so that retries cannot multiply the load on a provider
/// that is already failing (Finagle's and gRPC's retry budget).
///
/// Every call deposits; every retry withdraws. Within any sliding ``window`` (10 s by default) a
/// client may retry at most ``minimumRetries`` times plus ``ratio`` of the calls it made:
///
/// ```
/// allowed(window) = minimumRetries + ratio * calls(window) - retries(window)   >= 1 to retry
/// ```
///
/// The same rule holds per API key (the call's ``ClientContext/keyID``) and for the whole client: a
/// retry needs room in both. With the defaults (ratio 0.2, 10 retries per 10 s), a client sending 100
/// calls in 10 s retries at most 30 of them. Counts are kept in ten slots per window, on the injected
/// clock.
///
/// When the budget is spent, ``RetryMiddleware`` stops retrying and the call ends the way its last
/// attempt did (see ``RetryMiddleware``).
///
/// ```swift
/// let budget = RetryBudget(ratio: 0.1, clock: clock)      // one per client, shared by its calls
/// let retry = RetryMiddleware(policy: .default, budget: budget, clock: clock)
/// ```
///
/// - Important: Thread-safe; share one budget across every call of a client. Each operation is a
///   short critical section under a lock.
public final class RetryBudget: Sendable {
    /// The share of calls that may be retried, `0...` (default 0.2).
    public let ratio: Double
    /// Retries allowed per window whatever the traffic (default 10).
    public let minimumRetries: Int
    /// The sliding window the counts cover (default 10 s).
    public let window: Duration

    private static let slotCount = 10

    private struct Counter {
        var calls = [Int](repeating: 0, count: RetryBudget.slotCount)
        var retries = [Int](repeating: 0, count: RetryBudget.slotCount)
        var slot: Int64 = 0

        mutating func roll(to slot: Int64) {
            guard slot > self.slot else { return }
            let steps = Int(min(slot - self.slot, Int64(RetryBudget.slotCount)))
            for step in 1...steps {
                let index = Int((self.slot + Int64(step)) % Int64(RetryBudget.slotCount))
                calls[index] = 0
                retries[index] = 0
            }
            self.slot = slot
        }

        var index: Int { Int(slot % Int64(RetryBudget.slotCount)) }

        mutating func deposit(at slot: Int64) {
            roll(to: slot)
            calls[index] += 1
        }

        func available(ratio: Double, minimum: Int) -> Double {
            Double(minimum) + ratio * Double(calls.reduce(0, +)) - Double(retries.reduce(0, +))
        }
    }

    private struct State {
        var client = Counter()
        var keys: [KeyID: Counter] = [:]
    }

    private let clock: any SluiceClock
    private let slotLength: Duration
    private let state = Mutex(State())

    /// A budget. Out-of-range values are clamped: a negative `ratio` or `minimumRetries` to 0, a
    /// `window` below 10 ms to 10 ms.
    public init(
        ratio: Double = 0.2,
        minimumRetries: Int = 10,
        window: Duration = .seconds(10),
        clock: any SluiceClock = SystemClock.shared
    ) {
        self.ratio = ratio.isFinite ? max(ratio, 0) : 0
        self.minimumRetries = max(minimumRetries, 0)
        self.window = max(window, .milliseconds(10))
        self.clock = clock
        slotLength = self.window / Self.slotCount
    }

    /// How many retries the budget would allow now, for `key` (and the whole client).
    public func available(for key: KeyID? = nil) -> Int {
        let slot = currentSlot()
        return state.withLock { state in
            state.client.roll(to: slot)
            var room = state.client.available(ratio: ratio, minimum: minimumRetries)
            if let key {
                var counter = state.keys[key] ?? Counter(slot: slot)
                counter.roll(to: slot)
                room = min(room, counter.available(ratio: ratio, minimum: minimumRetries))
            }
            return max(Int(room.rounded(.down)), 0)
        }
    }

    /// Records a call (its first attempt).
    func deposit(key: KeyID?) {
        let slot = currentSlot()
        state.withLock { state in
            state.client.roll(to: slot)
            state.client.calls[state.client.index] += 1
            if let key {
                // In place: copying the counter out of the dictionary would copy its arrays.
                state.keys[key, default: Counter(slot: slot)].deposit(at: slot)
            }
        }
    }

    /// Takes one retry from the budget if both the client's and the key's have room.
    func withdraw(key: KeyID?) -> Bool {
        let slot = currentSlot()
        return state.withLock { state in
            state.client.roll(to: slot)
            guard state.client.available(ratio: ratio, minimum: minimumRetries) >= 1 else { return false }
            if let key {
                var counter = state.keys[key] ?? Counter(slot: slot)
                counter.roll(to: slot)
                guard counter.available(ratio: ratio, minimum: minimumRetries) >= 1 else { return false }
                counter.retries[counter.index] += 1
                state.keys[key] = counter
            }
            state.client.retries[state.client.index] += 1
            return true
        }
    }

    private func currentSlot() -> Int64 {
        let now = RetryPolicy.seconds(clock.now)
        let length = RetryPolicy.seconds(slotLength)
        return Int64((now / length).rounded(.down))
    }
}
