import Synchronization

/// Lets one request through at a time, in the order they arrived: the mock server's
/// ``MockRateLimitReporting/Handling/inOrder`` handling.
///
/// - Important: Every ``enter()`` that returns must be matched by exactly one ``leave()``
///   (``InFlightTicket`` does it when it is released). Waiting is not cancellable: a request waits
///   for the ones before it to finish.
final class MockTurnstile: Sendable {
    private struct State: Sendable {
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Returns when every request that entered before has left.
    func enter() async {
        let entered = self.state.withLock { state -> Bool in
            guard !state.busy else { return false }
            state.busy = true
            return true
        }
        if entered { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let go = self.state.withLock { state -> Bool in
                guard state.busy else {
                    state.busy = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if go { continuation.resume() }
        }
    }

    /// Lets the next waiting request through (it inherits the turn), or frees the turnstile.
    func leave() {
        let next = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
