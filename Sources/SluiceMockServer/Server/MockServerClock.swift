import Synchronization

/// The time source the mock server's rate limiter reads.
///
/// The limiter refills its token buckets from the elapsed time this clock reports. Use
/// ``continuous`` (the default) in a running server, and a clock you advance by hand in unit tests
/// so a test can check refill and `retry-after` values without sleeping.
///
/// The clock also tells wall-clock time (``unixTime()``), for Anthropic's reset headers, which
/// are timestamps: the real time when the clock was made (or the time given to
/// ``manual(startingAt:unixTimeAtStart:)``) plus the time it has moved since. The server reads the
/// system's real-time clock once, when the clock is made, not per request.
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
    /// ``unixTime()`` minus ``now()``.
    private let unixOffset: Duration

    /// Creates a clock from a function returning the time elapsed since an arbitrary, fixed origin.
    ///
    /// The function must never go backwards. ``unixTime()`` follows it from the real time at creation.
    public init(now: @escaping @Sendable () -> Duration) {
        self._now = now
        self._advance = nil
        self.unixOffset = MockHTTP.realTime() - now()
    }

    private init(
        now: @escaping @Sendable () -> Duration, advance: @escaping @Sendable (Duration) -> Void, unixOffset: Duration
    ) {
        self._now = now
        self._advance = advance
        self.unixOffset = unixOffset
    }

    /// The time elapsed since the clock's origin.
    public func now() -> Duration {
        self._now()
    }

    /// The wall-clock time matching ``now()``, as the time since 1970-01-01T00:00:00Z.
    public func unixTime() -> Duration {
        self.unixOffset + self._now()
    }

    /// Moves a clock made by ``manual(startingAt:unixTimeAtStart:)`` forward; does nothing for other clocks.
    public func advance(by duration: Duration) {
        self._advance?(duration)
    }

    /// A clock backed by `ContinuousClock`, with its origin at the moment it was made.
    public static var continuous: MockServerClock {
        let origin = ContinuousClock.now
        return MockServerClock { origin.duration(to: ContinuousClock.now) }
    }

    /// A clock that only moves when ``advance(by:)`` is called; for unit tests.
    ///
    /// - Parameters:
    ///   - start: What ``now()`` reports at first.
    ///   - unixTimeAtStart: What ``unixTime()`` reports at first, as the time since 1970; `nil`
    ///     (the default) takes the real time, pass a value for reproducible timestamps.
    public static func manual(startingAt start: Duration = .zero, unixTimeAtStart: Duration? = nil) -> MockServerClock {
        let box = ManualTime(start)
        return MockServerClock(
            now: { box.now }, advance: { box.advance($0) },
            unixOffset: (unixTimeAtStart ?? MockHTTP.realTime()) - start)
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
