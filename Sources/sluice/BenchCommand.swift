import ArgumentParser
import Sluice
import SluiceRedis

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `sluice bench`: measures Sluice against an OpenAI- or Anthropic-compatible endpoint under the
/// limits you give it.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Send many chat requests through Sluice's limiter and report rates, latencies, tokens and cost.",
        discussion: """
            Sends --requests chat calls (or, with --duration, keeps sending for that many seconds), \
            --concurrency at a time, through one LLMClient whose rate \
            limiter holds every key to --rpm and --tpm. Each key in the pool (--api-key-env, \
            repeatable; default OPENAI_API_KEY or ANTHROPIC_API_KEY) gets the same limits, so the \
            pool's limit is the per-key limit times the number of keys. Keys are never printed: the \
            environment variable's name labels each key.

            Prompts are --prompt-chars characters of deterministic text, starting with the request's \
            number. Each bucket holds --burst-seconds seconds' worth of its per-minute limit (default \
            60: the whole minute, as the providers do), so the first burst is free; give the same \
            burst to the server (sluice mock-server --request-burst, --token-burst) and use a small \
            value (2) to measure the steady rate.

            Prompt caching: --cached-prefix-tokens N puts a system prompt of about N tokens, the same \
            for every call and marked with cache_control, before each call's prompt. Anthropic (and \
            sluice mock-server) then reads it from the cache, and its input limit does not count \
            cache reads: the limiter reserves the whole prompt and gives the reads back when the call \
            settles, so itpm_ratio (counted input, cache reads left out, over the limit) can reach the \
            limit. OpenAI caches by itself and counts cached tokens; the breakpoint is not sent there.

            Token limits: for --provider openai, --tpm counts prompt and output tokens together (each \
            request reserves its prompt estimate plus --max-tokens). For --provider anthropic, --tpm \
            sets both the input and the output tokens per minute; --itpm and --otpm set them apart \
            (and win over --tpm).

            Bounded: --timeout (default 60 s) limits each attempt (response head, first token, gaps \
            between chunks, the whole attempt); the default retry policy makes up to --max-attempts \
            attempts; --max-duration (default 600 s, or --duration plus 60 s) stops the whole run, \
            cancelling what is in flight and counting the rest as not started.

            Soak: --duration SECONDS starts calls until that time is up (at most --requests calls \
            when given, no count limit otherwise), then lets those in flight finish within \
            --max-duration, which must be at least --duration. Every run samples the process's \
            resident memory (RSS, from /proc/self/statm) at the start, every 5 s and at the end, \
            and reports it after warm-up (the first sample once a fifth of the run, or 60 s if \
            sooner, has passed), at the end and at its peak, and the growth from the first to the \
            second (scripts/soak fails a run past 5 %). Latency percentiles \
            come from a uniform sample of at most 10 000 calls, so memory stays bounded however \
            long the run.

            Progress goes to stderr: one line redrawn on a terminal, a line every 2 s otherwise. \
            The summary goes to stdout; with --json, stdout holds exactly one JSON object:

            provider, model, base_url, keys (labels), stream, requests (null with --duration and no \
            --requests), duration_seconds (null without --duration), concurrency, max_tokens, \
            prompt_chars, cached_prefix_tokens, timeout_seconds, max_duration_seconds; limits {rpm, tpm, itpm, otpm, \
            burst_seconds, request_burst, token_burst, input_token_burst, output_token_burst} (per \
            key, null when unset); succeeded, failed, failed_by_code {code: count}, cancelled, \
            not_started; attempts, retries, http_429 (response heads with status 429), statuses \
            {status: count}; wall_seconds, hit_max_duration, rate_limit_wait_seconds (summed over \
            calls); achieved_rpm (calls completed / wall time), steady_rpm (after the first burst), \
            rpm_limit (pool), rpm_ratio; achieved_tpm (input + output used), achieved_input_tpm, \
            achieved_counted_input_tpm (input less cache reads, what Anthropic's input limit counts), \
            achieved_output_tpm, reserved_tpm (prompt estimate + max tokens, settled), tpm_limit, \
            tpm_ratio (reserved / limit), itpm_limit, itpm_ratio, otpm_limit, otpm_ratio (used / \
            limit); latency_ms, service_latency_ms, ttft_ms, ttft_service_ms, each {p50, p90, p99, \
            max} or null (latency: whole call, rate-limit waits included; service: the last attempt \
            only; ttft: streams only); tokens {input, output, cached_input, total}; cost_usd (null \
            when a model is unpriced), unpriced_models; rss {samples, warm_up_seconds, \
            after_warm_up_bytes, after_warm_up_at_seconds, final_bytes, peak_bytes, peak_at_seconds, \
            growth_percent (final over after-warm-up, minus 1, in percent; null for a run too short \
            to sample after its warm-up)} (null where the RSS cannot be read).

            Report: --report FILE.html also writes one self-contained HTML page (no network: inline \
            CSS and SVG) with the summary and plots: calls completed per second with the 429 answers, \
            tokens per second against the configured or learned limit, latency and time-to-first-token \
            percentile curves (HdrHistogram, every call), and attempts and tokens per key (labels only). \
            A path that cannot be written exits 73 before the run starts.

            Exits 0 when every call succeeded, 1 otherwise (with --allow-failures, 0 when at least \
            one succeeded). Without --provider, the provider is the one whose key variable is set; \
            without --base-url, OPENAI_BASE_URL / ANTHROPIC_BASE_URL when set.

            Example against the mock server:
              sluice mock-server --port 8080 --rpm 120 --tpm 60000 --request-burst 4 --token-burst 2000 &
              OPENAI_API_KEY=test sluice bench --base-url http://127.0.0.1:8080/v1 --rpm 120 --tpm 60000 \\
                --burst-seconds 2 --requests 60 --concurrency 16

            A ten-minute soak against faults (what scripts/soak runs):
              sluice mock-server --port 8080 --seed 7 --fault-rate 429=0.04 --fault-rate 503=0.04 \\
                --fault-rate drop=0.04 --fault-rate stall=0.02 --fault-rate malformed-json=0.03 \\
                --fault-rate error-event=0.03 --fault-retry-after-ms 200 &
              OPENAI_API_KEY=test sluice bench --base-url http://127.0.0.1:8080/v1 --duration 600 \\
                --concurrency 16 --timeout 5 --allow-failures --quiet
            """
    )

    @OptionGroup var target: ProviderOptions

    @Option(help: "The model (default gpt-4o-mini, or claude-haiku-4-5 for anthropic).")
    var model: String?

    @Option(help: "How many chat calls to make (default 100; with --duration, the most to make, default no limit).")
    var requests: Int?

    @Option(help: "Seconds to keep starting calls instead of making --requests calls; those in flight then finish.")
    var duration: Double?

    @Option(help: "How many calls are in flight at once (waiting for rate budget included).")
    var concurrency: Int = 8

    @Option(help: "Requests per minute per key (default: no limit).")
    var rpm: Int?

    @Option(help: "Tokens per minute per key; for anthropic, input and output each (default: no limit).")
    var tpm: Int?

    @Option(help: "Anthropic input tokens per minute per key (default: --tpm).")
    var itpm: Int?

    @Option(help: "Anthropic output tokens per minute per key (default: --tpm).")
    var otpm: Int?

    @Option(help: "Each bucket's capacity, in seconds of its per-minute limit.")
    var burstSeconds: Double = 60

    @Option(help: "Headroom each bucket keeps, in milliseconds of its refill (default: the library's default margin).")
    var safetyMarginMs: Int?

    @Option(help: "The most output tokens per call.")
    var maxTokens: Int = 64

    @Option(help: "Prompt length in characters.")
    var promptChars: Int = 200

    @Option(
        help: ArgumentHelp(
            "Send a system prompt of about this many tokens, the same for every call and marked for the prompt cache (Anthropic cache_control), before the --prompt-chars prompt.",
            valueName: "tokens"))
    var cachedPrefixTokens: Int?

    @Flag(help: "Settle Anthropic calls as if the input limit counted cache reads (the rule before issue 19), for comparison.")
    var countCacheReads = false

    @Flag(help: "Do not learn the keys' limits from the server's rate-limit headers (learned by default where no limit is given).")
    var noLearnedLimits = false

    @Flag(help: "Stream the replies (and report the time to first token).")
    var stream = false

    @Option(help: "Seconds each attempt may take (head, first token, gaps, whole attempt).")
    var timeout: Double = 60

    @Option(help: "Attempts per call, the first included (retries on 429, 5xx, timeouts, resets).")
    var maxAttempts: Int = 3

    @Option(help: "Seconds after which the whole run stops (default 600, or --duration plus 60).")
    var maxDuration: Double?

    @Option(
        help: ArgumentHelp(
            "Share the keys' limits with every other process given the same Redis (redis://[user:password@]host:port/db); default $SLUICE_REDIS_URL.",
            valueName: "url"))
    var redis: String?

    @Option(help: "With --redis: the share of each limit this process keeps while Redis is unreachable (0 fails calls instead).")
    var redisFallbackShare: Double = 0.25

    @Flag(help: "Print one JSON object on stdout instead of the text summary.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Also write a self-contained HTML page with the summary and plots (calls and 429s over time, tokens per second against the limit, latency and time-to-first-token percentiles, per-key use).",
            valueName: "file.html"))
    var report: String?

    @Flag(help: "Exit 0 when at least one call succeeded (a soak against injected faults); by default any failed, cancelled or unstarted call exits 1.")
    var allowFailures = false

    @Flag(help: "No progress on stderr.")
    var quiet = false

    @OptionGroup var logging: LogLevelOption

    /// With --duration and no --max-duration: the seconds the calls in flight at the end get to
    /// finish before they are cancelled.
    static let drainSeconds = 60.0

    func validate() throws {
        let chosen = try target.chosenProvider()
        if let requests, requests < 1 { throw ValidationError("--requests must be at least 1") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        guard promptChars >= 1 else { throw ValidationError("--prompt-chars must be at least 1") }
        if let cachedPrefixTokens, !(1...10_000_000).contains(cachedPrefixTokens) {
            throw ValidationError("--cached-prefix-tokens must be between 1 and 10000000")
        }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        if let safetyMarginMs, safetyMarginMs < 0 { throw ValidationError("--safety-margin-ms must not be negative") }
        guard redisFallbackShare.isFinite, (0...1).contains(redisFallbackShare) else {
            throw ValidationError("--redis-fallback-share must be between 0 and 1")
        }
        if let url = redisURL {
            do { _ = try RedisConfiguration(url: url) } catch { throw ValidationError("--redis: \(error.message)") }
        }
        for value in [rpm, tpm, itpm, otpm] {
            if let value, value <= 0 { throw ValidationError("limits must be positive") }
        }
        if chosen == .openAI, itpm != nil || otpm != nil {
            throw ValidationError("--itpm and --otpm apply to --provider anthropic; use --tpm for openai")
        }
        guard burstSeconds.isFinite, burstSeconds > 0 else { throw ValidationError("--burst-seconds must be positive") }
        guard timeout.isFinite, timeout > 0 else { throw ValidationError("--timeout must be positive") }
        if let duration {
            // Past about 292 years a Duration in milliseconds would not hold it.
            guard duration.isFinite, duration > 0, duration < 1e9 else {
                throw ValidationError("--duration must be positive")
            }
        }
        if let maxDuration {
            guard maxDuration.isFinite, maxDuration > 0, maxDuration < 1e9 else {
                throw ValidationError("--max-duration must be positive")
            }
            if let duration, maxDuration < duration {
                throw ValidationError("--max-duration must be at least --duration")
            }
        }
    }

    func run() async throws {
        let settings = try makeSettings()
        var standardError = StandardError()
        var configuration = try makeConfiguration(settings)
        configuration.eventHandlers += logging.eventHandlers(label: "sluice.bench")

        if !json {
            print(
                "Benchmarking \(settings.providerName) \(settings.model) at \(settings.baseURL): "
                    + "\(settings.amountText), concurrency \(settings.concurrency)")
        }
        // Opened before the run: a path that cannot be written fails now, not after the run.
        var reportFile: BenchReportFile?
        if let path = self.report {
            do {
                reportFile = try BenchReportFile(path: path)
            } catch {
                print("error: --report: \(error)", to: &standardError)
                throw ExitCode(BenchReportFile.exitCode)
            }
        }
        let runner = BenchRunner(settings: settings, configuration: configuration, showsProgress: !quiet)
        let report = try await runner.run()
        if let reportFile {
            do {
                try reportFile.write(BenchHTML(report: report).page)
            } catch {
                print("error: --report: \(error)", to: &standardError)
                throw ExitCode(BenchReportFile.exitCode)
            }
        }
        if json {
            print(report.json.description)
        } else {
            print(report.text)
        }
        if report.state.succeeded == 0 {
            print("error: no request succeeded", to: &standardError)
            throw ExitCode(1)
        }
        let unfinished = report.state.failed + report.state.cancelled + report.notStarted
        if unfinished > 0, !allowFailures {
            print("error: \(unfinished) of the calls did not succeed (--allow-failures to exit 0)", to: &standardError)
            throw ExitCode(1)
        }
    }

    /// --redis, else $SLUICE_REDIS_URL (empty counts as unset).
    var redisURL: String? {
        if let redis { return redis }
        let variable = ProviderOptions.environment("SLUICE_REDIS_URL") ?? ""
        return variable.isEmpty ? nil : variable
    }

    func makeSettings() throws -> BenchSettings {
        let chosen = try target.chosenProvider()
        let keyVariables = target.keyVariables(for: chosen)
        let model = self.model ?? (chosen == .openAI ? "gpt-4o-mini" : "claude-haiku-4-5")
        let baseURL = target.baseURL(for: chosen)

        let maxDuration = self.maxDuration ?? duration.map { $0 + Self.drainSeconds } ?? 600
        let requests: Int? = duration == nil ? self.requests ?? 100 : self.requests
        var settings = BenchSettings(
            provider: chosen, model: model, baseURL: baseURL, keyLabels: keyVariables, requests: requests,
            duration: duration.map { .milliseconds(Int64(($0 * 1_000).rounded())) }, concurrency: concurrency,
            stream: stream, maxTokens: maxTokens, promptCharacters: promptChars,
            timeout: .milliseconds(Int64((timeout * 1_000).rounded())),
            maxDuration: .milliseconds(Int64((maxDuration * 1_000).rounded())), maxAttempts: maxAttempts,
            requestsPerMinute: rpm, tokensPerMinute: tpm, inputTokensPerMinute: itpm, outputTokensPerMinute: otpm,
            burstSeconds: burstSeconds, limits: .unlimited)
        settings.cachedPrefixTokens = cachedPrefixTokens

        // A bucket smaller than one request's reservation would refuse every request, so each token
        // bucket holds at least the largest request (the last prompt is the longest; with no count
        // every prompt has --prompt-chars characters).
        let input = DefaultTokenEstimator().estimateInputTokens(settings.request((settings.requests ?? 1) - 1))
        if chosen == .openAI {
            settings.limits = RateLimits(
                requestsPerMinute: rpm, tokensPerMinute: tpm,
                requestBurst: BenchSettings.capacity(perMinute: rpm, burstSeconds: burstSeconds, minimum: 1),
                tokenBurst: BenchSettings.capacity(
                    perMinute: tpm, burstSeconds: burstSeconds, minimum: input + maxTokens))
        } else {
            let itpm = self.itpm ?? tpm
            let otpm = self.otpm ?? tpm
            settings.limits = RateLimits(
                requestsPerMinute: rpm, inputTokensPerMinute: itpm, outputTokensPerMinute: otpm,
                requestBurst: BenchSettings.capacity(perMinute: rpm, burstSeconds: burstSeconds, minimum: 1),
                inputTokenBurst: BenchSettings.capacity(perMinute: itpm, burstSeconds: burstSeconds, minimum: input),
                outputTokenBurst: BenchSettings.capacity(
                    perMinute: otpm, burstSeconds: burstSeconds, minimum: maxTokens))
        }
        return settings
    }

    func makeConfiguration(_ settings: BenchSettings) throws -> LLMClient.Configuration {
        let keys = try settings.keyLabels.map { variable in
            APIKey(try ProviderOptions.secret(inVariable: variable), label: variable, limits: settings.limits)
        }
        var configuration: LLMClient.Configuration =
            settings.provider == .openAI
            ? .openAI(apiKey: keys[0].secret, baseURL: settings.baseURL)
            : .anthropic(apiKey: keys[0].secret, baseURL: settings.baseURL)
        configuration.rateLimits = RateLimitMiddleware.Configuration(keys: keys)
        if countCacheReads { configuration.rateLimits?.settlement = .refundUnusedOutput }
        configuration.rateLimits?.learnsLimitsFromHeaders = !noLearnedLimits
        if let safetyMarginMs {
            configuration.rateLimits?.safetyMargin = RateLimitSafetyMargin(
                fractionOfCapacity: 0, refillTime: .milliseconds(safetyMarginMs))
        }
        if let url = redisURL {
            var store = try RedisRateLimitStore.Configuration(url: url)
            store.failurePolicy = redisFallbackShare > 0 ? .fallBackToLocal(share: redisFallbackShare) : .failClosed
            store.onEvent = { event in
                var standardError = StandardError()
                print("sluice bench: shared limits: \(event)", to: &standardError)
            }
            configuration.rateLimits?.store = RedisRateLimitStore(configuration: store)
        }
        configuration.retryPolicy = try RetryPolicy(maxAttempts: settings.maxAttempts)
        let timeout = settings.timeout
        configuration.timeouts = TimeoutPolicy(
            total: nil, responseHead: timeout, streamingResponseHead: timeout, firstToken: timeout, idle: timeout,
            attempt: timeout)
        return configuration
    }
}
