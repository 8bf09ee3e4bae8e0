import Sluice

@testable import sluice

/// Settings and reports built by hand, so every expected value in these tests can be worked out
/// on paper.
enum BenchFixture {
    static func settings(
        provider: Provider = .openAI,
        keys: [String] = ["KEY_A"],
        requests: Int? = 10,
        duration: Duration? = nil,
        limits: RateLimits = .unlimited,
        stream: Bool = false
    ) -> BenchSettings {
        BenchSettings(
            provider: provider, model: provider == .openAI ? "gpt-4o-mini" : "claude-haiku-4-5",
            baseURL: "http://127.0.0.1:8080/v1", keyLabels: keys, requests: requests, duration: duration,
            concurrency: 4,
            stream: stream, maxTokens: 64, promptCharacters: 200, timeout: .seconds(60),
            maxDuration: .seconds(600), maxAttempts: 3, requestsPerMinute: limits.requestsPerMinute,
            tokensPerMinute: limits.tokensPerMinute, inputTokensPerMinute: limits.inputTokensPerMinute,
            outputTokensPerMinute: limits.outputTokensPerMinute, burstSeconds: 60, limits: limits)
    }

    static func usage(input: Int = 0, output: Int = 0, rateLimitWait: Duration = .zero) -> UsageTotals {
        var usage = UsageTotals()
        usage.inputTokens = input
        usage.outputTokens = output
        usage.rateLimitWait = rateLimitWait
        return usage
    }

    static func report(
        settings: BenchSettings,
        state: BenchRecorder.State = BenchRecorder.State(),
        usage: UsageTotals = UsageTotals(),
        wall: Duration = .seconds(60),
        hitMaxDuration: Bool = false,
        memory: MemorySummary? = nil
    ) -> BenchReport {
        BenchReport(
            settings: settings, state: state, usage: usage, wall: wall, hitMaxDuration: hitMaxDuration,
            memory: memory)
    }

    /// Completion times in seconds, given as milliseconds so the spans are exact.
    static func times(_ milliseconds: [Int64]) -> [Duration] { milliseconds.map { .milliseconds($0) } }
}

/// Whether `value` is within `tolerance` of `expected` (`nil` never is).
func isClose(_ value: Double?, _ expected: Double, tolerance: Double = 1e-9) -> Bool {
    guard let value else { return false }
    return abs(value - expected) <= tolerance
}
