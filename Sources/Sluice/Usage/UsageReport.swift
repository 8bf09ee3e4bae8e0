import Synchronization

/// The real usage of a call, reported once by the typed layer, observed by layers that reserved
/// tokens.
///
/// The client calls ``complete(with:)`` exactly once per call: with the usage the provider reported
/// (a plain reply's `usage`, a stream's final usage), or `nil` when the call ended without one (it
/// failed, was cancelled, or the provider did not say). Observers registered before run then; an
/// observer registered after runs at once.
public final class UsageReport: Sendable {
    private struct State {
        var completed = false
        var usage: Usage?
        var latest: Usage?
        var observers = CallbackList<UsageObserver>()
        var servedBy: KeyID?
    }

    private let state = Mutex(State())

    public init() {}

    /// The key the call's latest attempt was sent with, when a layer chose one (the rate limiter's
    /// key pool sets it), so call-level events name the key that served the call.
    public var servedBy: KeyID? {
        get { state.withLock { $0.servedBy } }
        set { state.withLock { $0.servedBy = newValue } }
    }

    /// Records usage seen so far (a stream's running count), without completing the report.
    public func update(_ usage: Usage) {
        state.withLock { $0.latest = usage }
    }

    /// The usage seen so far: the completed value, or the latest update.
    public var latest: Usage? { state.withLock { $0.usage ?? $0.latest } }

    /// Completes the report. Later calls do nothing. `nil` uses the latest update, if any.
    public func complete(with usage: Usage?) {
        let (observers, final): (CallbackList<UsageObserver>, Usage?) = state.withLock { state in
            guard !state.completed else { return (CallbackList(), nil) }
            state.completed = true
            state.usage = usage ?? state.latest
            return (state.observers.take(), state.usage)
        }
        observers.run(final)
    }

    /// Runs `observer` with the final usage when the report completes (at once if it has).
    public func onComplete(_ observer: @escaping @Sendable (Usage?) -> Void) {
        let done: (Bool, Usage?) = state.withLock { state in
            if state.completed { return (true, state.usage) }
            state.observers.append(UsageObserver(body: observer))
            return (false, nil)
        }
        if done.0 { observer(done.1) }
    }
}
