import CoreMetrics
import Logging
import Sluice
import Synchronization
import Tracing

// MARK: Synthetic event sequences

/// Event sequences the real layers emit, built by hand so the adapters can be tested alone.
enum AdapterEvents {
    /// The key every sequence's `KeyID` is made from: it must never show up in any adapter output.
    static let canaryKey = "sk-REDACTION-CANARY"
    static let keyID = KeyID(apiKey: canaryKey)
    static let model = "gpt-4o-mini"

    static func event(
        _ kind: ClientEvent.Kind,
        call: UInt64 = 1,
        attempt: Int = 1,
        at milliseconds: Int64,
        provider: Provider = .openAI,
        operation: ClientContext.Operation = .chat,
        keyID: KeyID? = AdapterEvents.keyID,
        fill: (inout ClientEvent) -> Void = { _ in }
    ) -> ClientEvent {
        var event = ClientEvent(
            kind: kind, callID: call, provider: provider, model: model, operation: operation, attempt: attempt,
            keyID: keyID, instant: .milliseconds(milliseconds))
        fill(&event)
        return event
    }

    static let usage = Usage(inputTokens: 12, outputTokens: 34, cachedInputTokens: 2)

    /// Started, waits for rate budget, one attempt, 200, usage settled, succeeded after 900 ms.
    static func success(call: UInt64 = 1, provider: Provider = .openAI) -> [ClientEvent] {
        [
            event(.requestStarted, call: call, at: 0, provider: provider) {
                $0.request = ClientEvent.RequestDetails(
                    serverAddress: "api.openai.com", serverPort: 443, maxOutputTokens: 100, temperature: 0.5,
                    stopSequences: ["END"])
            },
            event(.rateLimitWaitStarted, call: call, at: 0, provider: provider) {
                $0.reason = "tokens"
                $0.tokens = 500
                $0.delay = .milliseconds(200)
            },
            event(.rateLimitWaitEnded, call: call, at: 200, provider: provider) { $0.waited = .milliseconds(200) },
            event(.attemptStarted, call: call, at: 200, provider: provider),
            event(.responseHead, call: call, at: 700, provider: provider) {
                $0.status = 200
                $0.rateLimit = RateLimitSnapshot(remainingRequests: 99, remainingTokens: 9_000)
            },
            event(.usageSettled, call: call, at: 900, provider: provider) {
                $0.tokens = 500
                $0.usage = usage
            },
            event(.requestSucceeded, call: call, at: 900, provider: provider) {
                $0.usage = usage
                $0.latency = .milliseconds(900)
                $0.reply = ClientEvent.ReplyDetails(
                    id: "chatcmpl-1", model: "gpt-4o-mini-2024-07-18", finishReasons: ["stop"])
            },
        ]
    }

    /// Attempt 1 gets a 429 (cooldown, retry after 1.5 s), attempt 2 succeeds.
    static func retryAfter429(call: UInt64 = 1) -> [ClientEvent] {
        [
            event(.requestStarted, call: call, at: 0),
            event(.attemptStarted, call: call, at: 0),
            event(.responseHead, call: call, at: 100) { $0.status = 429 },
            event(.cooldownStarted, call: call, at: 100) { $0.delay = .milliseconds(1_500) },
            event(.retryScheduled, call: call, at: 100) {
                $0.reason = "rate_limited"
                $0.delay = .milliseconds(1_500)
                $0.delaySource = "retry-after"
            },
            event(.cooldownEnded, call: call, at: 1_600),
            event(.attemptStarted, call: call, attempt: 2, at: 1_600),
            event(.responseHead, call: call, attempt: 2, at: 1_800) { $0.status = 200 },
            event(.requestSucceeded, call: call, attempt: 2, at: 2_000) {
                $0.usage = usage
                $0.latency = .milliseconds(2_000)
            },
        ]
    }

    static let timeoutError = SluiceError(
        SluiceError.Code("first_token_timeout"), "no body chunk arrived within 5 seconds of the response head")

    /// The first token does not come in time: timeout, then the call fails.
    static func timeout(call: UInt64 = 1) -> [ClientEvent] {
        [
            event(.requestStarted, call: call, at: 0, operation: .streamChat),
            event(.attemptStarted, call: call, at: 0, operation: .streamChat),
            event(.responseHead, call: call, at: 300, operation: .streamChat) { $0.status = 200 },
            event(.timeout, call: call, at: 5_300, operation: .streamChat) { $0.phase = "first_token" },
            event(.requestFailed, call: call, at: 5_300, operation: .streamChat) {
                $0.error = timeoutError
                $0.latency = .milliseconds(5_300)
            },
        ]
    }

    /// Cancelled while waiting for rate budget: the wait never ends.
    static func cancelWhileWaiting(call: UInt64 = 1) -> [ClientEvent] {
        [
            event(.requestStarted, call: call, at: 0),
            event(.attemptStarted, call: call, at: 0),
            event(.rateLimitWaitStarted, call: call, at: 0) {
                $0.reason = "requests"
                $0.delay = .seconds(10)
            },
            event(.requestCancelled, call: call, at: 400),
        ]
    }

    /// A streamed chat: head, first token after 250 ms, two chunks, success.
    static func stream(call: UInt64 = 1) -> [ClientEvent] {
        [
            event(.requestStarted, call: call, at: 0, operation: .streamChat),
            event(.attemptStarted, call: call, at: 0, operation: .streamChat),
            event(.responseHead, call: call, at: 100, operation: .streamChat) { $0.status = 200 },
            event(.firstToken, call: call, at: 250, operation: .streamChat) { $0.latency = .milliseconds(250) },
            event(.chunk, call: call, at: 250, operation: .streamChat) { $0.text = "Hello" },
            event(.chunk, call: call, at: 300, operation: .streamChat) { $0.text = " world" },
            event(.requestSucceeded, call: call, at: 400, operation: .streamChat) {
                $0.usage = usage
                $0.latency = .milliseconds(400)
            },
        ]
    }

    static let midStreamError = SluiceError(
        .connectionClosed, "the connection closed mid-stream", status: nil, requestID: "req_42",
        partialResponse: ChatResponse(
            model: "gpt-4o-mini-2024-07-18", text: "Hello",
            finishReason: FinishReason(normalized: "other", raw: "error"),
            usage: Usage(inputTokens: 12, outputTokens: 1), provider: .openAI))

    /// A stream that delivers one chunk, then the connection drops.
    static func streamThenError(call: UInt64 = 1) -> [ClientEvent] {
        [
            event(.requestStarted, call: call, at: 0, operation: .streamChat),
            event(.attemptStarted, call: call, at: 0, operation: .streamChat),
            event(.responseHead, call: call, at: 100, operation: .streamChat) { $0.status = 200 },
            event(.firstToken, call: call, at: 200, operation: .streamChat) { $0.latency = .milliseconds(200) },
            event(.chunk, call: call, at: 200, operation: .streamChat) { $0.text = "Hello" },
            event(.requestFailed, call: call, at: 600, operation: .streamChat) {
                $0.error = midStreamError
                $0.usage = Usage(inputTokens: 12, outputTokens: 1)
                $0.latency = .milliseconds(600)
            },
        ]
    }

    /// A failed call with a provider error: 401 `authentication_error`.
    static func unauthorized(call: UInt64 = 1) -> [ClientEvent] {
        let error = SluiceError(
            SluiceError.Code("unauthorized"), "Incorrect API key provided (key id \(keyID))", status: 401,
            providerError: ProviderErrorDetails(type: "authentication_error", code: "invalid_api_key"),
            requestID: "req_7")
        return [
            event(.requestStarted, call: call, at: 0),
            event(.attemptStarted, call: call, at: 0),
            event(.responseHead, call: call, at: 50) { $0.status = 401 },
            event(.keyRemoved, call: call, at: 50) { $0.reason = "unauthorized" },
            event(.requestFailed, call: call, at: 50) {
                $0.error = error
                $0.latency = .milliseconds(50)
            },
        ]
    }

    /// Every sequence, for the redaction checks.
    static var all: [[ClientEvent]] {
        [success(), retryAfter429(), timeout(), cancelWhileWaiting(), stream(), streamThenError(), unauthorized()]
    }
}

extension ClientEventHandler {
    func handle(_ events: [ClientEvent]) {
        for event in events { handle(event) }
    }
}

// MARK: swift-log

/// Every line logged through its loggers.
final class AdapterLogRecorder: Sendable {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let storage = Mutex<[Line]>([])

    var lines: [Line] { storage.withLock { $0 } }

    func append(_ line: Line) { storage.withLock { $0.append(line) } }

    /// A logger at `level` whose lines land here.
    func logger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "sluice.adapter-tests") { _ in AdapterLogHandler(recorder: self) }
        logger.logLevel = level
        return logger
    }

    /// The lines of events of `kind` (by their `sluice.event` metadata).
    func lines(_ kind: ClientEvent.Kind) -> [Line] {
        lines.filter { $0.metadata["sluice.event"] == .string(kind.name) }
    }
}

struct AdapterLogHandler: LogHandler {
    let recorder: AdapterLogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        merged.merge(event.metadata ?? [:]) { _, new in new }
        recorder.append(.init(level: event.level, message: event.message.description, metadata: merged))
    }
}

// MARK: swift-metrics

/// A metrics backend that keeps every value, and counts how often each metric object was made.
final class AdapterMetricsFactory: MetricsFactory {
    final class Handler: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler, TimerHandler {
        let label: String
        let dimensions: [(String, String)]
        private let values = Mutex<[Double]>([])
        private let total = Mutex<Double>(0)

        init(label: String, dimensions: [(String, String)]) {
            self.label = label
            self.dimensions = dimensions
        }

        /// A counter's total, a meter's current value.
        var value: Double { total.withLock { $0 } }
        /// A timer's or recorder's recorded values.
        var recorded: [Double] { values.withLock { $0 } }

        func increment(by amount: Int64) { total.withLock { $0 += Double(amount) } }
        func increment(by amount: Double) { total.withLock { $0 += amount } }
        func decrement(by amount: Double) { total.withLock { $0 -= amount } }
        func set(_ value: Int64) { total.withLock { $0 = Double(value) } }
        func set(_ value: Double) { total.withLock { $0 = value } }
        func record(_ value: Int64) { values.withLock { $0.append(Double(value)) } }
        func record(_ value: Double) { values.withLock { $0.append(value) } }
        func recordNanoseconds(_ duration: Int64) { values.withLock { $0.append(Double(duration)) } }
        func reset() { total.withLock { $0 = 0 } }
    }

    enum Kind: Sendable { case counter, meter, recorder, timer }

    private let made = Mutex<[(kind: Kind, handler: Handler)]>([])

    /// Every metric object made, in order.
    var handlers: [(kind: Kind, handler: Handler)] { made.withLock { $0 } }

    private func make(_ kind: Kind, _ label: String, _ dimensions: [(String, String)]) -> Handler {
        let handler = Handler(label: label, dimensions: dimensions)
        made.withLock { $0.append((kind, handler)) }
        return handler
    }

    /// The metric of `kind` named `label` whose dimensions are exactly `dimensions` (any order).
    func find(_ kind: Kind, _ label: String, _ dimensions: [String: String]) -> Handler? {
        handlers.last {
            $0.kind == kind && $0.handler.label == label
                && Dictionary($0.handler.dimensions, uniquingKeysWith: { _, new in new }) == dimensions
        }?.handler
    }

    /// How many metric objects named `label` were made.
    func madeCount(_ label: String) -> Int { handlers.filter { $0.handler.label == label }.count }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        make(.counter, label, dimensions)
    }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        make(.counter, label, dimensions)
    }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        make(.meter, label, dimensions)
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        make(.recorder, label, dimensions)
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        make(.timer, label, dimensions)
    }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}

// MARK: swift-distributed-tracing

/// A tracer that keeps every span it started, with its parent and how often it was ended.
final class AdapterTestTracer: Tracer {
    private enum SpanIDKey: ServiceContextKey {
        typealias Value = Int
    }

    private let spans = Mutex<[AdapterTestSpan]>([])

    /// Every span started, in order.
    var started: [AdapterTestSpan] { spans.withLock { $0 } }

    /// The id a span's context carries (for a parent context made outside this tracer: `nil`).
    static func spanID(of context: ServiceContext) -> Int? { context[SpanIDKey.self] }

    /// A context that looks like one this tracer's span `id` made.
    static func context(spanID id: Int) -> ServiceContext {
        var context = ServiceContext.topLevel
        context[SpanIDKey.self] = id
        return context
    }

    func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> ServiceContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> AdapterTestSpan {
        var context = context()
        let parentID = context[SpanIDKey.self]
        let span = spans.withLock { spans in
            let id = 1_000 + spans.count
            context[SpanIDKey.self] = id
            let span = AdapterTestSpan(
                id: id, parentID: parentID, operationName: operationName, kind: kind, context: context,
                start: instant().nanosecondsSinceEpoch)
            spans.append(span)
            return span
        }
        return span
    }

    func forceFlush() {}

    /// Extra fields `inject` writes after `traceparent` (to try the handler's header checks).
    let extraInjected = Mutex<[(String, String)]>([])

    /// Writes `traceparent: span-<id>` for a context of one of this tracer's spans, then the extras.
    func inject<Carrier, Inject: Injector>(
        _ context: ServiceContext, into carrier: inout Carrier, using injector: Inject
    )
    where Inject.Carrier == Carrier {
        guard let id = context[SpanIDKey.self] else { return }
        injector.inject("span-\(id)", forKey: "traceparent", into: &carrier)
        for (key, value) in extraInjected.withLock({ $0 }) { injector.inject(value, forKey: key, into: &carrier) }
    }

    func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract
    ) where Extract.Carrier == Carrier {}
}

final class AdapterTestSpan: Span {
    private struct State {
        var operationName: String
        var attributes: SpanAttributes = [:]
        var events: [SpanEvent] = []
        var errors: [any Error] = []
        var status: SpanStatus?
        var endCount = 0
        var end: UInt64?
    }

    let id: Int
    let parentID: Int?
    let kind: SpanKind
    let context: ServiceContext
    let start: UInt64
    private let state: Mutex<State>

    init(id: Int, parentID: Int?, operationName: String, kind: SpanKind, context: ServiceContext, start: UInt64) {
        self.id = id
        self.parentID = parentID
        self.kind = kind
        self.context = context
        self.start = start
        state = Mutex(State(operationName: operationName))
    }

    var operationName: String {
        get { state.withLock { $0.operationName } }
        set { state.withLock { $0.operationName = newValue } }
    }

    var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { $0.attributes = newValue } }
    }

    var events: [SpanEvent] { state.withLock { $0.events } }
    var errors: [any Error] { state.withLock { $0.errors } }
    var status: SpanStatus? { state.withLock { $0.status } }
    var endCount: Int { state.withLock { $0.endCount } }
    var end: UInt64? { state.withLock { $0.end } }
    var isRecording: Bool { state.withLock { $0.endCount == 0 } }

    func setStatus(_ status: SpanStatus) { state.withLock { $0.status = status } }
    func addEvent(_ event: SpanEvent) { state.withLock { $0.events.append(event) } }
    func addLink(_ link: SpanLink) {}

    func recordError<Instant: TracerInstant>(
        _ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant
    ) {
        state.withLock { $0.errors.append(error) }
    }

    func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let nanoseconds = instant().nanosecondsSinceEpoch
        state.withLock {
            $0.endCount += 1
            $0.end = nanoseconds
        }
    }

    /// Every attribute as `name: text`, for assertions and the redaction check.
    var attributeTexts: [String: String] {
        var texts: [String: String] = [:]
        attributes.forEach { name, value in texts[name] = "\(value)" }
        return texts
    }
}
