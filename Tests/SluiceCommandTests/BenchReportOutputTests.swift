import Sluice
import Testing

@testable import sluice

@Suite("BenchReport: JSON and text output")
struct BenchReportOutputTests {
    /// Two OpenAI keys at 30 RPM and 5 000 TPM each (bursts of 2 requests and 2 000 tokens); 12
    /// requests of which 11 started: 8 succeeded, 2 failed, 1 cancelled, in 30 s, stopped by the cap.
    static var report: BenchReport {
        let settings = BenchFixture.settings(
            keys: ["KEY_A", "KEY_B"], requests: 12,
            limits: RateLimits(requestsPerMinute: 30, tokensPerMinute: 5_000, requestBurst: 2, tokenBurst: 2_000))
        var state = BenchRecorder.State()
        state.started = 11
        state.succeeded = 8
        state.failedByCode = ["timeout": 1, "server_error": 1]
        state.cancelled = 1
        // The pool's burst of 4, then one completion every 2 s up to 12.4 s.
        state.completionTimes = BenchFixture.times([100, 200, 300, 400, 2_400, 4_400, 6_400, 8_400, 10_400, 12_400])
        state.attempts = 14
        state.retries = 3
        state.rateLimitedResponses = 2
        state.statuses = [500: 4, 200: 8, 429: 2]
        state.reservedTokens = 4_000
        state.latencies = BenchReservoir(BenchFixture.times([800, 100, 700, 200, 600, 300, 500, 400]))
        var usage = BenchFixture.usage(input: 3_000, output: 1_500, rateLimitWait: .milliseconds(12_500))
        usage.cachedInputTokens = 500
        usage.cost = Cost(nanodollars: 1_234_567)
        return BenchFixture.report(
            settings: settings, state: state, usage: usage, wall: .seconds(30), hitMaxDuration: true)
    }

    /// The top-level keys README.md and `sluice bench --help` document for `--json`.
    static let documentedKeys: Set<String> = [
        "provider", "model", "base_url", "keys", "stream", "requests", "concurrency", "max_tokens", "prompt_chars",
        "cached_prefix_tokens", "achieved_counted_input_tpm",
        "timeout_seconds", "max_duration_seconds", "limits", "succeeded", "failed", "failed_by_code", "cancelled",
        "not_started", "attempts", "retries", "http_429", "statuses", "wall_seconds", "hit_max_duration",
        "rate_limit_wait_seconds", "achieved_rpm", "steady_rpm", "rpm_limit", "rpm_ratio", "achieved_tpm",
        "achieved_input_tpm", "achieved_output_tpm", "reserved_tpm", "tpm_limit", "tpm_ratio", "itpm_limit",
        "itpm_ratio", "otpm_limit", "otpm_ratio", "latency_ms", "service_latency_ms", "ttft_ms", "ttft_service_ms",
        "tokens", "cost_usd", "unpriced_models", "duration_seconds", "rss",
    ]

    @Test("the JSON object has exactly the documented keys, and prints as JSON that parses back the same")
    func documentedKeys() throws {
        let json = Self.report.json
        let object = try #require(json.objectValue)
        #expect(Set(object.keys) == Self.documentedKeys)
        #expect(object.keys.count == Self.documentedKeys.count)
        #expect(
            Set(try #require(json["limits"]?.objectValue).keys) == [
                "rpm", "tpm", "itpm", "otpm", "burst_seconds", "request_burst", "token_burst", "input_token_burst",
                "output_token_burst",
            ])
        #expect(Set(try #require(json["tokens"]?.objectValue).keys) == ["input", "output", "cached_input", "total"])
        #expect(Set(try #require(json["latency_ms"]?.objectValue).keys) == ["p50", "p90", "p99", "max"])
        #expect(try JSONValue(parsing: json.description) == json)
    }

    @Test("the JSON values: run, outcome, rates against the pool's limits, latencies, tokens, cost")
    func values() {
        let json = Self.report.json
        #expect(json["provider"]?.stringValue == "openai")
        #expect(json["model"]?.stringValue == "gpt-4o-mini")
        #expect(json["base_url"]?.stringValue == "http://127.0.0.1:8080/v1")
        #expect(json["keys"] == ["KEY_A", "KEY_B"])
        #expect(json["stream"]?.boolValue == false)
        #expect(json["requests"]?.intValue == 12)
        #expect(json["concurrency"]?.intValue == 4)
        #expect(json["max_tokens"]?.intValue == 64)
        #expect(json["prompt_chars"]?.intValue == 200)
        #expect(json["timeout_seconds"]?.doubleValue == 60)
        #expect(json["max_duration_seconds"]?.doubleValue == 600)

        // Limits are per key, as given.
        let limits = json["limits"]
        #expect(limits?["rpm"]?.intValue == 30)
        #expect(limits?["tpm"]?.intValue == 5_000)
        #expect(limits?["itpm"]?.isNull == true)
        #expect(limits?["otpm"]?.isNull == true)
        #expect(limits?["burst_seconds"]?.doubleValue == 60)
        #expect(limits?["request_burst"]?.intValue == 2)
        #expect(limits?["token_burst"]?.intValue == 2_000)
        #expect(limits?["input_token_burst"]?.isNull == true)
        #expect(limits?["output_token_burst"]?.isNull == true)

        #expect(json["succeeded"]?.intValue == 8)
        #expect(json["failed"]?.intValue == 2)
        #expect(json["failed_by_code"] == ["server_error": 1, "timeout": 1])
        #expect(json["cancelled"]?.intValue == 1)
        #expect(json["not_started"]?.intValue == 1)
        #expect(json["attempts"]?.intValue == 14)
        #expect(json["retries"]?.intValue == 3)
        #expect(json["http_429"]?.intValue == 2)
        #expect(json["statuses"] == ["200": 8, "429": 2, "500": 4])

        #expect(json["wall_seconds"]?.doubleValue == 30)
        #expect(json["hit_max_duration"]?.boolValue == true)
        #expect(json["rate_limit_wait_seconds"]?.doubleValue == 12.5)
        // 10 completed in half a minute, against 2 keys × 30.
        #expect(json["achieved_rpm"]?.doubleValue == 20)
        // 6 completions after the burst of 4, in the 12 s from 0.4 s to 12.4 s.
        #expect(json["steady_rpm"]?.doubleValue == 30)
        #expect(json["rpm_limit"]?.intValue == 60)
        #expect(json["rpm_ratio"]?.doubleValue == 0.3333)
        #expect(json["achieved_tpm"]?.doubleValue == 9_000)
        #expect(json["achieved_input_tpm"]?.doubleValue == 6_000)
        #expect(json["achieved_output_tpm"]?.doubleValue == 3_000)
        #expect(json["reserved_tpm"]?.doubleValue == 8_000)
        #expect(json["tpm_limit"]?.intValue == 10_000)
        #expect(json["tpm_ratio"]?.doubleValue == 0.8)
        #expect(json["itpm_limit"]?.isNull == true)
        #expect(json["itpm_ratio"]?.isNull == true)
        #expect(json["otpm_limit"]?.isNull == true)
        #expect(json["otpm_ratio"]?.isNull == true)

        // Ranks 4, 8, 8 of the eight latencies.
        #expect(json["latency_ms"] == ["p50": 400.0, "p90": 800.0, "p99": 800.0, "max": 800.0])
        #expect(json["latency_ms"]?["p50"]?.doubleValue == 400)
        #expect(json["latency_ms"]?["max"]?.doubleValue == 800)
        #expect(json["service_latency_ms"]?.isNull == true)
        #expect(json["ttft_ms"]?.isNull == true)
        #expect(json["ttft_service_ms"]?.isNull == true)

        #expect(json["tokens"]?["input"]?.intValue == 3_000)
        #expect(json["tokens"]?["output"]?.intValue == 1_500)
        #expect(json["tokens"]?["cached_input"]?.intValue == 500)
        #expect(json["tokens"]?["total"]?.intValue == 4_500)
        #expect(json["cost_usd"]?.doubleValue == 0.001235)
        #expect(json["unpriced_models"] == [])
    }

    @Test("JSON: an unpriced model gives a null cost and names the model; no limits give null limits")
    func unpricedAndUnlimited() {
        var usage = BenchFixture.usage(input: 10, output: 5)
        usage.cost = nil
        usage.unpricedModels = ["my-model"]
        var state = BenchRecorder.State()
        state.succeeded = 1
        state.completionTimes = [.seconds(1)]
        let report = BenchFixture.report(settings: BenchFixture.settings(), state: state, usage: usage)
        let json = report.json
        #expect(json["cost_usd"]?.isNull == true)
        #expect(json["unpriced_models"] == ["my-model"])
        #expect(json["hit_max_duration"]?.boolValue == false)
        #expect(json["rate_limit_wait_seconds"]?.doubleValue == 0)
        #expect(json["steady_rpm"]?.isNull == true)
        #expect(json["rpm_limit"]?.isNull == true)
        #expect(json["rpm_ratio"]?.isNull == true)
        #expect(json["tpm_limit"]?.isNull == true)
        #expect(json["tpm_ratio"]?.isNull == true)
        #expect(json["limits"]?["rpm"]?.isNull == true)
        #expect(json["failed_by_code"] == [:])
        #expect(json["statuses"] == [:])
        #expect(json["achieved_rpm"]?.doubleValue == 1)
        #expect(report.costText == "unpriced (my-model)")
    }

    @Test("the text summary shows the same figures")
    func text() {
        let text = Self.report.text
        #expect(text.contains("2 keys (KEY_A, KEY_B), 12 requests, concurrency 4, not streaming"))
        #expect(text.contains("limits per key: 30 requests/min (burst 2), 5000 tokens/min (burst 2000)"))
        #expect(
            text.contains("Requests     8 succeeded, 2 failed (server_error 1, timeout 1), 1 cancelled, 1 not started"))
        #expect(text.contains("Attempts     14 sent, 3 retries, 2 HTTP 429 received"))
        #expect(
            text.contains(
                "Wall time    30.00 s (stopped by --max-duration), waiting for rate budget 12.5 s in all"))
        #expect(text.contains("Requests/min 20.0 (33.3 % of 60); 30.0 after the first burst of 4"))
        #expect(
            text.contains(
                "Tokens/min   9000 used, 8000 reserved (prompt estimate + max tokens), 80.0 % of 10000"))
        #expect(text.contains("Latency      p50 400 ms, p90 800 ms, p99 800 ms, max 800 ms"))
        #expect(text.contains("Tokens       3000 input (500 cache reads, 0 cache writes), 1500 output, 4500 total; cost $0.001235"))
        #expect(!text.contains("First token"))
    }

    @Test("the text summary for Anthropic shows input and output against ITPM and OTPM")
    func anthropicText() {
        let settings = BenchFixture.settings(
            provider: .anthropic, keys: ["KEY_A", "KEY_B", "KEY_C"],
            limits: RateLimits(requestsPerMinute: 50, inputTokensPerMinute: 4_000, outputTokensPerMinute: 1_000))
        var state = BenchRecorder.State()
        state.succeeded = 10
        state.reservedTokens = 9_000
        let report = BenchFixture.report(
            settings: settings, state: state, usage: BenchFixture.usage(input: 6_000, output: 1_500))
        #expect(
            report.text.contains("Tokens/min   7500 used (6000 input, 50.0 % of 12000; 1500 output, 50.0 % of 3000)"))
    }

    @Test("with cache reads, the input limit's share counts the input without them")
    func anthropicCachedText() {
        let settings = BenchFixture.settings(
            provider: .anthropic, keys: ["KEY_A"], limits: RateLimits(inputTokensPerMinute: 1_000))
        var state = BenchRecorder.State()
        state.succeeded = 10
        var usage = BenchFixture.usage(input: 5_000, output: 100)
        usage.cachedInputTokens = 4_500
        usage.cacheCreationInputTokens = 450
        let report = BenchFixture.report(settings: settings, state: state, usage: usage)
        // 5000 input in the fixture's minute, 500 of it counted: half the 1000 limit.
        #expect(report.text.contains("5000 input, 500 counted without cache reads, 50.0 % of 1000"))
        #expect(report.json["achieved_counted_input_tpm"]?.doubleValue == 500)
        #expect(report.json["itpm_ratio"]?.doubleValue == 0.5)
    }
}
