import Sluice
import SluiceMockServer
import Testing

@testable import sluice

@Suite("sluice bench --duration: options")
struct BenchDurationOptionTests {
    @Test("--duration: no count limit unless --requests, --max-duration defaults to the duration plus 60 s")
    func duration() throws {
        let settings = try BenchCommand.parse(["--duration", "600"]).makeSettings()
        #expect(settings.duration == .seconds(600))
        #expect(settings.requests == nil)
        #expect(settings.maxDuration == .seconds(660))
        #expect(settings.amountText == "for 600 s")

        let capped = try BenchCommand.parse(["--duration", "1.5", "--requests", "5000", "--max-duration", "10"])
            .makeSettings()
        #expect(capped.duration == .milliseconds(1_500))
        #expect(capped.requests == 5_000)
        #expect(capped.maxDuration == .seconds(10))
        #expect(capped.amountText == "for 1.5 s (at most 5000 requests)")
    }

    @Test("without --duration: 100 requests and a 600 s cap, as before")
    func countMode() throws {
        let settings = try BenchCommand.parse([]).makeSettings()
        #expect(settings.duration == nil)
        #expect(settings.requests == 100)
        #expect(settings.maxDuration == .seconds(600))
        #expect(settings.amountText == "100 requests")
        #expect(try BenchCommand.parse(["--requests", "7"]).makeSettings().requests == 7)
    }

    @Test("refused: a duration that is not positive, a cap shorter than the duration, no requests")
    func refused() {
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--duration", "0"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--duration", "-5"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--duration", "inf"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--duration", "600", "--max-duration", "300"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--max-duration", "0"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--duration", "60", "--requests", "0"]) }
        // A cap equal to the duration is coherent: whatever is in flight at the end is cancelled.
        #expect((try? BenchCommand.parse(["--duration", "60", "--max-duration", "60"])) != nil)
    }

    @Test("claimNext without a count never runs out")
    func claimWithoutLimit() {
        let recorder = BenchRecorder()
        for expected in 0..<1_000 { #expect(recorder.claimNext(of: nil) == expected) }
        #expect(recorder.claimNext(of: 1_000) == nil)
    }
}

@Suite("sluice bench: resident memory")
struct BenchMemoryTests {
    @Test("statm: the second field in pages times the page size")
    func statm() {
        #expect(ResidentMemory.bytes(statm: "52133 7301 2040 1 0 30000 0\n", pageSize: 4_096) == 7_301 * 4_096)
        #expect(ResidentMemory.bytes(statm: "1 2", pageSize: 16_384) == 32_768)
        #expect(ResidentMemory.bytes(statm: "52133\n", pageSize: 4_096) == nil)
        #expect(ResidentMemory.bytes(statm: "", pageSize: 4_096) == nil)
        #expect(ResidentMemory.bytes(statm: "52133 x 2040", pageSize: 4_096) == nil)
        #expect(ResidentMemory.bytes(statm: "52133 -4 2040", pageSize: 4_096) == nil)
        #expect(ResidentMemory.bytes(statm: "1 2 3", pageSize: 0) == nil)
        #expect(ResidentMemory.bytes(statm: "1 \(Int.max / 2) 3", pageSize: 4_096) == nil)
    }

    #if os(Linux)
        @Test("the process's RSS reads as some megabytes")
        func current() throws {
            let bytes = try #require(ResidentMemory.currentBytes())
            #expect(bytes > 1_000_000)
            #expect(bytes < 1 << 40)
        }
    #endif

    @Test("warm-up: the first fifth of the run, at most 60 s")
    func warmUp() {
        #expect(MemoryTrace.warmUp(of: .seconds(100)) == .seconds(20))
        #expect(MemoryTrace.warmUp(of: .seconds(300)) == .seconds(60))
        #expect(MemoryTrace.warmUp(of: .seconds(600)) == .seconds(60))
        #expect(MemoryTrace.warmUp(of: .seconds(2)) == .milliseconds(400))
    }

    @Test("summary: the first sample from the warm-up on, the final and the peak, growth in percent")
    func summary() throws {
        var trace = MemoryTrace()
        // Every 5 s over 100 s: 10 MB, a 14 MB peak at 10 s, 20 MB from 20 s (the warm-up's end), 21 MB at the end.
        for second in stride(from: 0, through: 100, by: 5) {
            let bytes =
                switch second {
                case 10: 14_000_000
                case 0..<20: 10_000_000
                case 100: 21_000_000
                default: 20_000_000
                }
            trace.record(bytes, at: .seconds(second))
        }
        let summary = try #require(trace.summary(length: .seconds(100)))
        #expect(summary.warmUp == .seconds(20))
        #expect(summary.afterWarmUp == MemoryTrace.Sample(time: .seconds(20), bytes: 20_000_000))
        #expect(summary.final == MemoryTrace.Sample(time: .seconds(100), bytes: 21_000_000))
        #expect(summary.peak == MemoryTrace.Sample(time: .seconds(100), bytes: 21_000_000))
        #expect(summary.samples == 21)
        #expect(isClose(summary.growthPercent, 5))

        // Shrinking is negative growth; the peak stays the largest sample.
        var shrinking = MemoryTrace()
        shrinking.record(8_000_000, at: .zero)
        shrinking.record(10_000_000, at: .seconds(60))
        shrinking.record(9_000_000, at: .seconds(300))
        let shrunk = try #require(shrinking.summary(length: .seconds(300)))
        #expect(isClose(shrunk.growthPercent, -10))
        #expect(shrunk.peak.bytes == 10_000_000)
    }

    @Test("no growth figure for a run with no sample of its own after warm-up; no summary without samples")
    func tooShort() throws {
        var trace = MemoryTrace()
        trace.record(10_000_000, at: .zero)
        trace.record(12_000_000, at: .milliseconds(800))
        let summary = try #require(trace.summary(length: .milliseconds(800)))
        #expect(summary.afterWarmUp == summary.final)
        #expect(summary.growthPercent == nil)
        #expect(MemoryTrace().summary(length: .seconds(10)) == nil)
    }

    @Test("a full trace drops every other sample and keeps the oldest, the newest and the exact peak")
    func thinning() {
        var trace = MemoryTrace(limit: 4)
        for (second, bytes) in [(0, 10), (5, 99), (10, 12), (15, 13), (20, 14)] {
            trace.record(bytes, at: .seconds(second))
        }
        #expect(trace.samples.map(\.bytes) == [10, 12, 14])
        #expect(trace.peak == MemoryTrace.Sample(time: .seconds(5), bytes: 99))
        #expect(trace.taken == 5)
        for second in stride(from: 25, through: 5_000, by: 5) { trace.record(1, at: .seconds(second)) }
        #expect(trace.samples.count <= 4)
        #expect(trace.samples.first?.time == .zero)
        #expect(trace.samples.last?.time == .seconds(5_000))
    }

    @Test("the sampler records what it measures; nothing when the RSS cannot be read")
    func sampler() {
        let sampler = MemorySampler(measure: { 42 })
        sampler.sample(at: .seconds(1))
        #expect(sampler.snapshot().samples == [MemoryTrace.Sample(time: .seconds(1), bytes: 42)])
        let blind = MemorySampler(measure: { nil })
        blind.sample(at: .seconds(1))
        #expect(blind.snapshot().taken == 0)
    }
}

@Suite("sluice bench: bounded records")
struct BenchBoundedRecordTests {
    @Test("a reservoir keeps every value in order up to its limit")
    func belowLimit() {
        #expect(BenchReservoir().isEmpty)
        #expect(BenchReservoir().values.isEmpty)
        var one = BenchReservoir(limit: 3)
        one.append(.seconds(7))
        #expect(!one.isEmpty)
        #expect(one.values == [.seconds(7)])
        let reservoir = BenchReservoir(BenchFixture.times([3, 1, 2]), limit: 3)
        #expect(reservoir.values == BenchFixture.times([3, 1, 2]))
        #expect(reservoir.seen == 3)
    }

    @Test("past its limit a reservoir keeps a uniform, repeatable sample of the limit's size")
    func pastLimit() {
        let offered = BenchFixture.times(Array(0..<100_000))
        let reservoir = BenchReservoir(offered, limit: 1_000)
        #expect(reservoir.values.count == 1_000)
        #expect(reservoir.seen == 100_000)
        #expect(reservoir == BenchReservoir(offered, limit: 1_000))
        // Uniform: the kept values' mean is near the middle, and the last half is represented
        // (a reservoir that stopped at its limit would keep only 0...999).
        let mean = reservoir.values.map(BenchFormat.milliseconds).reduce(0, +) / 1_000
        #expect(abs(mean - 50_000) < 3_000)
        #expect(reservoir.values.filter { $0 >= .milliseconds(50_000) }.count > 400)
        // The percentiles stay close to the true ones (p50 of 0..<100 000 ms is 50 s).
        let p50 = BenchFormat.percentile(reservoir.values.sorted(), 0.5).map(BenchFormat.seconds)
        #expect(isClose(p50, 50, tolerance: 5))
    }

    @Test("completion times are kept up to a bound; the last completion and the counts go on")
    func completionTimes() {
        let recorder = BenchRecorder()
        let kept = BenchRecorder.State.keptCompletionTimes
        for index in 0..<(kept + 50) { recorder.recordSuccess(at: .milliseconds(Int64(index))) }
        recorder.recordFailure("timeout", at: .milliseconds(Int64(kept + 100)))
        let state = recorder.snapshot()
        #expect(state.completionTimes.count == kept)
        #expect(state.completed == kept + 51)
        #expect(state.lastCompletion == .milliseconds(Int64(kept + 100)))
    }

    @Test("steady RPM counts the completions past those kept, up to the last one")
    func steadyPastKept() {
        var state = BenchRecorder.State()
        // Kept: a burst of 4 by 0.4 s, then two more; 60 completions in all, the last at 58.4 s.
        state.completionTimes = BenchFixture.times([100, 200, 300, 400, 1_400, 2_400])
        state.succeeded = 60
        state.lastCompletion = .milliseconds(58_400)
        let report = BenchFixture.report(
            settings: BenchFixture.settings(limits: RateLimits(requestsPerMinute: 60, requestBurst: 4)), state: state)
        // 56 completions after the burst in the 58 s from 0.4 s to 58.4 s.
        #expect(isClose(report.steadyRPM, 56.0 / 58.0 * 60))
        // A burst larger than the kept times gives no figure.
        state.completionTimes = BenchFixture.times([100, 200, 300])
        let unknown = BenchFixture.report(
            settings: BenchFixture.settings(limits: RateLimits(requestsPerMinute: 60, requestBurst: 4)), state: state)
        #expect(unknown.steadyRPM == nil)
    }
}

@Suite("sluice bench --duration: report")
struct BenchDurationReportTests {
    static let memory = MemorySummary(
        warmUp: .seconds(60), afterWarmUp: MemoryTrace.Sample(time: .seconds(60), bytes: 20 * 1_048_576),
        final: MemoryTrace.Sample(time: .seconds(605), bytes: 21 * 1_048_576),
        peak: MemoryTrace.Sample(time: .seconds(300), bytes: 22 * 1_048_576), samples: 122)

    static var report: BenchReport {
        var state = BenchRecorder.State()
        state.started = 1_000
        state.succeeded = 990
        state.failedByCode = ["timeout": 10]
        return BenchFixture.report(
            settings: BenchFixture.settings(requests: nil, duration: .seconds(600)), state: state,
            wall: .seconds(605), memory: memory)
    }

    @Test("JSON: requests null, the duration, nothing left unstarted, the RSS figures")
    func json() throws {
        let json = Self.report.json
        #expect(json["requests"]?.isNull == true)
        #expect(json["duration_seconds"]?.doubleValue == 600)
        #expect(json["not_started"]?.intValue == 0)
        let rss = json["rss"]
        #expect(rss?["samples"]?.intValue == 122)
        #expect(rss?["warm_up_seconds"]?.doubleValue == 60)
        #expect(rss?["after_warm_up_bytes"]?.intValue == 20_971_520)
        #expect(rss?["after_warm_up_at_seconds"]?.doubleValue == 60)
        #expect(rss?["final_bytes"]?.intValue == 22_020_096)
        #expect(rss?["peak_bytes"]?.intValue == 23_068_672)
        #expect(rss?["peak_at_seconds"]?.doubleValue == 300)
        // 21 MiB over 20 MiB.
        #expect(rss?["growth_percent"]?.doubleValue == 5)
        #expect(
            Set(try #require(rss?.objectValue).keys) == [
                "samples", "warm_up_seconds", "after_warm_up_bytes", "after_warm_up_at_seconds", "final_bytes",
                "peak_bytes", "peak_at_seconds", "growth_percent",
            ])
    }

    @Test("text: the duration in the heading, the RSS line")
    func text() {
        let text = Self.report.text
        #expect(text.contains("1 key (KEY_A), for 600 s, concurrency 4"))
        #expect(text.contains("Requests     990 succeeded, 10 failed (timeout 10)\n"))
        #expect(
            text.contains(
                "Memory       RSS 20.0 MiB after warm-up (at 60 s), 21.0 MiB final, 22.0 MiB peak; "
                    + "+5.00 % after warm-up (122 samples)"))
    }

    @Test("no RSS: null in the JSON, said in the text")
    func noMemory() {
        let report = BenchFixture.report(settings: BenchFixture.settings())
        #expect(report.json["rss"]?.isNull == true)
        #expect(report.json["duration_seconds"]?.isNull == true)
        #expect(report.text.contains("Memory       RSS unknown"))
    }
}

@Suite("sluice bench --duration: a run against the mock server on loopback")
struct BenchDurationRunTests {
    static func run(_ arguments: [String], faults: MockFaultPlan = .none) async throws -> BenchReport {
        var server = MockServerConfiguration()
        server.faults = faults
        let mock = MockLLMServer(configuration: server)
        try await mock.start()
        do {
            let command = try BenchCommand.parse(arguments + ["--base-url", "\(mock.baseURL)/v1", "--quiet"])
            let settings = try command.makeSettings()
            var configuration = LLMClient.Configuration.openAI(apiKey: "sk-test", baseURL: settings.baseURL)
            configuration.retryPolicy = try RetryPolicy(maxAttempts: settings.maxAttempts)
            configuration.timeouts = TimeoutPolicy(
                total: nil, responseHead: settings.timeout, streamingResponseHead: settings.timeout,
                firstToken: settings.timeout, idle: settings.timeout, attempt: settings.timeout)
            let report = try await BenchRunner(settings: settings, configuration: configuration, showsProgress: false)
                .run()
            await mock.shutdown()
            return report
        } catch {
            await mock.shutdown()
            throw error
        }
    }

    @Test(
        "keeps sending until the time is up, then stops by itself with every call accounted for",
        .timeLimit(.minutes(1)))
    func stopsByItself() async throws {
        let faults = MockFaultPlan(
            seed: 7, [.rate(0.2, .serverError(503, retryAfter: .milliseconds(5))), .rate(0.1, .dropConnection())])
        let report = try await Self.run(
            ["--duration", "3", "--concurrency", "4", "--timeout", "5"], faults: faults)
        let state = report.state
        #expect(!report.hitMaxDuration)
        #expect(report.wall >= .seconds(3))
        #expect(report.wall < .seconds(20))
        // It kept starting calls after the first four (however slow a loaded machine makes them).
        #expect(state.started > 4)
        #expect(state.succeeded > 0)
        #expect(state.started == state.completed + state.cancelled)
        #expect(report.notStarted == 0)
        #expect(state.retries > 0)
        #expect(state.callStart.isEmpty && state.lastAttemptStart.isEmpty)
        #if os(Linux)
            let memory = try #require(report.memory)
            // At the start and at the end.
            #expect(memory.samples >= 2)
            #expect(memory.final.time == report.wall)
        #endif
    }

    @Test("--requests still caps a --duration run", .timeLimit(.minutes(1)))
    func requestsCap() async throws {
        let report = try await Self.run(["--duration", "30", "--requests", "6", "--concurrency", "2"])
        #expect(report.state.started == 6)
        #expect(report.state.succeeded == 6)
        #expect(report.wall < .seconds(20))
    }

    @Test("--max-duration equal to --duration cancels what is in flight at the end", .timeLimit(.minutes(1)))
    func capCancels() async throws {
        // Every call stalls past the duration: none can end before the cap. Two seconds, so that calls
        // start on a loaded machine; a wall under the 10 s stall shows the cap cancelled them.
        let faults = MockFaultPlan(seed: 1, [.rate(1, .headDelay(.seconds(10)))])
        let report = try await Self.run(
            ["--duration", "2", "--max-duration", "2", "--concurrency", "2", "--timeout", "30"], faults: faults)
        #expect(report.hitMaxDuration)
        #expect(report.state.started > 0)
        #expect(report.state.completed == 0)
        #expect(report.state.cancelled == report.state.started)
        #expect(report.wall < .seconds(9))
    }
}
