/// The time source every waiting layer takes, so unit tests can drive time by hand.
///
/// `now` is monotonic time since an arbitrary origin. ``SystemClock`` is the real one; `SluiceTesting`
/// has `TestClock`, which only moves when a test advances it.
///
/// - Important: `sleep(until:)` must throw `CancellationError` promptly when the sleeping task is
///   cancelled.
public protocol SluiceClock: Sendable {
    /// Monotonic time since the clock's origin.
    var now: Duration { get }
    /// Suspends until `now` reaches `deadline` (returns at once if it already has).
    func sleep(until deadline: Duration) async throws
}

extension SluiceClock {
    /// Suspends for `duration`.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now + duration)
    }
}

/// The real clock: `ContinuousClock`, which keeps counting while the machine sleeps.
public struct SystemClock: SluiceClock {
    private let origin: ContinuousClock.Instant

    public init() { origin = ContinuousClock.now }

    /// One shared instance, so that times from different layers compare.
    public static let shared = SystemClock()

    public var now: Duration { ContinuousClock.now - origin }

    public func sleep(until deadline: Duration) async throws {
        try await ContinuousClock().sleep(until: origin + deadline, tolerance: nil)
    }
}
