import CoreMetrics
import Testing

@testable import Sluice

@Suite("MetricsEventHandler")
struct MetricsEventHandlerTests {
    let factory = AdapterMetricsFactory()
    let key = AdapterEvents.keyID.rawValue

    func handler(_ configuration: MetricsEventHandler.Configuration = .init()) -> MetricsEventHandler {
        MetricsEventHandler(factory: factory, configuration: configuration)
    }

    /// The default dimensions plus `extra`.
    func dims(_ extra: [String: String] = [:], provider: String = "openai") -> [String: String] {
        ["provider": provider, "model": "gpt-4o-mini", "key_id": key].merging(extra) { _, new in new }
    }

    @Test("a successful call counts one success, its tokens, its latency and its rate-limit wait")
    func success() throws {
        let handler = handler()
        handler.handle(AdapterEvents.success())
        #expect(factory.find(.counter, "sluice_requests_total", dims(["outcome": "success"]))?.value == 1)
        #expect(factory.find(.counter, "sluice_tokens_total", dims(["type": "input"]))?.value == 12)
        #expect(factory.find(.counter, "sluice_tokens_total", dims(["type": "output"]))?.value == 34)
        let duration = try #require(factory.find(.timer, "sluice_request_duration", dims(["outcome": "success"])))
        #expect(duration.recorded == [900_000_000])
        #expect(factory.find(.timer, "sluice_rate_limit_wait", dims())?.recorded == [200_000_000])
        #expect(factory.find(.meter, "sluice_requests_in_flight", dims())?.value == 0)
        #expect(factory.find(.meter, "sluice_requests_waiting", dims(["wait": "rate_limit"]))?.value == 0)
        #expect(factory.find(.counter, "sluice_rate_limited_total", dims()) == nil)
        #expect(handler.trackedCallCount == 0)
    }

    @Test("dimensions come in the configured order, then the metric's own")
    func dimensionOrder() throws {
        handler().handle(AdapterEvents.success())
        let requests = try #require(factory.find(.counter, "sluice_requests_total", dims(["outcome": "success"])))
        #expect(requests.dimensions.map(\.0) == ["provider", "model", "key_id", "outcome"])
        #expect(requests.dimensions.map(\.1) == ["openai", "gpt-4o-mini", key, "success"])
    }

    @Test("the in-flight and waiting gauges count calls that have started and not ended")
    func gauges() {
        let handler = handler()
        let first = AdapterEvents.cancelWhileWaiting(call: 1)
        let second = AdapterEvents.cancelWhileWaiting(call: 2)
        handler.handle(Array(first.prefix(3)))
        handler.handle(Array(second.prefix(3)))
        #expect(factory.find(.meter, "sluice_requests_in_flight", dims())?.value == 2)
        #expect(factory.find(.meter, "sluice_requests_waiting", dims(["wait": "rate_limit"]))?.value == 2)
        #expect(handler.trackedCallCount == 2)

        // Cancelled in the queue: no wait-ended event comes, the gauges still drop.
        handler.handle(first[3])
        #expect(factory.find(.meter, "sluice_requests_in_flight", dims())?.value == 1)
        #expect(factory.find(.meter, "sluice_requests_waiting", dims(["wait": "rate_limit"]))?.value == 1)
        handler.handle(second[3])
        #expect(factory.find(.meter, "sluice_requests_in_flight", dims())?.value == 0)
        #expect(factory.find(.meter, "sluice_requests_waiting", dims(["wait": "rate_limit"]))?.value == 0)
        #expect(factory.find(.counter, "sluice_requests_total", dims(["outcome": "cancelled"]))?.value == 2)
        #expect(factory.find(.timer, "sluice_request_duration", dims(["outcome": "cancelled"])) == nil)
        #expect(handler.trackedCallCount == 0)
    }

    @Test("permit waits move the waiting gauge under their own dimension and record the wait")
    func permitWait() {
        handler().handle([
            AdapterEvents.event(.requestStarted, at: 0),
            AdapterEvents.event(.permitWaitStarted, at: 0),
            AdapterEvents.event(.permitWaitEnded, at: 30) { $0.waited = .milliseconds(30) },
            AdapterEvents.event(.requestSucceeded, at: 40) { $0.latency = .milliseconds(40) },
        ])
        #expect(factory.find(.meter, "sluice_requests_waiting", dims(["wait": "permit"]))?.value == 0)
        #expect(factory.find(.timer, "sluice_permit_wait", dims())?.recorded == [30_000_000])
    }

    @Test("a gauge goes down with the dimensions it went up with, even when the key became known in between")
    func gaugeKeepsItsDimensions() {
        let handler = handler()
        handler.handle([
            AdapterEvents.event(.requestStarted, at: 0, keyID: nil),
            AdapterEvents.event(.rateLimitWaitStarted, at: 0, keyID: nil) { $0.reason = "requests" },
        ])
        let noKey = dims(["key_id": "none"])
        #expect(factory.find(.meter, "sluice_requests_in_flight", noKey)?.value == 1)
        handler.handle([
            AdapterEvents.event(.rateLimitWaitEnded, at: 10) { $0.waited = .milliseconds(10) },
            AdapterEvents.event(.requestSucceeded, at: 20) { $0.latency = .milliseconds(20) },
        ])
        #expect(factory.find(.meter, "sluice_requests_in_flight", noKey)?.value == 0)
        #expect(
            factory.find(.meter, "sluice_requests_waiting", noKey.merging(["wait": "rate_limit"]) { $1 })?.value == 0)
        #expect(factory.find(.meter, "sluice_requests_in_flight", dims()) == nil)
        #expect(factory.find(.counter, "sluice_requests_total", dims(["outcome": "success"]))?.value == 1)
    }

    @Test("a retry after a 429 counts the 429, the retry with its reason, the cooldown and one success")
    func retry() {
        handler().handle(AdapterEvents.retryAfter429())
        #expect(factory.find(.counter, "sluice_rate_limited_total", dims())?.value == 1)
        #expect(factory.find(.counter, "sluice_retries_total", dims(["reason": "rate_limited"]))?.value == 1)
        #expect(factory.find(.counter, "sluice_cooldowns_total", dims())?.value == 1)
        #expect(factory.find(.counter, "sluice_requests_total", dims(["outcome": "success"]))?.value == 1)
        #expect(factory.find(.timer, "sluice_request_duration", dims(["outcome": "success"]))?.recorded == [2e9])
    }

    @Test("a timeout counts under its phase and the call as a failure with its error code")
    func timeout() {
        handler().handle(AdapterEvents.timeout())
        #expect(factory.find(.counter, "sluice_timeouts_total", dims(["phase": "first_token"]))?.value == 1)
        #expect(factory.find(.counter, "sluice_requests_total", dims(["outcome": "failure"]))?.value == 1)
        #expect(
            factory.find(.counter, "sluice_request_errors_total", dims(["error_code": "first_token_timeout"]))?.value
                == 1)
        #expect(factory.find(.timer, "sluice_request_duration", dims(["outcome": "failure"]))?.recorded == [5.3e9])
    }

    @Test("a stream records its time to first token; a stream that fails counts the tokens it reported")
    func streams() {
        handler().handle(AdapterEvents.stream() + AdapterEvents.streamThenError(call: 2))
        #expect(factory.find(.timer, "sluice_time_to_first_token", dims())?.recorded == [250_000_000, 200_000_000])
        #expect(factory.find(.counter, "sluice_requests_total", dims(["outcome": "success"]))?.value == 1)
        #expect(factory.find(.counter, "sluice_requests_total", dims(["outcome": "failure"]))?.value == 1)
        #expect(
            factory.find(.counter, "sluice_request_errors_total", dims(["error_code": "connection_closed"]))?.value
                == 1)
        #expect(factory.find(.counter, "sluice_tokens_total", dims(["type": "output"]))?.value == 35)
        #expect(factory.find(.meter, "sluice_requests_in_flight", dims())?.value == 0)
    }

    @Test("a removed key counts under its reason")
    func keyRemoved() {
        handler().handle(AdapterEvents.unauthorized())
        #expect(factory.find(.counter, "sluice_key_removals_total", dims(["reason": "unauthorized"]))?.value == 1)
    }

    @Test("a router's fallbacks count by deployment and class, its circuit transitions by deployment and state, its skips by deployment")
    func routing() {
        let handler = handler()
        handler.handle(AdapterEvents.event(.fallback, at: 10, keyID: nil) {
            $0.deployment = "primary"
            $0.reason = "server_error"
        })
        for kind in [ClientEvent.Kind.circuitOpened, .circuitHalfOpen, .circuitClosed, .circuitOpened, .circuitSkipped] {
            handler.handle(AdapterEvents.event(kind, at: 20, keyID: nil) { $0.deployment = "primary" })
        }
        func routed(_ extra: [String: String]) -> [String: String] { dims(extra.merging(["key_id": "none"]) { a, _ in a }) }
        #expect(
            factory.find(.counter, "sluice_fallbacks_total", routed(["deployment": "primary", "reason": "server_error"]))?
                .value == 1)
        let transitions = "sluice_circuit_transitions_total"
        #expect(factory.find(.counter, transitions, routed(["deployment": "primary", "state": "open"]))?.value == 2)
        #expect(factory.find(.counter, transitions, routed(["deployment": "primary", "state": "half_open"]))?.value == 1)
        #expect(factory.find(.counter, transitions, routed(["deployment": "primary", "state": "closed"]))?.value == 1)
        #expect(factory.find(.counter, "sluice_circuit_skips_total", routed(["deployment": "primary"]))?.value == 1)
    }

    @Test("a shed call counts under its queue, and the wait it was shed from ends")
    func loadShed() {
        let error = SluiceError(.loadShed, "the queue is full")
        handler().handle([
            AdapterEvents.event(.requestStarted, call: 1, at: 0),
            AdapterEvents.event(.rateLimitWaitStarted, call: 1, at: 0),
            AdapterEvents.event(.loadShed, call: 1, at: 10) {
                $0.reason = "rate_limit"
                $0.error = error
            },
            AdapterEvents.event(.requestFailed, call: 1, at: 10) { $0.error = error },
        ])
        #expect(factory.find(.counter, "sluice_load_shed_total", dims(["queue": "rate_limit"]))?.value == 1)
        #expect(factory.find(.counter, "sluice_request_errors_total", dims(["error_code": "load_shed"]))?.value == 1)
        #expect(factory.find(.meter, "sluice_requests_waiting", dims(["wait": "rate_limit"]))?.value == 0)
    }

    @Test("metric objects are made once per label and dimension set, not per event")
    func cached() {
        let handler = handler()
        for call in UInt64(1)...20 { handler.handle(AdapterEvents.success(call: call)) }
        #expect(factory.madeCount("sluice_requests_total") == 1)
        #expect(factory.madeCount("sluice_tokens_total") == 2)
        #expect(factory.madeCount("sluice_requests_in_flight") == 1)
        #expect(factory.find(.counter, "sluice_requests_total", dims(["outcome": "success"]))?.value == 20)

        handler.handle(AdapterEvents.success(call: 21, provider: .anthropic))
        #expect(factory.madeCount("sluice_requests_total") == 2)
        #expect(
            factory.find(.counter, "sluice_requests_total", dims(["outcome": "success"], provider: "anthropic"))?.value
                == 1)
    }

    @Test("the dimensions and prefix are configurable: dropping key_id keeps it off every metric")
    func configuredDimensions() {
        handler(.init(labelPrefix: "llm_", dimensions: [.provider, .operation])).handle(
            AdapterEvents.all.flatMap { $0 })
        let handlers = factory.handlers.map(\.handler).filter { !$0.label.hasPrefix("gen_ai.") }
        #expect(!handlers.isEmpty)
        #expect(handlers.allSatisfy { $0.label.hasPrefix("llm_") })
        #expect(handlers.allSatisfy { !$0.dimensions.contains { $0.0 == "key_id" || $0.0 == "model" } })
        #expect(
            factory.find(
                .counter, "llm_requests_total",
                ["provider": "openai", "operation": "stream_chat", "outcome": "success"])?.value == 1)
    }

    /// The GenAI dimensions every GenAI metric carries, plus `extra`.
    func genAI(_ extra: [String: String] = [:], operation: String = "chat") -> [String: String] {
        ["gen_ai.operation.name": operation, "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini"]
            .merging(extra) { _, new in new }
    }

    @Test("a call records the GenAI duration in seconds and its tokens by type, with the server and the response model")
    func genAIMetrics() throws {
        handler().handle(AdapterEvents.success())
        let served = genAI([
            "server.address": "api.openai.com", "server.port": "443", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        ])
        #expect(factory.find(.recorder, GenAIMetrics.operationDuration, served)?.recorded == [0.9])
        #expect(
            factory.find(.recorder, GenAIMetrics.tokenUsage, served.merging(["gen_ai.token.type": "input"]) { $1 })?
                .recorded == [12])
        #expect(
            factory.find(.recorder, GenAIMetrics.tokenUsage, served.merging(["gen_ai.token.type": "output"]) { $1 })?
                .recorded == [34])
        #expect(factory.handlers.filter { $0.handler.label.hasPrefix("gen_ai.") }.allSatisfy { $0.kind == .recorder })
        #expect(factory.handlers.allSatisfy { !$0.handler.label.hasPrefix("gen_ai.") || !$0.handler.dimensions.contains { $0.0 == "key_id" } })
    }

    @Test("a failed call's duration carries error.type; a stream records its time to first chunk; a cancelled call no duration")
    func genAIFailureAndStream() throws {
        let handler = handler()
        handler.handle(AdapterEvents.timeout())
        #expect(
            factory.find(
                .recorder, GenAIMetrics.operationDuration, genAI(["error.type": "first_token_timeout"]))?.recorded
                == [5.3])
        handler.handle(AdapterEvents.stream(call: 2))
        #expect(factory.find(.recorder, GenAIMetrics.timeToFirstChunk, genAI())?.recorded == [0.25])
        // Two text chunks, at 250 and 300 ms: one gap, the second chunk's.
        let gaps = factory.find(.recorder, GenAIMetrics.timePerOutputChunk, genAI())?.recorded ?? []
        #expect(gaps.count == 1)
        #expect(abs((gaps.first ?? 0) - 0.05) < 1e-9)
        #expect(handler.trackedCallCount == 0, "the chunk times end with the call")
        handler.handle(AdapterEvents.cancelWhileWaiting(call: 3))
        #expect(factory.find(.recorder, GenAIMetrics.operationDuration, genAI())?.recorded == [0.4], "the stream's only")
    }

    @Test("the GenAI metrics can be turned off")
    func genAIOff() {
        handler(.init(recordsGenAIMetrics: false)).handle(AdapterEvents.all.flatMap { $0 })
        #expect(!factory.handlers.isEmpty)
        #expect(factory.handlers.allSatisfy { !$0.handler.label.hasPrefix("gen_ai.") })
    }

    @Test("chunks of a call the handler never saw start make no metrics")
    func chunks() {
        handler().handle(AdapterEvents.event(.chunk, at: 0) { $0.text = "Hello" })
        #expect(factory.handlers.isEmpty)
    }
}
