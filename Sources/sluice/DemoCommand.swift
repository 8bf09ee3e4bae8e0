import ArgumentParser
import Logging
import Sluice
import SluiceMockServer

/// `sluice demo`: the same few hundred chat calls, first through Sluice, then through a client that
/// behaves like the official SDKs, each against a fresh embedded mock LLM server on loopback with two
/// rate-limited keys and seeded faults; a live view while each runs, then the two side by side.
///
/// No API key and no network beyond 127.0.0.1. Every run is bounded: each call has a deadline and
/// each run a hard cap, so the demo ends by itself in well under a minute.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Send the same workload through Sluice and through a naive client against the embedded mock LLM server, and compare.",
        discussion: """
            The mock server runs on 127.0.0.1 with two keys: team-a (600 requests and 40,000 tokens \
            per minute) and team-b (300 and 20,000), with small bursts so the limits bind within \
            seconds; replies of 20 tokens paced at 20 ms a token; and seeded faults (500, 503, 529, a \
            dropped connection, a slow first token). 64 callers send the workload (two calls in three \
            with team-a, one in three streamed): first through Sluice (each key's limits, a \
            concurrency cap, up to 3 retries within a retry budget, per-phase time limits), then, \
            against a fresh server with the same seed, through an LLMClient set up as the official \
            SDKs behave (no limiter, 2 retries with exponential backoff from 0.5 s to 8 s honouring \
            retry-after, no retry budget). No API key is needed; the fake keys are never printed. \
            Every call has a 30 s deadline and each run a hard cap of 50 s.

            While a run goes, a live view shows calls done, in flight, waiting for rate budget, \
            retries, 429s from the server and each key's tokens per minute against its limit: redrawn \
            in place when the output is a terminal, as plain lines every 2 s otherwise.

            --json prints one JSON object on stdout and nothing else (the live view goes to stderr): \
            requests, streamed, callers, seed, model; keys (array of {name, requestsPerMinute, \
            tokensPerMinute, requestBurst, tokenBurst}); and sluice and naive, each an object with \
            completed, failed, cancelled, serverRateLimited (429s the server sent), serverRequests \
            (attempts the server received), retries, timeouts, wallSeconds, hitCap, inputTokens, \
            outputTokens, costUSD (a decimal string, exact to the nano-dollar; null if unpriced), \
            rateLimitWaitSeconds (summed over calls), failures (object: error code to count), \
            faultsInjected (object: fault kind to count) and keys (array of {name, calls, completed, \
            failed, serverRequests, serverRateLimited, tokensCharged}).
            """
    )

    @Option(help: "Chat calls in the workload (each run sends all of them).")
    var requests = 300

    @Option(help: "Seed of the mock server's faults and of the prompts (the same for both runs).")
    var seed: UInt64 = 7

    @Flag(help: "Print the results as one JSON object on stdout; the live view goes to stderr.")
    var json = false

    @OptionGroup var logging: LogLevelOption

    func validate() throws {
        guard (1...5_000).contains(requests) else { throw ValidationError("--requests must be 1...5000") }
    }

    func run() async throws {
        let scenario = DemoScenario(requests: requests, seed: seed)
        let logger = logging.makeLogger(label: "sluice.demo")
        // Human-readable output goes to stdout, or to stderr when stdout carries the JSON. Log lines
        // go to stderr, so the view redraws in place only when no log line can come between frames.
        let view = DemoTerminal(descriptor: json ? 2 : 1, allowRedraw: logger == nil)

        Self.printHeader(scenario, to: view)
        view.line(view.bold("1. Through Sluice") + ": each key's limits, a concurrency cap, up to 3 retries")
        view.line("   within a retry budget, time limits per phase.")
        let sluice = try await DemoRun(scenario: scenario, kind: .sluice, terminal: view, logger: logger).run()
        view.line()
        view.line(view.bold("2. Through a naive client") + ", as the official SDKs behave: no limiter,")
        view.line("   2 retries with backoff (0.5 s doubling to 8 s, honouring retry-after).")
        let naive = try await DemoRun(scenario: scenario, kind: .naive, terminal: view, logger: logger).run()
        view.line()

        if json {
            DemoTerminal(descriptor: 1, allowRedraw: false).line(
                String(decoding: Self.report(scenario, sluice: sluice, naive: naive).jsonBytes, as: UTF8.self))
        } else {
            Self.printComparison(scenario, sluice: sluice, naive: naive, to: view)
        }
    }

    // MARK: Text

    static func printHeader(_ scenario: DemoScenario, to out: DemoTerminal) {
        let streamed = scenario.jobs().filter(\.streamed).count
        out.line(
            out.bold("Sluice demo") + ": \(scenario.requests) chat calls (\(streamed) streamed) from "
                + "\(scenario.callers) callers, sent twice")
        out.line("to an embedded mock LLM server on 127.0.0.1 (model \(DemoScenario.model)) with two keys:")
        for team in scenario.teams {
            out.line(
                "  \(DemoFormat.pad(team.name, 8, left: true))\(team.requestsPerMinute) RPM, "
                    + "\(DemoFormat.kilo(Double(team.tokensPerMinute))) TPM "
                    + "(bursts of \(team.requestBurst) requests, \(DemoFormat.grouped(team.tokenBurst)) tokens)")
        }
        out.line(
            "  replies of \(scenario.replyTokens) tokens at 20 ms a token; seeded faults (seed \(scenario.seed)):")
        out.line("  \(DemoScenario.faultSummary)")
        out.line()
    }

    static func printComparison(
        _ scenario: DemoScenario, sluice: DemoRunResult, naive: DemoRunResult, to out: DemoTerminal
    ) {
        func row(_ label: String, _ left: String, _ right: String) {
            out.line(
                "  " + DemoFormat.pad(label, 28, left: true) + DemoFormat.pad(left, 16) + DemoFormat.pad(right, 16))
        }
        func tokens(_ result: DemoRunResult) -> String {
            "\(DemoFormat.grouped(result.usage.totals.inputTokens)) / \(DemoFormat.grouped(result.usage.totals.outputTokens))"
        }
        func cost(_ result: DemoRunResult) -> String { result.usage.cost?.description ?? "unpriced" }

        out.line(out.bold("Results") + DemoFormat.pad("Sluice", 39) + DemoFormat.pad("naive client", 16))
        row("completed", "\(sluice.completed)/\(sluice.total)", "\(naive.completed)/\(naive.total)")
        row("failed", "\(sluice.failed)", "\(naive.failed)")
        if sluice.cancelled + naive.cancelled > 0 {
            row("cancelled at the run's cap", "\(sluice.cancelled)", "\(naive.cancelled)")
        }
        row(
            "429s received from the server", DemoFormat.grouped(sluice.serverTooManyRequests),
            DemoFormat.grouped(naive.serverTooManyRequests))
        row(
            "requests the server received", DemoFormat.grouped(sluice.serverRequests),
            DemoFormat.grouped(naive.serverRequests))
        row("retries", DemoFormat.grouped(sluice.retries), DemoFormat.grouped(naive.retries))
        row("wall time", DemoFormat.seconds1(sluice.wall), DemoFormat.seconds1(naive.wall))
        row("tokens in / out", tokens(sluice), tokens(naive))
        row("cost (\(DemoScenario.model))", cost(sluice), cost(naive))
        for (name, result) in [("Sluice", sluice), ("naive", naive)] where !result.failures.isEmpty {
            out.line("  \(name) failures: " + Self.counts(result.failures))
        }
        out.line()

        let limitedKeys = scenario.teams.map(\.name).joined(separator: " and ")
        var story =
            "Sluice paced \(limitedKeys) to their limits: the server refused "
            + "\(DemoFormat.grouped(sluice.serverTooManyRequests)) of its requests, and \(sluice.completed) of "
            + "\(sluice.total) calls completed"
        if sluice.failed > 0 && sluice.failedStreams == sluice.failed {
            story +=
                sluice.failed == 1
                ? " (the one that failed was a stream cut after its first bytes, which no client may retry)"
                : " (the \(sluice.failed) that failed were streams cut after their first bytes, which no client may retry)"
        }
        story +=
            ". The naive client got \(DemoFormat.grouped(naive.serverTooManyRequests)) 429s, and \(naive.failed) of "
            + "\(naive.total) calls failed after their retries"
            + (naive.wall < sluice.wall && naive.failed > sluice.failed
                ? ": it finished sooner only by giving up." : ".")
        for result in [sluice, naive] where result.hitCap {
            story +=
                " The \(result.kind == .sluice ? "Sluice" : "naive") run hit its cap of "
                + "\(DemoFormat.seconds1(scenario.runCap)) and cancelled the \(result.cancelled) calls still going."
        }
        for line in DemoFormat.wrap(story, width: 78) { out.line(line) }
    }

    /// `rate_limited 170, server_error 3`, largest first.
    static func counts(_ counts: [String: Int]) -> String {
        counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    // MARK: JSON

    static func report(_ scenario: DemoScenario, sluice: DemoRunResult, naive: DemoRunResult) -> JSONValue {
        let keys: [JSONValue] = scenario.teams.map { team in
            .object([
                "name": .string(team.name),
                "requestsPerMinute": .number(JSONNumber(team.requestsPerMinute)),
                "tokensPerMinute": .number(JSONNumber(team.tokensPerMinute)),
                "requestBurst": .number(JSONNumber(team.requestBurst)),
                "tokenBurst": .number(JSONNumber(team.tokenBurst)),
            ])
        }
        return .object([
            "requests": int(scenario.requests),
            "streamed": int(scenario.jobs().filter(\.streamed).count),
            "callers": int(scenario.callers),
            "seed": .number(JSONNumber(scenario.seed)),
            "model": .string(DemoScenario.model),
            "keys": .array(keys),
            "sluice": report(sluice),
            "naive": report(naive),
        ])
    }

    static func report(_ result: DemoRunResult) -> JSONValue {
        let totals = result.usage.totals
        return .object([
            "completed": int(result.completed),
            "failed": int(result.failed),
            "cancelled": int(result.cancelled),
            "serverRateLimited": int(result.serverTooManyRequests),
            "serverRequests": int(result.serverRequests),
            "retries": int(result.retries),
            "timeouts": int(result.timeouts),
            "wallSeconds": decimal(result.wall),
            "hitCap": .bool(result.hitCap),
            "inputTokens": int(totals.inputTokens),
            "outputTokens": int(totals.outputTokens),
            "costUSD": result.usage.cost.map { .string(dollars($0)) } ?? .null,
            "rateLimitWaitSeconds": decimal(totals.rateLimitWait),
            "failures": countsObject(result.failures),
            "faultsInjected": countsObject(result.faultsInjected),
            "keys": .array(
                result.keys.map { key in
                    .object([
                        "name": .string(key.name),
                        "calls": int(key.calls),
                        "completed": int(key.completed),
                        "failed": int(key.failed),
                        "serverRequests": int(key.serverRequests),
                        "serverRateLimited": int(key.rateLimited),
                        "tokensCharged": int(key.tokensCharged),
                    ])
                }),
        ])
    }

    static func int(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }

    /// Seconds with three decimals.
    static func decimal(_ duration: Duration) -> JSONValue {
        let text = DemoFormat.fixed(DemoFormat.seconds(duration), decimals: 3)
        return JSONNumber(text: text).map(JSONValue.number) ?? .null
    }

    /// `"0.005846123"`: dollars, exact to the nano-dollar.
    static func dollars(_ cost: Cost) -> String {
        let nanos = cost.nanodollars
        let magnitude = nanos.magnitude
        let fraction = String(magnitude % 1_000_000_000)
        return (nanos < 0 ? "-" : "") + "\(magnitude / 1_000_000_000)."
            + String(repeating: "0", count: 9 - fraction.count) + fraction
    }

    static func countsObject(_ counts: [String: Int]) -> JSONValue {
        .object(JSONObject(counts.sorted { $0.key < $1.key }.map { ($0.key, int($0.value)) }))
    }
}
