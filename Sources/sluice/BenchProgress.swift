import Sluice

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The live progress of `sluice bench`, on stderr: one line redrawn four times a second on a
/// terminal, a plain line every two seconds otherwise.
struct BenchProgress: Sendable {
    let settings: BenchSettings
    let recorder: BenchRecorder
    let tracker: UsageTracker
    let clock: ContinuousClock
    let start: ContinuousClock.Instant
    /// Whether stderr is a terminal.
    let redraws: Bool

    init(
        settings: BenchSettings, recorder: BenchRecorder, tracker: UsageTracker, clock: ContinuousClock,
        start: ContinuousClock.Instant
    ) {
        self.settings = settings
        self.recorder = recorder
        self.tracker = tracker
        self.clock = clock
        self.start = start
        self.redraws = isatty(2) != 0
    }

    /// Prints progress until the task is cancelled; on a terminal it then clears its line.
    func run() async {
        let interval: Duration = redraws ? .milliseconds(250) : .seconds(2)
        var standardError = StandardError()
        while true {
            do {
                try await Task.sleep(for: interval)
            } catch {
                break
            }
            let line = self.line()
            if redraws {
                print("\r\u{1B}[K" + line, terminator: "", to: &standardError)
            } else {
                print(line, to: &standardError)
            }
        }
        if redraws { print("\r\u{1B}[K", terminator: "", to: &standardError) }
    }

    func line() -> String {
        let state = recorder.snapshot()
        let usage = tracker.snapshot().totals
        let elapsed = max(BenchFormat.seconds(clock.now - start), 1e-9)
        let inFlight = max(0, state.started - state.completed - state.cancelled)
        var parts = [
            "\(BenchFormat.fixed(elapsed, 1)) s",
            "\(state.completed)\(settings.requests.map { "/\($0)" } ?? "") done (\(state.succeeded) ok, \(state.failed) failed)",
            "in flight \(inFlight)",
            "\(state.retries) retries",
            "\(state.rateLimitedResponses) × 429",
            "\(BenchFormat.fixed(Double(state.completed) / elapsed * 60, 1)) req/min",
            "\(BenchFormat.fixed(Double(usage.inputTokens + usage.outputTokens) / elapsed * 60, 0)) tok/min",
        ]
        if settings.stream, let p50 = BenchFormat.percentile(state.firstTokenLatencies.values.sorted(), 0.5) {
            parts.append("ttft p50 \(BenchFormat.readable(p50))")
        }
        return parts.joined(separator: " · ")
    }
}
