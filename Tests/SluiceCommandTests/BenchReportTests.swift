import Sluice
import Testing

@testable import sluice

@Suite("BenchReport: rates, limits and ratios")
struct BenchReportRateTests {
    /// 9 successes and 1 failure in 30 s; 3 000 input and 1 500 output tokens used; 4 000 reserved.
    static var halfMinuteState: BenchRecorder.State {
        var state = BenchRecorder.State()
        state.started = 10
        state.succeeded = 9
        state.failedByCode = ["timeout": 1]
        state.reservedTokens = 4_000
        return state
    }

    @Test("achieved rates are counts over the wall time in minutes")
    func achievedRates() {
        let report = BenchFixture.report(
            settings: BenchFixture.settings(), state: Self.halfMinuteState,
            usage: BenchFixture.usage(input: 3_000, output: 1_500), wall: .seconds(30))
        // 10 completed (failures included) in half a minute.
        #expect(report.achievedRPM == 20)
        #expect(report.achievedTPM == 9_000)
        #expect(report.achievedInputTPM == 6_000)
        #expect(report.achievedOutputTPM == 3_000)
        #expect(report.reservedTPM == 8_000)
    }

    @Test("a wall time with a fraction of a second counts exactly")
    func fractionalWall() {
        var state = BenchRecorder.State()
        state.succeeded = 3
        // 3 calls in 1.5 s: 2 per second, 120 per minute.
        let report = BenchFixture.report(
            settings: BenchFixture.settings(), state: state, wall: .milliseconds(1_500))
        #expect(isClose(report.achievedRPM, 120))
    }

    @Test("OpenAI: the pool's limits are per-key limits times the keys; TPM is measured by the reservation")
    func openAIRatios() {
        let settings = BenchFixture.settings(
            keys: ["KEY_A", "KEY_B"], limits: RateLimits(requestsPerMinute: 30, tokensPerMinute: 5_000))
        let report = BenchFixture.report(
            settings: settings, state: Self.halfMinuteState,
            usage: BenchFixture.usage(input: 3_000, output: 1_500), wall: .seconds(30))
        #expect(report.rpmLimit == 60)
        #expect(report.tpmLimit == 10_000)
        #expect(report.itpmLimit == nil)
        #expect(report.otpmLimit == nil)
        // 20 of 60 requests per minute.
        #expect(isClose(report.rpmRatio, 1.0 / 3.0))
        // 8 000 reserved of 10 000 (the 9 000 used would give 0.9).
        #expect(isClose(report.tpmRatio, 0.8))
        #expect(report.itpmRatio == nil)
        #expect(report.otpmRatio == nil)
    }

    @Test("Anthropic: ITPM and OTPM are measured by the tokens used, against the pool's limits")
    func anthropicRatios() {
        let settings = BenchFixture.settings(
            provider: .anthropic, keys: ["KEY_A", "KEY_B", "KEY_C"],
            limits: RateLimits(requestsPerMinute: 50, inputTokensPerMinute: 4_000, outputTokensPerMinute: 1_000))
        var state = Self.halfMinuteState
        state.reservedTokens = 9_000
        let report = BenchFixture.report(
            settings: settings, state: state, usage: BenchFixture.usage(input: 6_000, output: 1_500),
            wall: .seconds(60))
        #expect(report.rpmLimit == 150)
        #expect(report.itpmLimit == 12_000)
        #expect(report.otpmLimit == 3_000)
        #expect(report.tpmLimit == nil)
        #expect(isClose(report.rpmRatio, 10.0 / 150.0))
        // 6 000 input of 12 000.
        #expect(isClose(report.itpmRatio, 0.5))
        // 1 500 output of 3 000 (not the 9 000 reserved).
        #expect(isClose(report.otpmRatio, 0.5))
        #expect(report.tpmRatio == nil)
    }

    @Test("no limits: no pool limit, no ratio")
    func unlimited() {
        let report = BenchFixture.report(
            settings: BenchFixture.settings(keys: ["KEY_A", "KEY_B"]), state: Self.halfMinuteState,
            usage: BenchFixture.usage(input: 3_000, output: 1_500), wall: .seconds(30))
        #expect(report.rpmLimit == nil)
        #expect(report.tpmLimit == nil)
        #expect(report.requestBurst == nil)
        #expect(report.rpmRatio == nil)
        #expect(report.tpmRatio == nil)
        #expect(report.itpmRatio == nil)
        #expect(report.otpmRatio == nil)
    }

    @Test("poolLimit multiplies by the number of keys; nil stays nil")
    func poolLimit() {
        #expect(BenchFixture.settings(keys: ["A"]).poolLimit(7) == 7)
        #expect(BenchFixture.settings(keys: ["A", "B", "C"]).poolLimit(7) == 21)
        #expect(BenchFixture.settings(keys: ["A", "B", "C"]).poolLimit(nil) == nil)
    }

    @Test("the request burst is the pool's: the per-key burst, or the per-key RPM, times the keys")
    func requestBurst() {
        let withBurst = BenchFixture.settings(
            keys: ["A", "B", "C"], limits: RateLimits(requestsPerMinute: 10, requestBurst: 2))
        #expect(BenchFixture.report(settings: withBurst).requestBurst == 6)
        let withoutBurst = BenchFixture.settings(keys: ["A", "B", "C"], limits: RateLimits(requestsPerMinute: 10))
        #expect(BenchFixture.report(settings: withoutBurst).requestBurst == 30)
    }

    @Test("ratio: achieved over limit; nil for a nil, zero or negative limit")
    func ratio() {
        let report = BenchFixture.report(settings: BenchFixture.settings())
        #expect(report.ratio(30, 60) == 0.5)
        #expect(report.ratio(90, 60) == 1.5)
        #expect(report.ratio(0, 60) == 0)
        #expect(report.ratio(30, nil) == nil)
        #expect(report.ratio(30, 0) == nil)
        #expect(report.ratio(30, -5) == nil)
    }

    @Test("notStarted: requests minus started, never negative")
    func notStarted() {
        var state = BenchRecorder.State()
        state.started = 7
        #expect(BenchFixture.report(settings: BenchFixture.settings(requests: 10), state: state).notStarted == 3)
        state.started = 10
        #expect(BenchFixture.report(settings: BenchFixture.settings(requests: 10), state: state).notStarted == 0)
        state.started = 12
        #expect(BenchFixture.report(settings: BenchFixture.settings(requests: 10), state: state).notStarted == 0)
    }
}

@Suite("BenchReport: steady RPM after the burst")
struct BenchReportSteadyRPMTests {
    static func report(keys: [String] = ["KEY_A"], limits: RateLimits, times: [Duration]) -> BenchReport {
        var state = BenchRecorder.State()
        state.succeeded = times.count
        state.completionTimes = times
        return BenchFixture.report(settings: BenchFixture.settings(keys: keys, limits: limits), state: state)
    }

    /// A burst of 4 by 0.4 s, then one completion a second up to 4.4 s; given out of order.
    static let burstThenOnePerSecond = BenchFixture.times([1_400, 300, 4_400, 100, 2_400, 400, 3_400, 200])

    @Test("the completions after the burst over the time from the burst's last one to the last one")
    func afterBurst() {
        let report = Self.report(
            limits: RateLimits(requestsPerMinute: 120, requestBurst: 4), times: Self.burstThenOnePerSecond)
        // 4 completions in the 4 s from 0.4 s to 4.4 s: 60 a minute.
        #expect(isClose(report.steadyRPM, 60))
    }

    @Test("the burst is the pool's: per-key burst times the keys")
    func poolBurst() {
        // 2 keys with a burst of 2 each: the same first 4 completions are the burst.
        let report = Self.report(
            keys: ["KEY_A", "KEY_B"], limits: RateLimits(requestsPerMinute: 60, requestBurst: 2),
            times: Self.burstThenOnePerSecond)
        #expect(isClose(report.steadyRPM, 60))
    }

    @Test("without a request burst the burst is the per-minute limit")
    func burstDefaultsToRPM() {
        // RPM 2 per key on 2 keys: a burst of 4.
        let report = Self.report(
            keys: ["KEY_A", "KEY_B"], limits: RateLimits(requestsPerMinute: 2), times: Self.burstThenOnePerSecond)
        #expect(isClose(report.steadyRPM, 60))
    }

    @Test("at least two completions after the burst are needed")
    func tooFewCompletions() {
        let limits = RateLimits(requestsPerMinute: 120, requestBurst: 4)
        // The burst and one more: nil.
        #expect(Self.report(limits: limits, times: BenchFixture.times([100, 200, 300, 400, 2_400])).steadyRPM == nil)
        // Only the burst, or less: nil.
        #expect(Self.report(limits: limits, times: BenchFixture.times([100, 200, 300, 400])).steadyRPM == nil)
        #expect(Self.report(limits: limits, times: []).steadyRPM == nil)
        // The burst and two more: 2 in the 4 s from 0.4 s to 4.4 s, 30 a minute.
        let two = Self.report(limits: limits, times: BenchFixture.times([100, 200, 300, 400, 2_400, 4_400]))
        #expect(isClose(two.steadyRPM, 30))
    }

    @Test("no request limit: nil")
    func noRequestLimit() {
        let report = Self.report(limits: RateLimits(tokensPerMinute: 10_000), times: Self.burstThenOnePerSecond)
        #expect(report.steadyRPM == nil)
    }

    @Test("no time between the burst's end and the last completion: nil")
    func zeroSpan() {
        let report = Self.report(
            limits: RateLimits(requestsPerMinute: 120, requestBurst: 2),
            times: BenchFixture.times([500, 500, 500, 500, 500]))
        #expect(report.steadyRPM == nil)
    }
}

@Suite("BenchReport: percentiles")
struct BenchReportPercentileTests {
    @Test("nearest rank on ten latencies, given out of order")
    func tenValues() {
        let values = BenchFixture.times([600, 100, 900, 300, 1_000, 700, 200, 500, 800, 400])
        let percentiles = BenchReport.Percentiles(values)
        // Ranks ceil(0.5 * 10) = 5, ceil(0.9 * 10) = 9, ceil(0.99 * 10) = 10.
        #expect(percentiles.p50 == .milliseconds(500))
        #expect(percentiles.p90 == .milliseconds(900))
        #expect(percentiles.p99 == .milliseconds(1_000))
        #expect(percentiles.max == .milliseconds(1_000))
        #expect(!percentiles.isEmpty)
    }

    @Test("nearest rank on a hundred latencies")
    func hundredValues() {
        let values = (1...100).reversed().map { Duration.milliseconds($0) }
        let percentiles = BenchReport.Percentiles(values)
        #expect(percentiles.p50 == .milliseconds(50))
        #expect(percentiles.p90 == .milliseconds(90))
        #expect(percentiles.p99 == .milliseconds(99))
        #expect(percentiles.max == .milliseconds(100))
    }

    @Test("three latencies: the ranks round up")
    func threeValues() {
        let percentiles = BenchReport.Percentiles(BenchFixture.times([30, 10, 20]))
        // Ranks ceil(1.5) = 2, ceil(2.7) = 3, ceil(2.97) = 3.
        #expect(percentiles.p50 == .milliseconds(20))
        #expect(percentiles.p90 == .milliseconds(30))
        #expect(percentiles.p99 == .milliseconds(30))
        #expect(percentiles.max == .milliseconds(30))
    }

    @Test("one latency is every percentile")
    func oneValue() {
        let percentiles = BenchReport.Percentiles([.milliseconds(42)])
        #expect(percentiles.p50 == .milliseconds(42))
        #expect(percentiles.p90 == .milliseconds(42))
        #expect(percentiles.p99 == .milliseconds(42))
        #expect(percentiles.max == .milliseconds(42))
    }

    @Test("no latencies: every percentile nil, JSON null, text none")
    func empty() {
        let percentiles = BenchReport.Percentiles([])
        #expect(percentiles.p50 == nil)
        #expect(percentiles.p90 == nil)
        #expect(percentiles.p99 == nil)
        #expect(percentiles.max == nil)
        #expect(percentiles.isEmpty)
        #expect(percentiles.json == .null)
        #expect(percentiles.text == "none")
        #expect(BenchFormat.percentile([], 0.5) == nil)
    }

    @Test("JSON: milliseconds with one decimal")
    func json() throws {
        let percentiles = BenchReport.Percentiles([.microseconds(1_234_567), .microseconds(250_040)])
        let json = percentiles.json
        #expect(json["p50"]?.doubleValue == 250.0)
        #expect(json["p90"]?.doubleValue == 1_234.6)
        #expect(json["p99"]?.doubleValue == 1_234.6)
        #expect(json["max"]?.doubleValue == 1_234.6)
        #expect(percentiles.text == "p50 250 ms, p90 1.23 s, p99 1.23 s, max 1.23 s")
    }

    @Test("the report's latency percentiles come from the matching recorded lists")
    func reportLists() {
        var state = BenchRecorder.State()
        state.latencies = BenchReservoir(BenchFixture.times([300, 100, 200]))
        state.serviceLatencies = BenchReservoir(BenchFixture.times([30, 10, 20]))
        state.firstTokenLatencies = BenchReservoir(BenchFixture.times([3]))
        let report = BenchFixture.report(settings: BenchFixture.settings(), state: state)
        #expect(report.latency.p50 == .milliseconds(200))
        #expect(report.serviceLatency.p50 == .milliseconds(20))
        #expect(report.firstToken.max == .milliseconds(3))
        #expect(report.firstTokenService.isEmpty)
    }
}
