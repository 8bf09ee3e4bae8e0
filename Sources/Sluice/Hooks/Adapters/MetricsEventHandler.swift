import CoreMetrics
import Synchronization

/// Turns every call's events into swift-metrics counters, timers and gauges.
///
/// Use it to graph and alert on what the client does: request rate and outcomes, retries, 429s,
/// timeouts, tokens spent, latency, time to first token, time spent waiting for rate budget, and how
/// many calls are in flight or waiting right now. It reports to the metrics backend your service
/// bootstrapped (`MetricsSystem.factory`) unless you pass another factory.
///
/// ```swift
/// let metrics = MetricsEventHandler()   // MetricsSystem.factory, prefix "sluice_"
/// configuration.eventHandlers.append(metrics)
///
/// // Many keys in a pool? Drop the key dimension:
/// let lean = MetricsEventHandler(configuration: .init(dimensions: [.provider, .model]))
/// ```
///
/// Every metric carries the ``Configuration/dimensions`` (by default `provider`, `model`, `key_id`;
/// `key_id` is the short ``KeyID``, never the key, and `none` before a key is chosen), then its own:
///
/// | Label (after the prefix) | Type | Own dimensions | From |
/// |---|---|---|---|
/// | `requests_total` | counter | `outcome`: `success`, `failure`, `cancelled` | terminal events |
/// | `request_errors_total` | counter | `error_code` (a ``SluiceError/Code`` name) | `request_failed` |
/// | `retries_total` | counter | `reason` | `retry_scheduled` |
/// | `retry_budget_exhausted_total` | counter | | `retry_budget_exhausted` |
/// | `rate_limited_total` | counter | | `response_head` with status 429 |
/// | `timeouts_total` | counter | `phase` | `timeout` |
/// | `cooldowns_total` | counter | | `cooldown_started` |
/// | `key_removals_total` | counter | `reason` | `key_removed` |
/// | `fallbacks_total` | counter | `deployment`, `reason` (a ``FallbackCondition`` name) | `fallback` (``LLMRouter``) |
/// | `circuit_transitions_total` | counter | `deployment`, `state`: `open`, `half_open`, `closed` | the circuit events (``LLMRouter``) |
/// | `circuit_skips_total` | counter | `deployment` | `circuit_skipped` (``LLMRouter``) |
/// | `load_shed_total` | counter | `queue`: `rate_limit`, `concurrency` | `load_shed` |
/// | `concurrency_limit` | meter | | the adaptive limit's value at `concurrency_limit_changed` |
/// | `tokens_total` | counter | `type`: `input`, `output` | the usage on terminal events |
/// | `request_duration` | timer | `outcome`: `success`, `failure` | `latency` of `request_succeeded`/`failed` |
/// | `time_to_first_token` | timer | | `first_token` |
/// | `rate_limit_wait` | timer | | `waited` of `rate_limit_wait_ended` |
/// | `permit_wait` | timer | | `waited` of `permit_wait_ended` |
/// | `requests_in_flight` | meter | | +1 at `request_started`, −1 at the terminal event |
/// | `requests_waiting` | meter | `wait`: `rate_limit`, `permit` | +1 at a wait's start, −1 at its end |
///
/// Beside these, the handler records the OpenTelemetry GenAI client metrics under their
/// conventional names and dimensions (``GenAIMetrics``: operation duration, token usage, time to
/// first chunk), unless ``Configuration/recordsGenAIMetrics`` is off.
///
/// Tokens count what the provider reported, on the terminal event (a failed or cancelled call that
/// reported usage counts too); cached and reasoning tokens are parts of those and are not counted
/// again.
///
/// Metric objects are made once per label and dimension set and reused. A gauge is decremented with
/// the dimensions it was incremented with, even when the call's key became known in between, and a
/// call that ends while it waits (cancelled in the rate limiter's queue) leaves the waiting gauge at
/// once: gauges return to zero when calls end.
///
/// - Important: ``handle(_:)`` runs synchronously on the task that does the call's work and takes a
///   short lock to find the metric objects; it ignores `chunk` events at the cost of one comparison.
///   Recording is the metrics backend's business: use one whose handlers do not block.
public final class MetricsEventHandler: ClientEventHandler {
    /// A dimension the handler can attach to every metric.
    public struct Dimension: Hashable, Sendable, CustomStringConvertible {
        /// The dimension's name as the backend sees it.
        public let name: String
        private init(name: String) { self.name = name }
        /// The dimension's name.
        public var description: String { name }

        /// `provider`: `openai`, `anthropic`.
        public static let provider = Dimension(name: "provider")
        /// `model`: the requested model.
        public static let model = Dimension(name: "model")
        /// `key_id`: the short, non-reversible id of the API key (`none` before one is chosen).
        public static let keyID = Dimension(name: "key_id")
        /// `operation`: `chat`, `stream_chat`, `embeddings`.
        public static let operation = Dimension(name: "operation")

        func value(of event: ClientEvent) -> String {
            switch self {
            case .provider: event.provider.name
            case .model: event.model
            case .keyID: event.keyID?.rawValue ?? "none"
            default: event.operation.name
            }
        }
    }

    /// How metrics are named and which dimensions they carry.
    ///
    /// ```swift
    /// let configuration = MetricsEventHandler.Configuration(labelPrefix: "llm_", dimensions: [.provider, .model])
    /// ```
    public struct Configuration: Sendable {
        /// Put in front of every label. Default `sluice_`.
        public var labelPrefix: String
        /// The dimensions every metric carries, in this order, before its own. Default `provider`,
        /// `model`, `key_id`. Each distinct combination is a time series in most backends: with a large
        /// key pool or many models, drop ``Dimension/keyID`` (or ``Dimension/model``).
        public var dimensions: [Dimension]

        /// Whether to record the OpenTelemetry GenAI client metrics too (``GenAIMetrics``). Default
        /// `true`.
        public var recordsGenAIMetrics: Bool

        /// A configuration with the defaults documented on each property.
        public init(
            labelPrefix: String = "sluice_", dimensions: [Dimension] = [.provider, .model, .keyID],
            recordsGenAIMetrics: Bool = true
        ) {
            self.labelPrefix = labelPrefix
            self.dimensions = dimensions
            self.recordsGenAIMetrics = recordsGenAIMetrics
        }
    }

    private struct MetricKey: Hashable {
        var label: String
        var dimensions: [String]
    }

    private enum WaitKind: String {
        case rateLimit = "rate_limit"
        case permit
    }

    private struct CallState {
        var inFlight: Meter?
        var waiting: [(kind: WaitKind, meter: Meter)] = []
        /// `server.address` and `server.port` from `request_started`, for the GenAI metrics.
        var server: [(String, String)] = []
        /// When the stream's latest text chunk arrived, and the recorder of the gaps between chunks
        /// (made at the first chunk, so later ones cost one lock and no allocation).
        var lastChunk: Duration?
        var chunkGaps: Recorder?
    }

    private struct State {
        var counters: [MetricKey: Counter] = [:]
        var timers: [MetricKey: CoreMetrics.Timer] = [:]
        var meters: [MetricKey: Meter] = [:]
        var recorders: [MetricKey: Recorder] = [:]
        var calls: [UInt64: CallState] = [:]
    }

    /// The factory the metrics are made with.
    public let factory: any MetricsFactory
    /// The naming and dimensions in use.
    public let configuration: Configuration
    private let state = Mutex(State())

    /// A handler that makes its metrics with `factory` (by default the one bootstrapped in
    /// `MetricsSystem`).
    public init(factory: any MetricsFactory = MetricsSystem.factory, configuration: Configuration = Configuration()) {
        self.factory = factory
        self.configuration = configuration
    }

    /// How many calls the handler is tracking (started, not yet ended): for tests and diagnostics.
    public var trackedCallCount: Int { state.withLock { $0.calls.count } }

    /// Updates the metrics `event` concerns (see the table on the type); ignores unknown kinds.
    public func handle(_ event: ClientEvent) {
        switch event.kind {
        case .chunk:
            if configuration.recordsGenAIMetrics { recordChunkGap(event) }
        case .requestStarted:
            let meter = meter("requests_in_flight", event)
            var server: [(String, String)] = []
            if let address = event.request?.serverAddress {
                server.append(("server.address", address))
                if let port = event.request?.serverPort { server.append(("server.port", String(port))) }
            }
            state.withLock { state in
                state.calls[event.callID, default: CallState()].inFlight = meter
                state.calls[event.callID]?.server = server
            }
            meter.increment()
        case .rateLimitWaitStarted:
            startWait(.rateLimit, event)
        case .rateLimitWaitEnded:
            endWait(.rateLimit, event)
            if let waited = event.waited {
                timer("rate_limit_wait", event).recordNanoseconds(waited.adapterNanoseconds)
            }
        case .permitWaitStarted:
            startWait(.permit, event)
        case .permitWaitEnded:
            endWait(.permit, event)
            if let waited = event.waited { timer("permit_wait", event).recordNanoseconds(waited.adapterNanoseconds) }
        case .responseHead where event.status == 429:
            counter("rate_limited_total", event).increment()
        case .firstToken:
            if let latency = event.latency {
                timer("time_to_first_token", event).recordNanoseconds(latency.adapterNanoseconds)
                if configuration.recordsGenAIMetrics {
                    let server = state.withLock { $0.calls[event.callID]?.server ?? [] }
                    genAIRecorder(GenAIMetrics.timeToFirstChunk, event, server)
                        .record(latency.adapterSeconds)
                }
            }
        case .retryScheduled:
            counter("retries_total", event, ("reason", event.reason ?? "unknown")).increment()
        case .retryBudgetExhausted:
            counter("retry_budget_exhausted_total", event).increment()
        case .timeout:
            counter("timeouts_total", event, ("phase", event.phase ?? "unknown")).increment()
        case .cooldownStarted:
            counter("cooldowns_total", event).increment()
        case .keyRemoved:
            counter("key_removals_total", event, ("reason", event.reason ?? "unknown")).increment()
        case .fallback:
            counter("fallbacks_total", event, ("deployment", event.deployment ?? "unknown"), ("reason", event.reason ?? "unknown"))
                .increment()
        case .circuitSkipped:
            counter("circuit_skips_total", event, ("deployment", event.deployment ?? "unknown")).increment()
        case .circuitOpened, .circuitHalfOpen, .circuitClosed:
            let state =
                event.kind == .circuitOpened ? CircuitState.open : event.kind == .circuitClosed ? .closed : .halfOpen
            counter(
                "circuit_transitions_total", event, ("deployment", event.deployment ?? "unknown"),
                ("state", state.rawValue)
            ).increment()
        case .loadShed:
            counter("load_shed_total", event, ("queue", event.reason ?? "unknown")).increment()
        case .concurrencyLimitChanged:
            if let limit = event.limit { meter("concurrency_limit", event).set(limit) }
        case .requestSucceeded:
            finish(event, outcome: "success")
        case .requestFailed:
            finish(event, outcome: "failure")
            counter("request_errors_total", event, ("error_code", event.error?.code.name ?? "unknown")).increment()
        case .requestCancelled:
            finish(event, outcome: "cancelled")
        default:
            return
        }
    }

    private func startWait(_ kind: WaitKind, _ event: ClientEvent) {
        let meter = meter("requests_waiting", event, ("wait", kind.rawValue))
        state.withLock { $0.calls[event.callID, default: CallState()].waiting.append((kind, meter)) }
        meter.increment()
    }

    private func endWait(_ kind: WaitKind, _ event: ClientEvent) {
        let meter = state.withLock { state -> Meter? in
            guard let index = state.calls[event.callID]?.waiting.lastIndex(where: { $0.kind == kind }) else {
                return nil
            }
            return state.calls[event.callID]?.waiting.remove(at: index).meter
        }
        meter?.decrement()
    }

    private func finish(_ event: ClientEvent, outcome: String) {
        let call = state.withLock { $0.calls.removeValue(forKey: event.callID) }
        if let call {
            call.inFlight?.decrement()
            for wait in call.waiting { wait.meter.decrement() }
        }
        if configuration.recordsGenAIMetrics { recordGenAI(event, outcome: outcome, server: call?.server ?? []) }
        counter("requests_total", event, ("outcome", outcome)).increment()
        if let latency = event.latency, outcome != "cancelled" {
            timer("request_duration", event, ("outcome", outcome)).recordNanoseconds(latency.adapterNanoseconds)
        }
        if let usage = event.usage {
            if usage.inputTokens > 0 {
                counter("tokens_total", event, ("type", "input")).increment(by: usage.inputTokens)
            }
            if usage.outputTokens > 0 {
                counter("tokens_total", event, ("type", "output")).increment(by: usage.outputTokens)
            }
        }
    }

    /// `gen_ai.client.operation.time_per_output_chunk`: from the stream's previous text chunk to this
    /// one, for every chunk after the first.
    private func recordChunkGap(_ event: ClientEvent) {
        enum Step {
            case untracked
            case first(server: [(String, String)])
            case gap(Duration, Recorder)
        }
        let step = state.withLock { state -> Step in
            guard let call = state.calls[event.callID] else { return .untracked }
            state.calls[event.callID]?.lastChunk = event.instant
            guard let last = call.lastChunk, let recorder = call.chunkGaps else { return .first(server: call.server) }
            return .gap(event.instant - last, recorder)
        }
        switch step {
        case .untracked:
            return
        case .first(let server):
            let recorder = genAIRecorder(GenAIMetrics.timePerOutputChunk, event, server)
            state.withLock { $0.calls[event.callID]?.chunkGaps = recorder }
        case .gap(let elapsed, let recorder):
            recorder.record(max(.zero, elapsed).adapterSeconds)
        }
    }

    /// The GenAI client metrics of a call that ended: its duration (not for a cancelled call) and
    /// the tokens it reported.
    private func recordGenAI(_ event: ClientEvent, outcome: String, server: [(String, String)]) {
        var dimensions = server
        if let model = event.reply?.model { dimensions.append(("gen_ai.response.model", model)) }
        if outcome == "failure" { dimensions.append(("error.type", event.error?.code.name ?? "_OTHER")) }
        if let latency = event.latency, outcome != "cancelled" {
            genAIRecorder(GenAIMetrics.operationDuration, event, dimensions).record(latency.adapterSeconds)
        }
        guard let usage = event.usage else { return }
        dimensions.removeAll { $0.0 == "error.type" }
        for (type, tokens) in [("input", usage.inputTokens), ("output", usage.outputTokens)] where tokens > 0 {
            genAIRecorder(GenAIMetrics.tokenUsage, event, dimensions + [("gen_ai.token.type", type)])
                .record(Int64(tokens))
        }
    }

    // MARK: Metric objects, made once per label and dimensions

    private func dimensions(_ event: ClientEvent, _ extra: [(String, String)]) -> [(String, String)] {
        configuration.dimensions.map { ($0.name, $0.value(of: event)) } + extra
    }

    private func key(_ label: String, _ dimensions: [(String, String)]) -> MetricKey {
        MetricKey(label: label, dimensions: dimensions.flatMap { [$0.0, $0.1] })
    }

    private func counter(_ name: String, _ event: ClientEvent, _ extra: (String, String)...) -> Counter {
        let label = configuration.labelPrefix + name
        let dimensions = dimensions(event, extra)
        let key = key(label, dimensions)
        return state.withLock { state in
            if let counter = state.counters[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions, factory: factory)
            state.counters[key] = counter
            return counter
        }
    }

    private func timer(_ name: String, _ event: ClientEvent, _ extra: (String, String)? = nil) -> CoreMetrics.Timer {
        let label = configuration.labelPrefix + name
        let dimensions = dimensions(event, extra.map { [$0] } ?? [])
        let key = key(label, dimensions)
        return state.withLock { state in
            if let timer = state.timers[key] { return timer }
            let timer = CoreMetrics.Timer(label: label, dimensions: dimensions, factory: factory)
            state.timers[key] = timer
            return timer
        }
    }

    /// A GenAI histogram: its convention's name (no prefix) and dimensions, not the configured ones.
    private func genAIRecorder(_ label: String, _ event: ClientEvent, _ extra: [(String, String)]) -> Recorder {
        let dimensions =
            [
                ("gen_ai.operation.name", TracingEventHandler.operationName(event.operation)),
                ("gen_ai.provider.name", event.provider.name), ("gen_ai.request.model", event.model),
            ] + extra
        let key = key(label, dimensions)
        return state.withLock { state in
            if let recorder = state.recorders[key] { return recorder }
            let recorder = Recorder(label: label, dimensions: dimensions, aggregate: true, factory: factory)
            state.recorders[key] = recorder
            return recorder
        }
    }

    private func meter(_ name: String, _ event: ClientEvent, _ extra: (String, String)? = nil) -> Meter {
        let label = configuration.labelPrefix + name
        let dimensions = dimensions(event, extra.map { [$0] } ?? [])
        let key = key(label, dimensions)
        return state.withLock { state in
            if let meter = state.meters[key] { return meter }
            let meter = Meter(label: label, dimensions: dimensions, factory: factory)
            state.meters[key] = meter
            return meter
        }
    }
}

/// The OpenTelemetry GenAI client metrics ``MetricsEventHandler`` records (as swift-metrics
/// `Recorder`s, which OpenTelemetry backends export as histograms), with the bucket boundaries the
/// conventions ask for: give these to your backend's histogram configuration.
///
/// | Metric | Unit | Recorded | Dimensions besides `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model` |
/// |---|---|---|---|
/// | `gen_ai.client.operation.duration` | s | when a call succeeds or fails | `server.address`, `server.port`, `gen_ai.response.model` when known, `error.type` (a ``SluiceError/Code`` name) on failure |
/// | `gen_ai.client.token.usage` | {token} | when a call that ended reported usage, once per type | the same less `error.type`, and `gen_ai.token.type` (`input`, `output`) |
/// | `gen_ai.client.operation.time_to_first_chunk` | s | at a stream's first content | `server.address`, `server.port` |
/// | `gen_ai.client.operation.time_per_output_chunk` | s | at each text chunk of a stream after the first: the time since the previous one | `server.address`, `server.port` |
///
/// Durations count from the call's start, waits for rate budget and permits and earlier attempts
/// included: what the caller waited.
public enum GenAIMetrics {
    public static let operationDuration = "gen_ai.client.operation.duration"
    public static let tokenUsage = "gen_ai.client.token.usage"
    public static let timeToFirstChunk = "gen_ai.client.operation.time_to_first_chunk"
    public static let timePerOutputChunk = "gen_ai.client.operation.time_per_output_chunk"

    /// The bucket boundaries for ``operationDuration``, ``timeToFirstChunk`` and
    /// ``timePerOutputChunk``, in seconds.
    public static let durationBuckets: [Double] = [
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ]

    /// The bucket boundaries for ``tokenUsage``.
    public static let tokenUsageBuckets: [Double] = [
        1, 4, 16, 64, 256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864,
    ]
}
