import Sluice

/// The result of a `sluice bench` run: what happened, the rates achieved against the limits, the
/// latencies, tokens and cost; written as text or as one JSON object.
struct BenchReport {
    var settings: BenchSettings
    var state: BenchRecorder.State
    var usage: UsageTotals
    /// From the first call to the end of the last (or to the cap).
    var wall: Duration
    /// Whether the run was stopped by `--max-duration`.
    var hitMaxDuration: Bool
    /// The process's RSS over the run; `nil` where it cannot be read.
    var memory: MemorySummary? = nil

    private var wallMinutes: Double { max(BenchFormat.seconds(wall), 1e-9) / 60 }
    private func perMinute(_ count: Int) -> Double { Double(count) / wallMinutes }

    /// The calls of `--requests` never started; 0 when the number was not limited.
    var notStarted: Int { settings.requests.map { max(0, $0 - state.started) } ?? 0 }
    var achievedRPM: Double { perMinute(state.completed) }
    var achievedTPM: Double { perMinute(usage.totalTokens) }
    var achievedInputTPM: Double { perMinute(usage.inputTokens) }
    /// Input less cache reads: what Anthropic's input limit counts.
    var achievedCountedInputTPM: Double { perMinute(max(0, usage.inputTokens - usage.cachedInputTokens)) }
    var achievedOutputTPM: Double { perMinute(usage.outputTokens) }
    var reservedTPM: Double { perMinute(state.reservedTokens) }

    var rpmLimit: Int? { settings.poolLimit(settings.limits.requestsPerMinute) }
    var tpmLimit: Int? { settings.poolLimit(settings.limits.tokensPerMinute) }
    var itpmLimit: Int? { settings.poolLimit(settings.limits.inputTokensPerMinute) }
    var otpmLimit: Int? { settings.poolLimit(settings.limits.outputTokensPerMinute) }
    /// The requests the pool's request buckets hold at the start (free before the steady rate).
    var requestBurst: Int? { settings.poolLimit(settings.limits.requestBurst ?? settings.limits.requestsPerMinute) }

    func ratio(_ achieved: Double, _ limit: Int?) -> Double? {
        guard let limit, limit > 0 else { return nil }
        return achieved / Double(limit)
    }

    var rpmRatio: Double? { ratio(achievedRPM, rpmLimit) }
    /// ` (R cache reads, W cache writes)` when the provider reported either, else empty.
    var cacheText: String {
        guard usage.cachedInputTokens > 0 || usage.cacheCreationInputTokens > 0 else { return "" }
        return " (\(usage.cachedInputTokens) cache reads, \(usage.cacheCreationInputTokens) cache writes)"
    }
    /// OpenAI counts a request's prompt estimate plus `max_tokens` at admission, so the reservation
    /// is what the TPM limit is measured against.
    var tpmRatio: Double? { ratio(reservedTPM, tpmLimit) }
    /// Anthropic's input limit does not count cache reads, so the counted input is what it is measured against.
    var itpmRatio: Double? { ratio(achievedCountedInputTPM, itpmLimit) }
    /// Anthropic refunds unused output tokens, so the actual output is what counts.
    var otpmRatio: Double? { ratio(achievedOutputTPM, otpmLimit) }

    /// Calls completed per minute after the first burst: the completions after the first
    /// `requestBurst` ones, over the time from the burst's last completion to the last one
    /// (`nil` for a burst larger than the completion times kept).
    var steadyRPM: Double? {
        guard let burst = requestBurst else { return nil }
        let times = state.completionTimes.sorted()
        let count = max(times.count, state.completed)
        guard count > burst + 1, burst <= times.count, let latest = times.last else { return nil }
        let from = burst > 0 ? times[burst - 1] : .zero
        let last = max(latest, state.lastCompletion ?? latest)
        let span = BenchFormat.seconds(last - from)
        guard span > 0 else { return nil }
        return Double(count - burst) / span * 60
    }

    struct Percentiles {
        var p50: Duration?
        var p90: Duration?
        var p99: Duration?
        var max: Duration?

        init(_ values: [Duration]) {
            let sorted = values.sorted()
            p50 = BenchFormat.percentile(sorted, 0.50)
            p90 = BenchFormat.percentile(sorted, 0.90)
            p99 = BenchFormat.percentile(sorted, 0.99)
            max = sorted.last
        }

        var isEmpty: Bool { p50 == nil }

        var json: JSONValue {
            guard !isEmpty else { return .null }
            func ms(_ value: Duration?) -> JSONValue { BenchFormat.json(value.map(BenchFormat.milliseconds), 1) }
            return ["p50": ms(p50), "p90": ms(p90), "p99": ms(p99), "max": ms(max)]
        }

        var text: String {
            guard let p50, let p90, let p99, let max else { return "none" }
            return "p50 \(BenchFormat.readable(p50)), p90 \(BenchFormat.readable(p90)), "
                + "p99 \(BenchFormat.readable(p99)), max \(BenchFormat.readable(max))"
        }
    }

    var latency: Percentiles { Percentiles(state.latencies.values) }
    var serviceLatency: Percentiles { Percentiles(state.serviceLatencies.values) }
    var firstToken: Percentiles { Percentiles(state.firstTokenLatencies.values) }
    var firstTokenService: Percentiles { Percentiles(state.firstTokenServiceLatencies.values) }

    /// `rss` in the JSON: sizes in bytes, growth in percent with two decimals.
    var memoryJSON: JSONValue {
        guard let memory else { return .null }
        return [
            "samples": BenchFormat.json(memory.samples),
            "warm_up_seconds": BenchFormat.json(BenchFormat.seconds(memory.warmUp)),
            "after_warm_up_bytes": BenchFormat.json(memory.afterWarmUp.bytes),
            "after_warm_up_at_seconds": BenchFormat.json(BenchFormat.seconds(memory.afterWarmUp.time), 1),
            "final_bytes": BenchFormat.json(memory.final.bytes),
            "peak_bytes": BenchFormat.json(memory.peak.bytes),
            "peak_at_seconds": BenchFormat.json(BenchFormat.seconds(memory.peak.time), 1),
            "growth_percent": BenchFormat.json(memory.growthPercent, 2),
        ]
    }

    /// The `Memory` line of the text summary.
    var memoryText: String {
        guard let memory else { return "Memory       RSS unknown (no /proc/self/statm)" }
        func mib(_ sample: MemoryTrace.Sample) -> String {
            BenchFormat.fixed(Double(sample.bytes) / 1_048_576, 1) + " MiB"
        }
        var text =
            "Memory       RSS \(mib(memory.afterWarmUp)) after warm-up "
            + "(at \(BenchFormat.fixed(BenchFormat.seconds(memory.afterWarmUp.time), 0)) s), "
            + "\(mib(memory.final)) final, \(mib(memory.peak)) peak"
        if let growth = memory.growthPercent {
            text += "; \(growth >= 0 ? "+" : "")\(BenchFormat.fixed(growth, 2)) % after warm-up"
        }
        return text + " (\(memory.samples) samples)"
    }

    var costText: String {
        if let cost = usage.cost { return cost.description }
        return "unpriced (\(usage.unpricedModels.joined(separator: ", ")))"
    }

    // MARK: JSON

    var json: JSONValue {
        let limits = settings.limits
        var object: JSONObject = [
            "provider": .string(settings.providerName),
            "model": .string(settings.model),
            "base_url": .string(settings.baseURL),
            "keys": .array(settings.keyLabels.map { .string($0) }),
            "stream": .bool(settings.stream),
            "requests": BenchFormat.json(settings.requests),
            "concurrency": BenchFormat.json(settings.concurrency),
            "max_tokens": BenchFormat.json(settings.maxTokens),
            "prompt_chars": BenchFormat.json(settings.promptCharacters),
            "cached_prefix_tokens": BenchFormat.json(settings.cachedPrefixTokens),
            "duration_seconds": BenchFormat.json(settings.duration.map(BenchFormat.seconds)),
            "timeout_seconds": BenchFormat.json(BenchFormat.seconds(settings.timeout)),
            "max_duration_seconds": BenchFormat.json(BenchFormat.seconds(settings.maxDuration)),
            "limits": [
                "rpm": BenchFormat.json(limits.requestsPerMinute),
                "tpm": BenchFormat.json(limits.tokensPerMinute),
                "itpm": BenchFormat.json(limits.inputTokensPerMinute),
                "otpm": BenchFormat.json(limits.outputTokensPerMinute),
                "burst_seconds": BenchFormat.json(settings.burstSeconds),
                "request_burst": BenchFormat.json(limits.requestBurst),
                "token_burst": BenchFormat.json(limits.tokenBurst),
                "input_token_burst": BenchFormat.json(limits.inputTokenBurst),
                "output_token_burst": BenchFormat.json(limits.outputTokenBurst),
            ],
            "succeeded": BenchFormat.json(state.succeeded),
            "failed": BenchFormat.json(state.failed),
        ]
        object["failed_by_code"] = .object(
            JSONObject(state.failedByCode.sorted { $0.key < $1.key }.map { ($0.key, BenchFormat.json($0.value)) }))
        object["cancelled"] = BenchFormat.json(state.cancelled)
        object["not_started"] = BenchFormat.json(notStarted)
        object["attempts"] = BenchFormat.json(state.attempts)
        object["retries"] = BenchFormat.json(state.retries)
        object["http_429"] = BenchFormat.json(state.rateLimitedResponses)
        object["statuses"] = .object(
            JSONObject(state.statuses.sorted { $0.key < $1.key }.map { (String($0.key), BenchFormat.json($0.value)) }))
        object["wall_seconds"] = BenchFormat.json(BenchFormat.seconds(wall))
        object["hit_max_duration"] = .bool(hitMaxDuration)
        object["rate_limit_wait_seconds"] = BenchFormat.json(BenchFormat.seconds(usage.rateLimitWait))
        object["achieved_rpm"] = BenchFormat.json(achievedRPM, 2)
        object["steady_rpm"] = BenchFormat.json(steadyRPM, 2)
        object["rpm_limit"] = BenchFormat.json(rpmLimit)
        object["rpm_ratio"] = BenchFormat.json(rpmRatio, 4)
        object["achieved_tpm"] = BenchFormat.json(achievedTPM, 1)
        object["achieved_input_tpm"] = BenchFormat.json(achievedInputTPM, 1)
        object["achieved_counted_input_tpm"] = BenchFormat.json(achievedCountedInputTPM, 1)
        object["achieved_output_tpm"] = BenchFormat.json(achievedOutputTPM, 1)
        object["reserved_tpm"] = BenchFormat.json(reservedTPM, 1)
        object["tpm_limit"] = BenchFormat.json(tpmLimit)
        object["tpm_ratio"] = BenchFormat.json(tpmRatio, 4)
        object["itpm_limit"] = BenchFormat.json(itpmLimit)
        object["itpm_ratio"] = BenchFormat.json(itpmRatio, 4)
        object["otpm_limit"] = BenchFormat.json(otpmLimit)
        object["otpm_ratio"] = BenchFormat.json(otpmRatio, 4)
        object["latency_ms"] = latency.json
        object["service_latency_ms"] = serviceLatency.json
        object["ttft_ms"] = firstToken.json
        object["ttft_service_ms"] = firstTokenService.json
        object["tokens"] = [
            "input": BenchFormat.json(usage.inputTokens),
            "output": BenchFormat.json(usage.outputTokens),
            "cached_input": BenchFormat.json(usage.cachedInputTokens),
            "total": BenchFormat.json(usage.totalTokens),
        ]
        object["cost_usd"] = usage.cost.map { BenchFormat.json($0.dollars, 6) } ?? .null
        object["unpriced_models"] = .array(usage.unpricedModels.map { .string($0) })
        object["rss"] = memoryJSON
        return .object(object)
    }

    // MARK: Text

    var text: String {
        let limits = settings.limits
        var lines: [String] = []
        let keys = settings.keyLabels.count == 1 ? "1 key" : "\(settings.keyLabels.count) keys"
        lines.append(
            "sluice bench: \(settings.providerName) \(settings.model) at \(settings.baseURL), \(keys) "
                + "(\(settings.keyLabels.joined(separator: ", "))), \(settings.amountText), "
                + "concurrency \(settings.concurrency), \(settings.stream ? "streaming" : "not streaming")")
        var limitParts: [String] = []
        if let rpm = limits.requestsPerMinute {
            limitParts.append("\(rpm) requests/min (burst \(limits.requestBurst ?? rpm))")
        }
        if let tpm = limits.tokensPerMinute {
            limitParts.append("\(tpm) tokens/min (burst \(limits.tokenBurst ?? tpm))")
        }
        if let itpm = limits.inputTokensPerMinute {
            limitParts.append("\(itpm) input tokens/min (burst \(limits.inputTokenBurst ?? itpm))")
        }
        if let otpm = limits.outputTokensPerMinute {
            limitParts.append("\(otpm) output tokens/min (burst \(limits.outputTokenBurst ?? otpm))")
        }
        lines.append("  limits per key: " + (limitParts.isEmpty ? "none" : limitParts.joined(separator: ", ")))

        var outcome = "\(state.succeeded) succeeded, \(state.failed) failed"
        if !state.failedByCode.isEmpty {
            outcome +=
                " ("
                + state.failedByCode.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                .joined(separator: ", ") + ")"
        }
        if state.cancelled > 0 { outcome += ", \(state.cancelled) cancelled" }
        if notStarted > 0 { outcome += ", \(notStarted) not started" }
        lines.append("Requests     " + outcome)
        lines.append(
            "Attempts     \(state.attempts) sent, \(state.retries) retries, \(state.rateLimitedResponses) HTTP 429 received"
        )
        lines.append(
            "Wall time    \(BenchFormat.fixed(BenchFormat.seconds(wall), 2)) s"
                + (hitMaxDuration ? " (stopped by --max-duration)" : "")
                + ", waiting for rate budget \(BenchFormat.fixed(BenchFormat.seconds(usage.rateLimitWait), 1)) s in all"
        )

        var rate = "Requests/min \(BenchFormat.fixed(achievedRPM, 1))"
        if let rpmLimit, let rpmRatio {
            rate += " (\(BenchFormat.fixed(rpmRatio * 100, 1)) % of \(rpmLimit))"
        }
        if let steadyRPM, let requestBurst {
            rate += "; \(BenchFormat.fixed(steadyRPM, 1)) after the first burst of \(requestBurst)"
        }
        lines.append(rate)
        var tokens = "Tokens/min   \(BenchFormat.fixed(achievedTPM, 0)) used"
        if settings.provider == .anthropic {
            tokens += " (\(BenchFormat.fixed(achievedInputTPM, 0)) input"
            if usage.cachedInputTokens > 0 {
                tokens += ", \(BenchFormat.fixed(achievedCountedInputTPM, 0)) counted without cache reads"
            }
            if let itpmLimit, let itpmRatio { tokens += ", \(BenchFormat.fixed(itpmRatio * 100, 1)) % of \(itpmLimit)" }
            tokens += "; \(BenchFormat.fixed(achievedOutputTPM, 0)) output"
            if let otpmLimit, let otpmRatio { tokens += ", \(BenchFormat.fixed(otpmRatio * 100, 1)) % of \(otpmLimit)" }
            tokens += ")"
        } else {
            tokens += ", \(BenchFormat.fixed(reservedTPM, 0)) reserved (prompt estimate + max tokens)"
            if let tpmLimit, let tpmRatio { tokens += ", \(BenchFormat.fixed(tpmRatio * 100, 1)) % of \(tpmLimit)" }
        }
        lines.append(tokens)
        lines.append("Latency      \(latency.text) (whole call, waits included)")
        lines.append("  service    \(serviceLatency.text) (last attempt only)")
        if settings.stream {
            lines.append("First token  \(firstToken.text) (since the call began)")
            lines.append("  service    \(firstTokenService.text) (since the last attempt began)")
        }
        lines.append(
            "Tokens       \(usage.inputTokens) input\(cacheText), \(usage.outputTokens) output, "
                + "\(usage.totalTokens) total; cost \(costText)"
        )
        lines.append(memoryText)
        return lines.joined(separator: "\n")
    }
}
