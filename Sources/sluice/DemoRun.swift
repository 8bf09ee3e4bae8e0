import Logging
import Sluice
import SluiceMockServer
import Synchronization

/// Which client a run uses.
enum DemoClientKind: String, Sendable {
    /// Sluice with its limiter, concurrency limit, retry budget and time limits.
    case sluice
    /// An `LLMClient` set up as the official SDKs behave: no limiter, two retries with backoff.
    case naive
}

/// What one run measured, from the clients' events, the usage tracker and the server's counters.
struct DemoRunResult: Sendable {
    struct KeyResult: Sendable {
        var name: String
        var calls = 0
        var completed = 0
        var failed = 0
        /// From the server: requests received with the key (429s included), 429s, tokens charged.
        var serverRequests = 0
        var rateLimited = 0
        var tokensCharged = 0
    }

    var kind: DemoClientKind
    var total: Int
    var completed = 0
    var failed = 0
    /// Failed calls that were streams.
    var failedStreams = 0
    var cancelled = 0
    /// 429 answers the server sent (its limiter's and any injected ones), from its stats.
    var serverTooManyRequests = 0
    /// Requests the server received, every attempt counted.
    var serverRequests = 0
    var retries = 0
    var timeouts = 0
    var wall: Duration = .zero
    /// Whether the run hit its hard cap and cancelled the calls still going.
    var hitCap = false
    var usage = UsageSummary()
    var failures: [String: Int] = [:]
    var faultsInjected: [String: Int] = [:]
    var keys: [KeyResult] = []
}

/// Runs the workload once, through one kind of client, against a fresh mock server, showing the live
/// view while it runs.
struct DemoRun {
    let scenario: DemoScenario
    let kind: DemoClientKind
    let terminal: DemoTerminal?
    let logger: Logger?

    private enum Outcome: Sendable {
        case completed, failed, cancelled
    }

    /// The next job to take, and outcomes by job index, filled by the callers; survives the run
    /// being cut at its cap.
    private final class Outcomes: Sendable {
        let next = Atomic<Int>(0)
        let values: Mutex<[Outcome?]>
        init(count: Int) { values = Mutex([Outcome?](repeating: nil, count: count)) }
    }

    func run() async throws -> DemoRunResult {
        let scenario = scenario
        let jobs = scenario.jobs()
        return try await MockLLMServer.withRunning(scenario.serverConfiguration()) { server in
            let tracker = UsageTracker(prices: .default)
            let monitor = DemoMonitor()
            var handlers: [any ClientEventHandler] = [tracker, monitor]
            if let logger { handlers.append(LoggingEventHandler(logger: logger)) }
            let baseURL = server.baseURL + "/v1"

            return try await CurlTransport.withTransport { transport in
                let clients = try scenario.teams.map { team in
                    let configuration =
                        kind == .sluice
                        ? try scenario.sluiceConfiguration(team: team, baseURL: baseURL, handlers: handlers)
                        : try scenario.naiveConfiguration(team: team, baseURL: baseURL, handlers: handlers)
                    return LLMClient(configuration, transport: transport)
                }
                let outcomes = Outcomes(count: jobs.count)
                let clock = ContinuousClock()
                let start = clock.now

                let viewTask = terminal.map { terminal in
                    Task {
                        await Self.showLive(
                            terminal: terminal, kind: kind, scenario: scenario, server: server, monitor: monitor,
                            start: start)
                    }
                }
                let finished = await Self.runCapped(scenario.runCap) {
                    await Self.sendAll(jobs, clients: clients, callers: scenario.callers, outcomes: outcomes)
                }
                let wall = clock.now - start
                for client in clients { await client.shutdown() }
                viewTask?.cancel()
                await viewTask?.value

                var result = DemoRunResult(kind: kind, total: jobs.count)
                result.wall = wall
                result.hitCap = !finished
                let counts = monitor.snapshot()
                result.retries = counts.retries
                result.timeouts = counts.timeouts
                result.failures = counts.failures
                result.usage = tracker.snapshot()
                let stats = server.stats
                result.serverRequests = scenario.teams.reduce(0) { $0 + stats[key: $1.name].requests }
                result.serverTooManyRequests = scenario.teams.reduce(0) { $0 + stats[key: $1.name].tooManyRequests }
                result.faultsInjected = stats.faultsInjected
                let recorded = outcomes.values.withLock { $0 }
                result.keys = scenario.teams.map { DemoRunResult.KeyResult(name: $0.name) }
                for (job, outcome) in zip(jobs, recorded) {
                    result.keys[job.team].calls += 1
                    switch outcome {
                    case .completed:
                        result.completed += 1
                        result.keys[job.team].completed += 1
                    case .failed:
                        result.failed += 1
                        result.keys[job.team].failed += 1
                        if job.streamed { result.failedStreams += 1 }
                    case .cancelled, nil:
                        result.cancelled += 1
                    }
                }
                for index in scenario.teams.indices {
                    let key = stats[key: scenario.teams[index].name]
                    result.keys[index].serverRequests = key.requests
                    result.keys[index].rateLimited = key.tooManyRequests
                    result.keys[index].tokensCharged = key.tokensCharged
                }
                return result
            }
        }
    }

    /// Runs `work`, cancelling it after `cap`; returns whether it finished by itself.
    private static func runCapped(_ cap: Duration, _ work: @escaping @Sendable () async -> Void) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await work()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: cap)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// `callers` tasks take the jobs in order until none is left.
    private static func sendAll(_ jobs: [DemoJob], clients: [LLMClient], callers: Int, outcomes: Outcomes) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, min(callers, jobs.count)) {
                group.addTask {
                    while !Task.isCancelled {
                        let index = outcomes.next.add(1, ordering: .relaxed).oldValue
                        guard index < jobs.count else { return }
                        let job = jobs[index]
                        let outcome = await send(job, with: clients[job.team])
                        outcomes.values.withLock { $0[index] = outcome }
                    }
                }
            }
        }
    }

    private static func send(_ job: DemoJob, with client: LLMClient) async -> Outcome {
        do {
            if job.streamed {
                _ = try await client.streamChat(job.request)
            } else {
                _ = try await client.chat(job.request)
            }
            return .completed
        } catch {
            if error is CancellationError || SluiceError.wrapping(error).code == .cancelled { return .cancelled }
            return .failed
        }
    }

    /// Samples the server and the monitor every tick and draws the view until cancelled, then draws
    /// the last frame.
    private static func showLive(
        terminal: DemoTerminal, kind: DemoClientKind, scenario: DemoScenario, server: MockLLMServer,
        monitor: DemoMonitor, start: ContinuousClock.Instant
    ) async {
        let clock = ContinuousClock()
        var meter = DemoRateMeter(teams: scenario.teams)
        var view = DemoView(
            terminal: terminal, title: kind == .sluice ? "sluice" : "naive", total: scenario.requests,
            teams: scenario.teams)
        var tick = 0
        while true {
            let elapsed = clock.now - start
            meter.record(server.stats, at: elapsed)
            let cancelled = Task.isCancelled
            if terminal.redraws || cancelled || (tick > 0 && tick % DemoView.plainEvery == 0) {
                view.draw(monitor.snapshot(), rates: meter.rates(), elapsed: elapsed)
            }
            if cancelled { return }
            tick += 1
            try? await Task.sleep(until: start + DemoView.tick * tick, clock: clock)
        }
    }
}
