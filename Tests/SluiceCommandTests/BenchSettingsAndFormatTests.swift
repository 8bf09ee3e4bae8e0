import Sluice
import Testing

@testable import sluice

@Suite("BenchSettings")
struct BenchSettingsTests {
    @Test("capacity: burst seconds' worth of the per-minute limit, rounded up, at least the minimum and 1")
    func capacity() {
        // 120 a minute for 2 s: 4.
        #expect(BenchSettings.capacity(perMinute: 120, burstSeconds: 2, minimum: 1) == 4)
        // 100 a minute for 1 s: 1.67, rounded up to 2.
        #expect(BenchSettings.capacity(perMinute: 100, burstSeconds: 1, minimum: 1) == 2)
        // The whole minute.
        #expect(BenchSettings.capacity(perMinute: 60_000, burstSeconds: 60, minimum: 121) == 60_000)
        // The minimum wins over a smaller burst.
        #expect(BenchSettings.capacity(perMinute: 60_000, burstSeconds: 0.1, minimum: 121) == 121)
        // Never below 1: 10 a minute for 0.1 s is 0.017, rounded up to 1; a minimum of 0 still gives 1.
        #expect(BenchSettings.capacity(perMinute: 10, burstSeconds: 0.1, minimum: 0) == 1)
        #expect(BenchSettings.capacity(perMinute: nil, burstSeconds: 2, minimum: 1) == nil)
    }

    @Test("OpenAI options: the request burst from --burst-seconds, the token burst at least one request")
    func openAIOptions() throws {
        let command = try BenchCommand.parse([
            "--api-key-env", "BENCH_KEY_A", "--api-key-env", "BENCH_KEY_B", "--rpm", "120", "--tpm", "60000",
            "--burst-seconds", "2", "--requests", "60", "--max-tokens", "64", "--prompt-chars", "200",
        ])
        let settings = try command.makeSettings()
        #expect(settings.provider == .openAI)
        #expect(settings.keyLabels == ["BENCH_KEY_A", "BENCH_KEY_B"])
        #expect(settings.limits.requestsPerMinute == 120)
        #expect(settings.limits.tokensPerMinute == 60_000)
        // 2 s of 120 a minute; 2 s of 60 000 a minute (more than one request's 57 + 64 tokens).
        #expect(settings.limits.requestBurst == 4)
        #expect(settings.limits.tokenBurst == 2_000)
        #expect(settings.limits.inputTokensPerMinute == nil)
        #expect(settings.limits.outputTokensPerMinute == nil)
        #expect(settings.timeout == .seconds(60))
        #expect(settings.maxDuration == .seconds(600))

        let report = BenchFixture.report(settings: settings)
        #expect(report.rpmLimit == 240)
        #expect(report.tpmLimit == 120_000)
        #expect(report.requestBurst == 8)
    }

    @Test("OpenAI options: a token bucket smaller than one request grows to hold one")
    func openAITokenBurstMinimum() throws {
        let command = try BenchCommand.parse([
            "--tpm", "600", "--burst-seconds", "1", "--max-tokens", "64", "--prompt-chars", "200",
        ])
        let settings = try command.makeSettings()
        // 1 s of 600 a minute is 10 tokens; the longest request reserves 3 + 4 + 200 / 4 = 57
        // prompt tokens plus 64 output tokens.
        #expect(settings.limits.tokenBurst == 121)
        #expect(settings.limits.requestBurst == nil)
        #expect(settings.keyLabels == ["OPENAI_API_KEY"])
    }

    @Test("Anthropic options: --tpm sets input and output, --otpm wins over it")
    func anthropicOptions() throws {
        let command = try BenchCommand.parse([
            "--provider", "anthropic", "--tpm", "6000", "--otpm", "600", "--burst-seconds", "1",
            "--max-tokens", "64", "--prompt-chars", "200",
        ])
        let settings = try command.makeSettings()
        #expect(settings.provider == .anthropic)
        #expect(settings.providerName == "anthropic")
        #expect(settings.keyLabels == ["ANTHROPIC_API_KEY"])
        #expect(settings.limits.tokensPerMinute == nil)
        #expect(settings.limits.inputTokensPerMinute == 6_000)
        #expect(settings.limits.outputTokensPerMinute == 600)
        // 1 s of 6 000 a minute is 100 (more than the 57-token prompt); 1 s of 600 is 10, raised to
        // the 64 output tokens of one request.
        #expect(settings.limits.inputTokenBurst == 100)
        #expect(settings.limits.outputTokenBurst == 64)
    }
}

@Suite("BenchFormat")
struct BenchFormatTests {
    @Test("fixed: exactly the given decimals, half away from zero, no negative zero")
    func fixed() {
        #expect(BenchFormat.fixed(3, 2) == "3.00")
        #expect(BenchFormat.fixed(0.05, 3) == "0.050")
        #expect(BenchFormat.fixed(1_234.5678, 1) == "1234.6")
        #expect(BenchFormat.fixed(2.5, 0) == "3")
        #expect(BenchFormat.fixed(-1.25, 1) == "-1.3")
        #expect(BenchFormat.fixed(-0.004, 2) == "0.00")
        #expect(BenchFormat.fixed(1.0 / 3.0, 4) == "0.3333")
        #expect(BenchFormat.fixed(.infinity, 2) == "-")
        #expect(BenchFormat.fixed(.nan, 2) == "-")
        #expect(BenchFormat.fixed(1e15, 0) == "-")
        // Values that would overflow once scaled give no figure rather than a trap.
        #expect(BenchFormat.fixed(9.9e14, 4) == "-")
        #expect(BenchFormat.fixed(1e13, 6) == "-")
        #expect(BenchFormat.fixed(9.0e14, 3) == "900000000000000.000")
    }

    @Test("seconds and milliseconds of a Duration")
    func durations() {
        #expect(BenchFormat.seconds(.milliseconds(1_500)) == 1.5)
        #expect(BenchFormat.seconds(.seconds(90)) == 90)
        #expect(BenchFormat.seconds(.zero) == 0)
        #expect(isClose(BenchFormat.milliseconds(.microseconds(2_500)), 2.5))
    }

    @Test("readable: milliseconds below a second, seconds above")
    func readable() {
        #expect(BenchFormat.readable(.milliseconds(850)) == "850 ms")
        #expect(BenchFormat.readable(.microseconds(5_500)) == "5.50 ms")
        #expect(BenchFormat.readable(.milliseconds(1_250)) == "1.25 s")
        #expect(BenchFormat.readable(.seconds(61)) == "61.00 s")
    }

    @Test("percentile: nearest rank of a sorted list")
    func percentile() {
        let sorted = BenchFixture.times([10, 20, 30, 40])
        #expect(BenchFormat.percentile(sorted, 0) == .milliseconds(10))
        #expect(BenchFormat.percentile(sorted, 0.25) == .milliseconds(10))
        #expect(BenchFormat.percentile(sorted, 0.26) == .milliseconds(20))
        #expect(BenchFormat.percentile(sorted, 0.5) == .milliseconds(20))
        #expect(BenchFormat.percentile(sorted, 0.75) == .milliseconds(30))
        #expect(BenchFormat.percentile(sorted, 1) == .milliseconds(40))
        #expect(BenchFormat.percentile([], 0.5) == nil)
    }

    @Test("json: numbers with at most the given decimals; null for nil or not finite")
    func json() {
        #expect(BenchFormat.json(20.0, 2) == .number(JSONNumber(text: "20.00")!))
        #expect(BenchFormat.json(1.0 / 3.0, 4) == .number(JSONNumber(text: "0.3333")!))
        #expect(BenchFormat.json(Double.infinity, 2) == .null)
        #expect(BenchFormat.json(Double?.none, 2) == .null)
        #expect(BenchFormat.json(Int?.none) == .null)
        #expect(BenchFormat.json(Int?(42)) == 42)
    }
}

@Suite("BenchRecorder")
struct BenchRecorderTests {
    static func event(_ kind: ClientEvent.Kind, call: UInt64, at milliseconds: Int64) -> ClientEvent {
        ClientEvent(
            kind: kind, callID: call, provider: .openAI, model: "gpt-4o-mini", operation: .streamChat, attempt: 1,
            keyID: nil, instant: .milliseconds(milliseconds))
    }

    @Test("claimNext hands out each index once, then nil")
    func claimNext() {
        let recorder = BenchRecorder()
        #expect(recorder.claimNext(of: 3) == 0)
        #expect(recorder.claimNext(of: 3) == 1)
        #expect(recorder.claimNext(of: 3) == 2)
        #expect(recorder.claimNext(of: 3) == nil)
        #expect(recorder.snapshot().started == 3)
    }

    @Test("outcomes: successes, failures by code, cancellations; completion times in order")
    func outcomes() {
        let recorder = BenchRecorder()
        recorder.recordSuccess(at: .milliseconds(300))
        recorder.recordFailure("timeout", at: .milliseconds(100))
        recorder.recordFailure("timeout", at: .milliseconds(200))
        recorder.recordFailure("server_error", at: .milliseconds(400))
        recorder.recordCancellation()
        let state = recorder.snapshot()
        #expect(state.succeeded == 1)
        #expect(state.failedByCode == ["timeout": 2, "server_error": 1])
        #expect(state.failed == 3)
        #expect(state.completed == 4)
        #expect(state.cancelled == 1)
        #expect(state.completionTimes == BenchFixture.times([300, 100, 200, 400]))
    }

    @Test("events: attempts, statuses, 429s, retries, reserved tokens and the latencies of a call")
    func events() {
        let recorder = BenchRecorder()
        recorder.handle(Self.event(.requestStarted, call: 1, at: 1_000))
        recorder.handle(Self.event(.attemptStarted, call: 1, at: 1_500))
        var limited = Self.event(.responseHead, call: 1, at: 1_600)
        limited.status = 429
        recorder.handle(limited)
        recorder.handle(Self.event(.retryScheduled, call: 1, at: 1_600))
        recorder.handle(Self.event(.attemptStarted, call: 1, at: 3_000))
        var head = Self.event(.responseHead, call: 1, at: 3_100)
        head.status = 200
        recorder.handle(head)
        recorder.handle(Self.event(.firstToken, call: 1, at: 3_200))
        var settled = Self.event(.usageSettled, call: 1, at: 3_900)
        settled.tokens = 150
        recorder.handle(settled)
        var succeeded = Self.event(.requestSucceeded, call: 1, at: 4_000)
        succeeded.latency = .seconds(3)
        recorder.handle(succeeded)

        // A second call that fails: no latencies recorded for it.
        recorder.handle(Self.event(.requestStarted, call: 2, at: 5_000))
        recorder.handle(Self.event(.attemptStarted, call: 2, at: 5_000))
        var failedHead = Self.event(.responseHead, call: 2, at: 5_100)
        failedHead.status = 500
        recorder.handle(failedHead)
        recorder.handle(Self.event(.requestFailed, call: 2, at: 5_200))

        let state = recorder.snapshot()
        #expect(state.attempts == 3)
        #expect(state.retries == 1)
        #expect(state.rateLimitedResponses == 1)
        #expect(state.statuses == [429: 1, 200: 1, 500: 1])
        #expect(state.reservedTokens == 150)
        #expect(state.latencies.values == [.seconds(3)])
        // From the last attempt (3 s) to the end (4 s).
        #expect(state.serviceLatencies.values == [.seconds(1)])
        // From the call's start (1 s) and from the last attempt's (3 s) to the first token (3.2 s).
        #expect(state.firstTokenLatencies.values == [.milliseconds(2_200)])
        #expect(state.firstTokenServiceLatencies.values == [.milliseconds(200)])
        #expect(state.callStart.isEmpty)
        #expect(state.lastAttemptStart.isEmpty)
    }
}
