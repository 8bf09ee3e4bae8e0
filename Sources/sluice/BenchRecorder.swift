import Sluice
import Synchronization

/// What `sluice bench` counts while it runs: outcomes from the workers, timings and HTTP statuses
/// from the client's events.
///
/// - Important: ``handle(_:)`` runs on the calling task, synchronously; it only takes a lock and
///   appends, so it never slows a call down noticeably.
final class BenchRecorder: ClientEventHandler {
    struct State {
        var started = 0
        var succeeded = 0
        var failedByCode: [String: Int] = [:]
        var cancelled = 0
        /// When each of the first ``keptCompletionTimes`` calls ended (succeeded or failed), since
        /// the run began, in order; later ones only move ``lastCompletion``.
        var completionTimes: [Duration] = []
        /// When the last call to end ended.
        var lastCompletion: Duration?

        var attempts = 0
        var rateLimitedResponses = 0
        var statuses: [Int: Int] = [:]
        var retries = 0
        var reservedTokens = 0

        /// Whole-call latency of successful calls (rate-limit and permit waits included).
        var latencies = BenchReservoir()
        /// From the start of a successful call's last attempt to its end.
        var serviceLatencies = BenchReservoir()
        /// Time to first token since the call began (streams).
        var firstTokenLatencies = BenchReservoir()
        /// Time to first token since the last attempt started (streams).
        var firstTokenServiceLatencies = BenchReservoir()

        /// Whole-call latency of successful calls, every one (for the HTML report's curves).
        var latencyHistogram = BenchHistogram()
        /// Time to first token since the call began, every stream (for the HTML report's curves).
        var firstTokenHistogram = BenchHistogram()
        /// Calls, 429s, retries and tokens over time, and per key (for the HTML report).
        var timeline = BenchTimeline()
        /// The client-clock instant of the first event: the timeline counts from it.
        var origin: Duration?

        var callStart: [UInt64: Duration] = [:]
        var lastAttemptStart: [UInt64: Duration] = [:]

        var failed: Int { failedByCode.values.reduce(0, +) }
        var completed: Int { succeeded + failed }

        /// How many completion times are kept: enough for any request burst worth measuring,
        /// bounded so that a `--duration` run of any length keeps flat memory.
        static let keptCompletionTimes = 10_000

        mutating func recordCompletion(at time: Duration) {
            if completionTimes.count < Self.keptCompletionTimes { completionTimes.append(time) }
            if lastCompletion.map({ time > $0 }) ?? true { lastCompletion = time }
        }
    }

    private let state = Mutex(State())

    func snapshot() -> State { state.withLock { $0 } }

    /// The index of the next call to make, or `nil` when all `total` have been started (`nil`:
    /// no limit).
    func claimNext(of total: Int?) -> Int? {
        state.withLock { state in
            guard state.started < total ?? .max else { return nil }
            defer { state.started += 1 }
            return state.started
        }
    }

    func recordSuccess(at time: Duration) {
        state.withLock { state in
            state.succeeded += 1
            state.recordCompletion(at: time)
        }
    }

    func recordFailure(_ code: String, at time: Duration) {
        state.withLock { state in
            state.failedByCode[code, default: 0] += 1
            state.recordCompletion(at: time)
        }
    }

    func recordCancellation() { state.withLock { $0.cancelled += 1 } }

    func handle(_ event: ClientEvent) {
        recordTimeline(event)
        switch event.kind {
        case .requestStarted:
            state.withLock { $0.callStart[event.callID] = event.instant }
        case .attemptStarted:
            state.withLock { state in
                state.attempts += 1
                state.lastAttemptStart[event.callID] = event.instant
            }
        case .responseHead:
            guard let status = event.status else { return }
            state.withLock { state in
                state.statuses[status, default: 0] += 1
                if status == 429 { state.rateLimitedResponses += 1 }
            }
        case .retryScheduled:
            state.withLock { $0.retries += 1 }
        case .usageSettled:
            guard let tokens = event.tokens else { return }
            state.withLock { state in
                // A hostile usage count must not trap the bench: hold the total at Int.max.
                let (sum, overflow) = state.reservedTokens.addingReportingOverflow(tokens)
                state.reservedTokens = overflow ? .max : sum
            }
        case .firstToken:
            // Measured here from request_started: the event's own `latency` counts from the
            // stream's response head, not from the start of the call.
            state.withLock { state in
                if let start = state.callStart[event.callID] {
                    state.firstTokenLatencies.append(event.instant - start)
                    state.firstTokenHistogram.record(event.instant - start)
                }
                if let start = state.lastAttemptStart[event.callID] {
                    state.firstTokenServiceLatencies.append(event.instant - start)
                }
            }
        case .requestSucceeded:
            state.withLock { state in
                if let latency = event.latency {
                    state.latencies.append(latency)
                    state.latencyHistogram.record(latency)
                }
                if let start = state.lastAttemptStart.removeValue(forKey: event.callID) {
                    state.serviceLatencies.append(event.instant - start)
                }
                state.callStart[event.callID] = nil
            }
        case .requestFailed, .requestCancelled:
            state.withLock { state in
                state.lastAttemptStart[event.callID] = nil
                state.callStart[event.callID] = nil
            }
        default:
            return
        }
    }

    /// Counts `event` in the timeline: when it happened since the first event, and for which key.
    private func recordTimeline(_ event: ClientEvent) {
        let kind = event.kind
        guard
            kind == .requestStarted || kind == .attemptStarted || kind == .responseHead || kind == .retryScheduled
                || kind == .requestSucceeded || kind == .requestFailed || kind == .limitLearned
        else { return }
        let key = event.keyID?.rawValue ?? "(no key)"
        state.withLock { state in
            let origin = state.origin ?? event.instant
            state.origin = origin
            let elapsed = event.instant - origin
            switch kind {
            case .requestStarted:
                state.timeline.record(at: elapsed) { $0.started += 1 }
            case .attemptStarted:
                state.timeline.recordKey(key) { $0.attempts = BenchTimeline.sum($0.attempts, 1) }
            case .responseHead:
                if event.status == 429 { state.timeline.record(at: elapsed) { $0.rateLimited += 1 } }
            case .retryScheduled:
                state.timeline.record(at: elapsed) { $0.retries += 1 }
            case .requestSucceeded:
                // Wire counts: negative ones count as 0, huge ones saturate.
                let input = max(0, event.usage?.inputTokens ?? 0)
                let output = max(0, event.usage?.outputTokens ?? 0)
                state.timeline.record(at: elapsed) { bucket in
                    bucket.completed += 1
                    bucket.inputTokens = BenchTimeline.sum(bucket.inputTokens, input)
                    bucket.outputTokens = BenchTimeline.sum(bucket.outputTokens, output)
                }
                state.timeline.recordKey(key) { use in
                    use.succeeded = BenchTimeline.sum(use.succeeded, 1)
                    use.inputTokens = BenchTimeline.sum(use.inputTokens, input)
                    use.outputTokens = BenchTimeline.sum(use.outputTokens, output)
                }
            case .requestFailed:
                state.timeline.record(at: elapsed) { bucket in
                    bucket.completed += 1
                    bucket.failed += 1
                }
            case .limitLearned:
                if let limit = event.limit, let dimension = event.reason {
                    state.timeline.recordLearnedLimit(limit, dimension: dimension, key: key)
                }
            default:
                return
            }
        }
    }
}
