import Sluice
import Synchronization

/// Feeds the demo's live view from the clients' events: where each call is (waiting for admission,
/// on the wire, backing off before a retry) and what happened (retries, 429 heads, timeouts,
/// outcomes by error code).
///
/// A call is *waiting* from `request_started` (or the end of a backoff) until its `attempt_started`,
/// which the client emits just above the transport, after the rate limiter and the concurrency limit
/// admitted it; it is *sending* from then until its next retry or its end.
///
/// - Important: `handle` runs on the calls' tasks; each event is one short `Mutex` section.
final class DemoMonitor: ClientEventHandler {
    struct Snapshot: Sendable {
        var started = 0
        var succeeded = 0
        var failed = 0
        var cancelled = 0
        /// Calls waiting to be admitted (rate budget or a concurrency permit).
        var waiting = 0
        /// Calls with an attempt on the wire.
        var sending = 0
        /// Calls sleeping before a retry.
        var backingOff = 0
        var retries = 0
        /// Response heads with status 429.
        var tooManyRequests = 0
        var timeouts = 0
        /// Failed calls by error code.
        var failures: [String: Int] = [:]

        var finished: Int { succeeded + failed + cancelled }
    }

    private enum Phase {
        case waiting, sending, backingOff
    }

    private struct State {
        var phases: [UInt64: Phase] = [:]
        var counts = Snapshot()
    }

    private let state = Mutex(State())

    func handle(_ event: ClientEvent) {
        let id = event.callID
        switch event.kind {
        case .requestStarted:
            state.withLock {
                $0.phases[id] = .waiting
                $0.counts.started += 1
            }
        case .attemptStarted:
            state.withLock { $0.phases[id] = .sending }
        case .responseHead:
            guard event.status == 429 else { return }
            state.withLock { $0.counts.tooManyRequests += 1 }
        case .retryScheduled:
            state.withLock {
                $0.phases[id] = .backingOff
                $0.counts.retries += 1
            }
        case .timeout:
            state.withLock { $0.counts.timeouts += 1 }
        case .requestSucceeded:
            state.withLock {
                $0.phases[id] = nil
                $0.counts.succeeded += 1
            }
        case .requestFailed:
            let code = event.error?.code.name ?? "unknown"
            state.withLock {
                $0.phases[id] = nil
                $0.counts.failed += 1
                $0.counts.failures[code, default: 0] += 1
            }
        case .requestCancelled:
            state.withLock {
                $0.phases[id] = nil
                $0.counts.cancelled += 1
            }
        default:
            return
        }
    }

    /// The counts now.
    func snapshot() -> Snapshot {
        state.withLock { state in
            var snapshot = state.counts
            for phase in state.phases.values {
                switch phase {
                case .waiting: snapshot.waiting += 1
                case .sending: snapshot.sending += 1
                case .backingOff: snapshot.backingOff += 1
                }
            }
            return snapshot
        }
    }
}
