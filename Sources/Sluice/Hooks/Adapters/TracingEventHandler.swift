import Synchronization
import Tracing

/// Records every call as a swift-distributed-tracing span, with a child span per attempt, named and
/// attributed after the OpenTelemetry GenAI semantic conventions.
///
/// Use it to see LLM calls inside your service's traces: how long each took, how many attempts it
/// needed, what it waited for, what it cost in tokens and why it failed. It uses the tracer your
/// service bootstrapped (`InstrumentationSystem.tracer`) unless you pass another.
///
/// ```swift
/// configuration.eventHandlers.append(TracingEventHandler())
/// let client = try LLMClient(configuration)
/// try await tracer.withSpan("handle request") { _ in
///     _ = try await client.chat(request)   // "chat gpt-4o-mini" is a child of "handle request"
/// }
/// ```
///
/// **The call span** is named `"{gen_ai.operation.name} {gen_ai.request.model}"` (`chat gpt-4o-mini`),
/// of kind `.client`, from `request_started` to `request_succeeded`, `request_failed` or
/// `request_cancelled`. Its parent is the task's `ServiceContext.current` when the call began (the
/// span your code is in), or none. Attributes:
///
/// - `gen_ai.provider.name` (`openai`, `anthropic`, `azure.ai.openai`), `gen_ai.operation.name` (`chat` for chat and
///   streamed chat, `embeddings`), `gen_ai.request.model`, `server.address` and `server.port` (from the
///   base URL), the request's `gen_ai.request.max_tokens`, `.temperature`, `.top_p`,
///   `.stop_sequences` and `.seed` when it sets them, `sluice.call_id`, `sluice.key_id` once a key is
///   known (the short ``KeyID``, never the key), `sluice.attempts`, `sluice.outcome` (`success`,
///   `failure`, `cancelled`);
/// - on success: `gen_ai.response.id`, `gen_ai.response.model` and `gen_ai.response.finish_reasons`
///   as the reply gives them (for a stream, as far as the caller read it);
/// - `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens` (with `sluice.usage.estimated` when
///   they are the client's estimate because the provider reported none);
/// - on failure: status `.error`, `error.type` (the ``SluiceError/Code`` name),
///   `http.response.status_code` when there was one, `sluice.error.provider_type`, and the error
///   recorded; and from a partial streamed reply `gen_ai.response.id`, `gen_ai.response.model` and
///   `gen_ai.response.finish_reasons` when it has them.
///
/// **Trace context**: the handler is ``TraceContextPropagating``: every attempt's request carries the
/// attempt span's context, injected by the tracer (with swift-otel, W3C `traceparent`), so a gateway
/// or provider that traces joins the trace.
///
/// Span events on the call span: `sluice.rate_limit_wait.started` (`sluice.reason`, `sluice.tokens`,
/// `sluice.delay_ms`), `sluice.rate_limit_wait.ended` (`sluice.waited_ms`),
/// `sluice.permit_wait.started` / `.ended`, `sluice.retry_scheduled` (`sluice.reason`,
/// `sluice.delay_ms`, `sluice.delay_source`), `sluice.retry_budget_exhausted`, `sluice.timeout`
/// (`sluice.phase`), `sluice.cooldown.started` (`sluice.delay_ms`) / `.ended`, `sluice.key_removed`
/// (`sluice.reason`), `sluice.usage_settled` (`sluice.tokens` reserved, `gen_ai.usage.*` actual),
/// `sluice.first_token` (`sluice.latency_ms`). Chunks are not recorded.
///
/// **An attempt span** `sluice.attempt` (kind `.internal`, a child of the call span) runs from
/// `attempt_started` until the retry is scheduled, the next attempt starts or the call ends, whichever
/// comes first, so backoff shows as a gap between attempts. Attributes: `sluice.attempt`,
/// `sluice.key_id`, `http.response.status_code` from the response head; a status of 400 or more sets
/// `error.type` to the status and the span status to `.error`. A `timeout` during an attempt is
/// recorded on the attempt span too.
///
/// Span times come from the events' instants on the client's clock, anchored to the tracer's clock
/// at `request_started`, so a test clock gives exact, reproducible span times.
///
/// - Important: ``handle(_:)`` runs synchronously on the task that does the call's work. The handler
///   keeps each open call's spans in a dictionary behind a lock, keyed by the call id, and removes the
///   entry at the terminal event; each span is ended exactly once. Events of a call the handler did
///   not see start (it was attached later) are ignored.
public final class TracingEventHandler: TraceContextPropagating {
    private struct Call {
        var span: any Span
        var attempt: (any Span)?
        var attemptNumber: Int
        /// The tracer's time at `request_started`, in nanoseconds since the epoch.
        var anchorNanoseconds: UInt64
        /// The event clock's time at `request_started`.
        var anchorInstant: Duration
    }

    /// The tracer the spans are made with.
    public let tracer: any Tracer
    private let calls = Mutex<[UInt64: Call]>([:])

    /// A handler that makes spans with `tracer` (by default the one bootstrapped in
    /// `InstrumentationSystem`).
    public init(tracer: any Tracer = InstrumentationSystem.tracer) {
        self.tracer = tracer
    }

    /// How many calls have an open span: for tests and diagnostics (zero when no call is in flight).
    public var openCallCount: Int { calls.withLock { $0.count } }

    /// Starts, annotates or ends the spans of `event`'s call (see the type's documentation).
    public func handle(_ event: ClientEvent) {
        switch event.kind {
        case .chunk:
            return
        case .requestStarted:
            start(event)
        case .attemptStarted:
            startAttempt(event)
        case .responseHead:
            guard let attempt = calls.withLock({ $0[event.callID]?.attempt }) else { return }
            if let status = event.status {
                attempt.attributes["http.response.status_code"] = status
                if status >= 400 {
                    attempt.attributes["error.type"] = String(status)
                    attempt.setStatus(SpanStatus(code: .error))
                }
            }
        case .retryScheduled:
            guard let (call, instant) = lookUp(event) else { return }
            endAttempt(of: event.callID, at: instant)
            var attributes: SpanAttributes = [:]
            if let reason = event.reason { attributes["sluice.reason"] = reason }
            if let delay = event.delay { attributes["sluice.delay_ms"] = delay.adapterMilliseconds }
            if let source = event.delaySource { attributes["sluice.delay_source"] = source }
            call.span.addEvent(SpanEvent(name: "sluice.retry_scheduled", at: instant, attributes: attributes))
        case .timeout:
            guard let (call, instant) = lookUp(event) else { return }
            var attributes: SpanAttributes = [:]
            if let phase = event.phase { attributes["sluice.phase"] = phase }
            let spanEvent = SpanEvent(name: "sluice.timeout", at: instant, attributes: attributes)
            call.span.addEvent(spanEvent)
            call.attempt?.addEvent(spanEvent)
        case .requestSucceeded, .requestFailed, .requestCancelled:
            finish(event)
        default:
            addEvent(event)
        }
    }

    /// Injects the context of the call's attempt span (else its call span) with the tracer's
    /// instrument: with OpenTelemetry, the W3C `traceparent` and `tracestate` headers. A header the
    /// instrument produces with a line break in its name or value is left out.
    public func injectTraceContext(callID: UInt64, into headers: inout HTTPHeaders) {
        guard let span = calls.withLock({ $0[callID].map { $0.attempt ?? $0.span } }) else { return }
        tracer.inject(span.context, into: &headers, using: HeadersInjector())
    }

    private struct HeadersInjector: Injector {
        func inject(_ value: String, forKey key: String, into headers: inout HTTPHeaders) {
            // By scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
            let unsafe: (Unicode.Scalar) -> Bool = { $0 == "\r" || $0 == "\n" || $0 == "\0" }
            guard !key.isEmpty, !key.unicodeScalars.contains(where: unsafe), !value.unicodeScalars.contains(where: unsafe)
            else { return }
            headers.replaceOrAdd(name: key, value: value)
        }
    }

    // MARK: Call and attempt spans

    /// `gen_ai.operation.name`: `chat` for chat and the Responses API, plain or streamed,
    /// `embeddings`, else the operation's own name.
    static func operationName(_ operation: ClientContext.Operation) -> String {
        switch operation {
        case .chat, .streamChat, .responses, .streamResponses: "chat"
        case .embeddings: "embeddings"
        default: operation.name
        }
    }

    private func start(_ event: ClientEvent) {
        let now = DefaultTracerClock.now
        let operation = Self.operationName(event.operation)
        let span = tracer.startSpan(
            "\(operation) \(event.model)",
            context: ServiceContext.current ?? .topLevel,
            ofKind: .client,
            at: now
        )
        span.updateAttributes { attributes in
            attributes["gen_ai.provider.name"] = event.provider.name
            attributes["gen_ai.operation.name"] = operation
            attributes["gen_ai.request.model"] = event.model
            attributes["sluice.call_id"] = String(event.callID)
            if let keyID = event.keyID { attributes["sluice.key_id"] = keyID.rawValue }
            guard let request = event.request else { return }
            if let address = request.serverAddress { attributes["server.address"] = address }
            if let port = request.serverPort { attributes["server.port"] = port }
            if let maxTokens = request.maxOutputTokens { attributes["gen_ai.request.max_tokens"] = maxTokens }
            if let temperature = request.temperature { attributes["gen_ai.request.temperature"] = temperature }
            if let topP = request.topP { attributes["gen_ai.request.top_p"] = topP }
            if !request.stopSequences.isEmpty { attributes["gen_ai.request.stop_sequences"] = request.stopSequences }
            if let seed = request.seed { attributes["gen_ai.request.seed"] = seed }
        }
        let call = Call(
            span: span, attempt: nil, attemptNumber: 0, anchorNanoseconds: now.nanosecondsSinceEpoch,
            anchorInstant: event.instant)
        let replaced = calls.withLock { $0.updateValue(call, forKey: event.callID) }
        // A call id seen twice would leak its first spans: end them rather than keep them open.
        if let replaced {
            let instant = tracerInstant(for: event, in: replaced)
            replaced.attempt?.end(at: instant)
            replaced.span.end(at: instant)
        }
    }

    private func startAttempt(_ event: ClientEvent) {
        guard let (call, instant) = lookUp(event) else { return }
        endAttempt(of: event.callID, at: instant)
        let attempt = tracer.startSpan("sluice.attempt", context: call.span.context, ofKind: .internal, at: instant)
        attempt.updateAttributes { attributes in
            attributes["sluice.attempt"] = event.attempt
            if let keyID = event.keyID { attributes["sluice.key_id"] = keyID.rawValue }
        }
        if let keyID = event.keyID { call.span.attributes["sluice.key_id"] = keyID.rawValue }
        let orphan = calls.withLock { calls -> (any Span)? in
            guard var call = calls[event.callID] else { return attempt }
            call.attempt = attempt
            call.attemptNumber = max(call.attemptNumber, event.attempt)
            calls[event.callID] = call
            return nil
        }
        orphan?.end(at: instant)
    }

    /// Ends the call's open attempt span, if any; the one that takes it out of the dictionary ends it.
    private func endAttempt(of callID: UInt64, at instant: DefaultTracerClock.Timestamp) {
        let attempt = calls.withLock { calls -> (any Span)? in
            let attempt = calls[callID]?.attempt
            calls[callID]?.attempt = nil
            return attempt
        }
        attempt?.end(at: instant)
    }

    private func finish(_ event: ClientEvent) {
        guard let call = calls.withLock({ $0.removeValue(forKey: event.callID) }) else { return }
        let instant = tracerInstant(for: event, in: call)
        let span = call.span
        span.updateAttributes { attributes in
            attributes["sluice.attempts"] = max(call.attemptNumber, event.attempt)
            if let keyID = event.keyID { attributes["sluice.key_id"] = keyID.rawValue }
            if let usage = event.usage {
                attributes["gen_ai.usage.input_tokens"] = usage.inputTokens
                attributes["gen_ai.usage.output_tokens"] = usage.outputTokens
                if usage.isEstimated { attributes["sluice.usage.estimated"] = true }
            }
        }
        switch event.kind {
        case .requestSucceeded:
            span.updateAttributes { attributes in
                attributes["sluice.outcome"] = "success"
                guard let reply = event.reply else { return }
                if let id = reply.id { attributes["gen_ai.response.id"] = id }
                if let model = reply.model { attributes["gen_ai.response.model"] = model }
                if !reply.finishReasons.isEmpty { attributes["gen_ai.response.finish_reasons"] = reply.finishReasons }
            }
        case .requestCancelled:
            span.attributes["sluice.outcome"] = "cancelled"
        default:
            span.updateAttributes { attributes in
                attributes["sluice.outcome"] = "failure"
                guard let error = event.error else {
                    attributes["error.type"] = "unknown"
                    return
                }
                attributes["error.type"] = error.code.name
                if let status = error.status { attributes["http.response.status_code"] = status }
                if let type = error.providerError?.type { attributes["sluice.error.provider_type"] = type }
                if let partial = error.partialResponse {
                    if !partial.id.isEmpty { attributes["gen_ai.response.id"] = partial.id }
                    if !partial.model.isEmpty { attributes["gen_ai.response.model"] = partial.model }
                    if let reason = partial.finishReason { attributes["gen_ai.response.finish_reasons"] = [reason.raw] }
                }
            }
            if let error = event.error {
                span.recordError(error, attributes: [:], at: instant)
                span.setStatus(SpanStatus(code: .error, message: error.code.name))
            } else {
                span.setStatus(SpanStatus(code: .error))
            }
        }
        call.attempt?.end(at: instant)
        span.end(at: instant)
    }

    // MARK: Span events

    private func addEvent(_ event: ClientEvent) {
        guard let (call, instant) = lookUp(event) else { return }
        var attributes: SpanAttributes = [:]
        let name: String
        switch event.kind {
        case .rateLimitWaitStarted:
            name = "sluice.rate_limit_wait.started"
        case .rateLimitWaitEnded:
            name = "sluice.rate_limit_wait.ended"
        case .permitWaitStarted:
            name = "sluice.permit_wait.started"
        case .permitWaitEnded:
            name = "sluice.permit_wait.ended"
        case .retryBudgetExhausted:
            name = "sluice.retry_budget_exhausted"
        case .cooldownStarted:
            name = "sluice.cooldown.started"
        case .cooldownEnded:
            name = "sluice.cooldown.ended"
        case .keyRemoved:
            name = "sluice.key_removed"
        case .usageSettled:
            name = "sluice.usage_settled"
            if let usage = event.usage {
                attributes["gen_ai.usage.input_tokens"] = usage.inputTokens
                attributes["gen_ai.usage.output_tokens"] = usage.outputTokens
            }
        case .firstToken:
            name = "sluice.first_token"
        default:
            name = "sluice." + event.kind.name
        }
        if let reason = event.reason { attributes["sluice.reason"] = reason }
        if let tokens = event.tokens { attributes["sluice.tokens"] = tokens }
        if let delay = event.delay { attributes["sluice.delay_ms"] = delay.adapterMilliseconds }
        if let waited = event.waited { attributes["sluice.waited_ms"] = waited.adapterMilliseconds }
        if let latency = event.latency { attributes["sluice.latency_ms"] = latency.adapterMilliseconds }
        if let keyID = event.keyID { attributes["sluice.key_id"] = keyID.rawValue }
        call.span.addEvent(SpanEvent(name: name, at: instant, attributes: attributes))
    }

    // MARK: Time

    private func lookUp(_ event: ClientEvent) -> (Call, DefaultTracerClock.Timestamp)? {
        guard let call = calls.withLock({ $0[event.callID] }) else { return nil }
        return (call, tracerInstant(for: event, in: call))
    }

    /// The event's instant on the tracer's clock: the anchor plus the time since `request_started`.
    private func tracerInstant(for event: ClientEvent, in call: Call) -> DefaultTracerClock.Timestamp {
        let elapsed = (event.instant - call.anchorInstant).adapterNanoseconds
        let nanoseconds: UInt64
        if elapsed >= 0 {
            let (sum, overflow) = call.anchorNanoseconds.addingReportingOverflow(UInt64(elapsed))
            nanoseconds = overflow ? .max : sum
        } else {
            let (difference, overflow) = call.anchorNanoseconds.subtractingReportingOverflow(elapsed.magnitude)
            nanoseconds = overflow ? 0 : difference
        }
        return DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: nanoseconds)
    }
}
