import Synchronization

/// The monotonic time source the mock server's rate limiter reads.
///
/// The limiter refills its token buckets from the elapsed time this clock reports. Use
/// ``continuous`` (the default) in a running server, and a clock you advance by hand in unit tests
/// so a test can check refill and `retry-after` values without sleeping.
///
/// ```swift
/// let clock = MockServerClock.manual()
/// var configuration = MockServerConfiguration()
/// configuration.clock = clock
/// // ... exhaust a key's bucket, then:
/// clock.advance(by: .seconds(1))
/// ```
///
/// - Important: The clock only drives rate limiting. Latency, stalls and token pacing always use
///   real time, because they shape what a real client observes on the wire.
public struct MockServerClock: Sendable {
    private let _now: @Sendable () -> Duration
    private let _advance: (@Sendable (Duration) -> Void)?

    /// Creates a clock from a function returning the time elapsed since an arbitrary, fixed origin.
    ///
    /// The function must never go backwards.
    public init(now: @escaping @Sendable () -> Duration) {
        self._now = now
        self._advance = nil
    }

    private init(now: @escaping @Sendable () -> Duration, advance: @escaping @Sendable (Duration) -> Void) {
        self._now = now
        self._advance = advance
    }

    /// The time elapsed since the clock's origin.
    public func now() -> Duration {
        self._now()
    }

    /// Moves a clock made by ``manual(startingAt:)`` forward; does nothing for other clocks.
    public func advance(by duration: Duration) {
        self._advance?(duration)
    }

    /// A clock backed by `ContinuousClock`, with its origin at the moment it was made.
    public static var continuous: MockServerClock {
        let origin = ContinuousClock.now
        return MockServerClock { origin.duration(to: ContinuousClock.now) }
    }

    /// A clock that only moves when ``advance(by:)`` is called; for unit tests.
    public static func manual(startingAt start: Duration = .zero) -> MockServerClock {
        let box = ManualTime(start)
        return MockServerClock(now: { box.now }, advance: { box.advance($0) })
    }
}

private final class ManualTime: Sendable {
    private let value: Mutex<Duration>
    init(_ start: Duration) { self.value = Mutex(start) }
    var now: Duration { self.value.withLock { $0 } }
    func advance(_ duration: Duration) {
        precondition(duration >= .zero, "a manual clock cannot go backwards")
        self.value.withLock { $0 += duration }
    }
}
