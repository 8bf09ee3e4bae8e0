import Logging

/// Writes every call's events to a swift-log `Logger`, one line per event with structured metadata.
///
/// Use it to see what the client does (waits, attempts, retries, timeouts, failures) in the logs your
/// service already has. Attach it to the client for every call, or to one call or task scope to debug
/// just that.
///
/// ```swift
/// var logger = Logger(label: "llm")
/// logger.logLevel = .debug
/// var configuration = LLMClient.Configuration.openAI(apiKey: key)
/// configuration.eventHandlers = [LoggingEventHandler(logger: logger)]
/// let client = try LLMClient(configuration)
/// ```
///
/// Levels, by default (each configurable in ``Configuration``), as server-side Swift libraries log:
/// the course of a call at debug and trace, which a service's usual `.info` logger leaves out, and a
/// warning only for what an operator must act on.
///
/// | Events | Level |
/// |---|---|
/// | `request_started`, `attempt_started`, `response_head`, `first_token`, rate-limit and permit waits, `rate_limit_corrected`, `limit_learned`, `usage_settled`, `cooldown_ended`, `circuit_skipped`, `request_succeeded`, `request_cancelled`, a store's connection made or script reloaded, kinds added later | ``Configuration/lifecycleLevel`` (`.debug`) |
/// | `retry_scheduled`, `timeout`, `cooldown_started`, `fallback`, `circuit_half_open`, `circuit_closed`, `load_shed`, `budget_exceeded`, a store reconnected or its fallback left | ``Configuration/problemLevel`` (`.info`) |
/// | `request_failed` | ``Configuration/failureLevel`` (`.info`): the caller gets the error and decides what it means |
/// | `key_removed`, `retry_budget_exhausted`, `circuit_opened`, a store's connection lost or fallback entered | ``Configuration/actionLevel`` (`.warning`): a key to replace, an outage, a store to mend |
/// | `chunk` | always `.trace`; the streamed text (`sluice.text`) only here, never at a higher level |
///
/// A cancelled call is ordinary control flow (a client went away, a deadline in the caller), so it
/// logs at the lifecycle level, not as a failure. A retry or timeout that the client recovers from
/// costs time and budget but asks nothing of an operator; many of them in a row end in a spent retry
/// budget, which does.
///
/// Metadata (only the keys whose value the event has): `sluice.event` (the kind's name),
/// `sluice.call_id`, `sluice.provider`, `sluice.model`, `sluice.operation`, `sluice.attempt`,
/// `sluice.key_id` (the short ``KeyID``, never the key), `sluice.deployment`, `sluice.status`, `sluice.error_code`,
/// `sluice.error_message`, `sluice.provider_error_type`, `sluice.provider_error_code`,
/// `sluice.request_id`, `sluice.reason`, `sluice.phase`, `sluice.delay_ms`, `sluice.delay_source`,
/// `sluice.waited_ms`, `sluice.latency_ms`, `sluice.tokens`, `sluice.input_tokens`,
/// `sluice.output_tokens`, `sluice.cached_input_tokens`, `sluice.reasoning_tokens`,
/// `sluice.ratelimit.remaining_requests`, `sluice.ratelimit.remaining_tokens`,
/// `sluice.ratelimit.remaining_input_tokens`, `sluice.ratelimit.remaining_output_tokens`, and at
/// trace `sluice.text`. Times are milliseconds.
///
/// - Important: ``handle(_:)`` runs synchronously on the task that does the call's work. When the
///   logger's level filters an event out, it returns after one comparison, before it builds any
///   metadata; so a chunk costs nothing unless the logger is at `.trace`. How long a line that passes
///   takes is the log handler's business: use a log backend that does not block.
public struct LoggingEventHandler: ClientEventHandler {
    /// The levels the handler logs at.
    ///
    /// ```swift
    /// var configuration = LoggingEventHandler.Configuration()
    /// configuration.failureLevel = .error     // this service treats every failed call as an incident
    /// configuration.includesChunkText = false // chunks at trace without the text
    /// ```
    public struct Configuration: Sendable {
        /// The level of the ordinary course of a call: started, attempts, heads, waits, first token,
        /// settled usage, success, cancellation. Default `.debug`.
        public var lifecycleLevel: Logger.Level
        /// The level of things that cost time or budget but may still end well: retries, timeouts,
        /// cooldowns, a shared store answering again. Default `.info`.
        public var problemLevel: Logger.Level
        /// The level of a failed call. Default `.info`: the caller has the error and decides.
        public var failureLevel: Logger.Level
        /// The level of what an operator must act on: a key leaving the pool (revoked, out of quota), a
        /// spent retry budget (an outage or a storm of failures), a shared store lost or fallen back
        /// from. Default `.warning`.
        public var actionLevel: Logger.Level
        /// Whether chunk lines (always at `.trace`) carry the streamed text in `sluice.text`. The text
        /// is what the model wrote for your user: turn this off where logs must not hold user content.
        /// Default `true`.
        public var includesChunkText: Bool

        /// Levels with the defaults documented on each property.
        public init(
            lifecycleLevel: Logger.Level = .debug,
            problemLevel: Logger.Level = .info,
            failureLevel: Logger.Level = .info,
            actionLevel: Logger.Level = .warning,
            includesChunkText: Bool = true
        ) {
            self.lifecycleLevel = lifecycleLevel
            self.problemLevel = problemLevel
            self.failureLevel = failureLevel
            self.actionLevel = actionLevel
            self.includesChunkText = includesChunkText
        }
    }

    /// The logger the lines go to; its own metadata and metadata provider apply as usual.
    public let logger: Logger
    /// The levels in use.
    public let configuration: Configuration

    /// A handler that logs to `logger` at the levels in `configuration`.
    public init(logger: Logger, configuration: Configuration = Configuration()) {
        self.logger = logger
        self.configuration = configuration
    }

    /// The level `event` is logged at (whether or not the logger lets it through).
    public func level(for event: ClientEvent) -> Logger.Level {
        switch event.kind {
        case .chunk:
            return .trace
        case .retryScheduled, .timeout, .cooldownStarted, .fallback, .circuitHalfOpen, .circuitClosed, .loadShed, .budgetExceeded:
            return configuration.problemLevel
        case .requestFailed:
            return configuration.failureLevel
        case .keyRemoved, .retryBudgetExhausted, .circuitOpened:
            return configuration.actionLevel
        case .rateLimitStore:
            switch event.reason.map(RateLimitStoreEvent.Kind.init) {
            case RateLimitStoreEvent.Kind.connectionLost?, RateLimitStoreEvent.Kind.fallbackEntered?:
                return configuration.actionLevel
            case RateLimitStoreEvent.Kind.fallbackLeft?, RateLimitStoreEvent.Kind.reconnected?:
                return configuration.problemLevel
            default:
                return configuration.lifecycleLevel
            }
        default:
            return configuration.lifecycleLevel
        }
    }

    /// Logs `event` at ``level(for:)`` if the logger lets that level through; otherwise returns at once.
    public func handle(_ event: ClientEvent) {
        let level = level(for: event)
        guard logger.logLevel <= level else { return }
        logger.log(
            level: level, Logger.Message(stringLiteral: Self.message(for: event.kind)),
            metadata: metadata(for: event, at: level))
    }

    static func message(for kind: ClientEvent.Kind) -> String {
        switch kind {
        case .requestStarted: "request started"
        case .rateLimitWaitStarted: "waiting for rate budget"
        case .rateLimitWaitEnded: "rate budget granted"
        case .permitWaitStarted: "waiting for a concurrency permit"
        case .permitWaitEnded: "concurrency permit granted"
        case .attemptStarted: "attempt started"
        case .responseHead: "response head"
        case .firstToken: "first token"
        case .chunk: "chunk"
        case .retryScheduled: "retry scheduled"
        case .retryBudgetExhausted: "retry budget exhausted"
        case .timeout: "timed out"
        case .cooldownStarted: "key cooldown started"
        case .cooldownEnded: "key cooldown ended"
        case .rateLimitCorrected: "rate-limit headers lowered the key's budget"
        case .limitLearned: "rate-limit headers set the key's limit"
        case .concurrencyLimitChanged: "adaptive concurrency limit moved"
        case .keyRemoved: "key removed from the pool"
        case .loadShed: "call shed by a full queue"
        case .budgetExceeded: "spend budget refused the call"
        case .usageSettled: "usage settled"
        case .requestSucceeded: "request succeeded"
        case .requestFailed: "request failed"
        case .requestCancelled: "request cancelled"
        case .fallback: "deployment failed; trying the next"
        case .circuitOpened: "deployment's circuit opened"
        case .circuitSkipped: "deployment skipped: its circuit is open"
        case .circuitHalfOpen: "deployment's circuit half-open"
        case .circuitClosed: "deployment's circuit closed"
        default: String(kind.name.map { $0 == "_" ? " " : $0 })
        }
    }

    func metadata(for event: ClientEvent, at level: Logger.Level) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "sluice.event": .string(event.kind.name),
            "sluice.call_id": .string(String(event.callID)),
            "sluice.provider": .string(event.provider.name),
            "sluice.model": .string(event.model),
            "sluice.operation": .string(event.operation.name),
            "sluice.attempt": .string(String(event.attempt)),
        ]
        if let keyID = event.keyID { metadata["sluice.key_id"] = .string(keyID.rawValue) }
        if let deployment = event.deployment { metadata["sluice.deployment"] = .string(deployment) }
        if let status = event.status ?? event.error?.status { metadata["sluice.status"] = .string(String(status)) }
        if let error = event.error {
            metadata["sluice.error_code"] = .string(error.code.name)
            // Sluice's own errors are redacted when made; an error a user's middleware threw may not be.
            metadata["sluice.error_message"] = .string(SecretRedaction.redact(error.message))
            if let type = error.providerError?.type { metadata["sluice.provider_error_type"] = .string(type) }
            if let code = error.providerError?.code { metadata["sluice.provider_error_code"] = .string(code) }
            if let requestID = error.requestID { metadata["sluice.request_id"] = .string(requestID) }
        }
        if let reason = event.reason { metadata["sluice.reason"] = .string(reason) }
        if let phase = event.phase { metadata["sluice.phase"] = .string(phase) }
        if let delay = event.delay { metadata["sluice.delay_ms"] = .string(Self.milliseconds(delay)) }
        if let source = event.delaySource { metadata["sluice.delay_source"] = .string(source) }
        if let waited = event.waited { metadata["sluice.waited_ms"] = .string(Self.milliseconds(waited)) }
        if let latency = event.latency { metadata["sluice.latency_ms"] = .string(Self.milliseconds(latency)) }
        if let tokens = event.tokens { metadata["sluice.tokens"] = .string(String(tokens)) }
        if let limit = event.limit { metadata["sluice.limit"] = .string(String(limit)) }
        if event.kind == .limitLearned || event.kind == .concurrencyLimitChanged, let text = event.text { metadata["sluice.previous_limit"] = .string(text) }
        if let usage = event.usage {
            metadata["sluice.input_tokens"] = .string(String(usage.inputTokens))
            metadata["sluice.output_tokens"] = .string(String(usage.outputTokens))
            if usage.isEstimated { metadata["sluice.usage_estimated"] = "true" }
            if let cached = usage.cachedInputTokens { metadata["sluice.cached_input_tokens"] = .string(String(cached)) }
            if let reasoning = usage.reasoningTokens {
                metadata["sluice.reasoning_tokens"] = .string(String(reasoning))
            }
        }
        if let rateLimit = event.rateLimit {
            if let value = rateLimit.remainingRequests {
                metadata["sluice.ratelimit.remaining_requests"] = .string(String(value))
            }
            if let value = rateLimit.remainingTokens {
                metadata["sluice.ratelimit.remaining_tokens"] = .string(String(value))
            }
            if let value = rateLimit.remainingInputTokens {
                metadata["sluice.ratelimit.remaining_input_tokens"] = .string(String(value))
            }
            if let value = rateLimit.remainingOutputTokens {
                metadata["sluice.ratelimit.remaining_output_tokens"] = .string(String(value))
            }
        }
        if let text = event.text, level == .trace, configuration.includesChunkText {
            metadata["sluice.text"] = .string(text)
        }
        return metadata
    }

    /// `1500`, `12.5`: milliseconds with at most three decimals (truncated), no trailing zeros.
    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let sign = seconds < 0 || attoseconds < 0 ? "-" : ""
        let perMillisecond: UInt64 = 1_000_000_000_000_000
        let (scaled, overflow) = seconds.magnitude.multipliedReportingOverflow(by: 1_000)
        let (whole, overflowAdding) = scaled.addingReportingOverflow(attoseconds.magnitude / perMillisecond)
        if overflow || overflowAdding { return sign + String(UInt64.max) }
        var fraction = (attoseconds.magnitude % perMillisecond) / 1_000_000_000_000
        guard fraction != 0 else { return whole == 0 ? "0" : sign + String(whole) }
        var digits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let padded = String(repeating: "0", count: digits - String(fraction).count) + String(fraction)
        return sign + "\(whole).\(padded)"
    }
}
