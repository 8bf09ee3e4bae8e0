import Testing
import Tracing

@testable import Sluice

@Suite("TracingEventHandler")
struct TracingEventHandlerTests {
    let tracer = AdapterTestTracer()

    func handler() -> TracingEventHandler { TracingEventHandler(tracer: tracer) }

    func callSpan() throws -> AdapterTestSpan {
        try #require(tracer.started.first { $0.operationName != "sluice.attempt" })
    }

    func attemptSpans() -> [AdapterTestSpan] { tracer.started.filter { $0.operationName == "sluice.attempt" } }

    @Test("a call is one client span with the GenAI attributes, its attempt a child span; both end once")
    func success() throws {
        let handler = handler()
        handler.handle(AdapterEvents.success())
        #expect(tracer.started.count == 2)
        let call = try callSpan()
        #expect(call.operationName == "chat gpt-4o-mini")
        #expect(call.kind == .client)
        #expect(call.parentID == nil)
        #expect(call.attributes.get("gen_ai.provider.name") == .string("openai"))
        #expect(call.attributes.get("gen_ai.system") == nil)
        #expect(call.attributes.get("gen_ai.operation.name") == .string("chat"))
        #expect(call.attributes.get("gen_ai.request.model") == .string("gpt-4o-mini"))
        #expect(call.attributes.get("server.address") == .string("api.openai.com"))
        #expect(call.attributes.get("server.port") == .int64(443))
        #expect(call.attributes.get("gen_ai.request.max_tokens") == .int64(100))
        #expect(call.attributes.get("gen_ai.request.temperature") == .double(0.5))
        #expect(call.attributes.get("gen_ai.request.stop_sequences") == .stringArray(["END"]))
        #expect(call.attributes.get("gen_ai.request.top_p") == nil)
        #expect(call.attributes.get("gen_ai.response.id") == .string("chatcmpl-1"))
        #expect(call.attributes.get("gen_ai.response.model") == .string("gpt-4o-mini-2024-07-18"))
        #expect(call.attributes.get("gen_ai.response.finish_reasons") == .stringArray(["stop"]))
        #expect(call.attributes.get("gen_ai.usage.input_tokens") == .int64(12))
        #expect(call.attributes.get("gen_ai.usage.output_tokens") == .int64(34))
        #expect(call.attributes.get("sluice.key_id") == .string(AdapterEvents.keyID.rawValue))
        #expect(call.attributes.get("sluice.call_id") == .string("1"))
        #expect(call.attributes.get("sluice.outcome") == .string("success"))
        #expect(call.attributes.get("sluice.attempts") == .int64(1))
        #expect(call.attributes.get("error.type") == nil)
        #expect(call.status == nil)
        #expect(call.endCount == 1)
        // Span times follow the events' clock: 900 ms from start to end.
        #expect(call.end.map { $0 - call.start } == 900_000_000)

        let attempt = try #require(attemptSpans().first)
        #expect(attempt.parentID == call.id)
        #expect(attempt.kind == .internal)
        #expect(attempt.attributes.get("sluice.attempt") == .int64(1))
        #expect(attempt.attributes.get("http.response.status_code") == .int64(200))
        #expect(attempt.endCount == 1)
        #expect(attempt.start - call.start == 200_000_000)
        #expect(attempt.end == call.end)

        #expect(
            call.events.map(\.name) == [
                "sluice.rate_limit_wait.started", "sluice.rate_limit_wait.ended", "sluice.usage_settled",
            ])
        #expect(call.events[0].attributes.get("sluice.reason") == .string("tokens"))
        #expect(call.events[0].attributes.get("sluice.tokens") == .int64(500))
        #expect(call.events[0].attributes.get("sluice.delay_ms") == .double(200))
        #expect(call.events[1].attributes.get("sluice.waited_ms") == .double(200))
        #expect(call.events[2].attributes.get("gen_ai.usage.output_tokens") == .int64(34))
        #expect(handler.openCallCount == 0)
    }

    @Test("the call span's parent is the task's service context when the call began")
    func parent() throws {
        let handler = handler()
        ServiceContext.withValue(AdapterTestTracer.context(spanID: 7)) {
            handler.handle(AdapterEvents.success()[0])
        }
        handler.handle(Array(AdapterEvents.success().dropFirst()))
        let call = try callSpan()
        #expect(call.parentID == 7)
        #expect(attemptSpans().first?.parentID == call.id)
    }

    @Test("a retry after a 429 makes two attempt spans; the first ends at the retry and carries the 429")
    func retry() throws {
        let handler = handler()
        handler.handle(AdapterEvents.retryAfter429())
        let call = try callSpan()
        let attempts = attemptSpans()
        #expect(attempts.count == 2)
        #expect(attempts.map(\.parentID) == [call.id, call.id])
        #expect(attempts.map { $0.attributes.get("sluice.attempt") } == [.int64(1), .int64(2)])
        #expect(attempts[0].attributes.get("http.response.status_code") == .int64(429))
        #expect(attempts[0].attributes.get("error.type") == .string("429"))
        #expect(attempts[0].status?.code == .error)
        #expect(attempts[0].end.map { $0 - call.start } == 100_000_000)
        #expect(attempts[1].attributes.get("http.response.status_code") == .int64(200))
        #expect(attempts[1].status == nil)
        #expect(attempts[1].start - call.start == 1_600_000_000)
        #expect(attempts.map(\.endCount) == [1, 1])
        #expect(call.endCount == 1)
        #expect(call.attributes.get("sluice.attempts") == .int64(2))
        #expect(call.status == nil)

        #expect(
            call.events.map(\.name) == ["sluice.cooldown.started", "sluice.retry_scheduled", "sluice.cooldown.ended"])
        let retry = call.events[1]
        #expect(retry.attributes.get("sluice.reason") == .string("rate_limited"))
        #expect(retry.attributes.get("sluice.delay_ms") == .double(1_500))
        #expect(retry.attributes.get("sluice.delay_source") == .string("retry-after"))
        #expect(handler.openCallCount == 0)
    }

    @Test("a timeout is an event on the call and the attempt; the failure sets error.type and the error status")
    func timeout() throws {
        let handler = handler()
        handler.handle(AdapterEvents.timeout())
        let call = try callSpan()
        let attempt = try #require(attemptSpans().first)
        #expect(call.events.map(\.name) == ["sluice.timeout"])
        #expect(attempt.events.map(\.name) == ["sluice.timeout"])
        #expect(call.events.first?.attributes.get("sluice.phase") == .string("first_token"))
        #expect(call.attributes.get("gen_ai.operation.name") == .string("chat"))
        #expect(call.attributes.get("error.type") == .string("first_token_timeout"))
        #expect(call.attributes.get("sluice.outcome") == .string("failure"))
        #expect(call.status?.code == .error)
        #expect(call.errors.count == 1)
        #expect(call.endCount == 1)
        #expect(attempt.endCount == 1)
        #expect(handler.openCallCount == 0)
    }

    @Test("a provider error puts its status on the call span")
    func providerError() throws {
        handler().handle(AdapterEvents.unauthorized())
        let call = try callSpan()
        #expect(call.attributes.get("error.type") == .string("unauthorized"))
        #expect(call.attributes.get("http.response.status_code") == .int64(401))
        #expect(call.attributes.get("sluice.error.provider_type") == .string("authentication_error"))
        #expect(call.events.map(\.name) == ["sluice.key_removed"])
    }

    @Test("a cancelled call ends its spans once, without an error status")
    func cancel() throws {
        let handler = handler()
        handler.handle(AdapterEvents.cancelWhileWaiting())
        let call = try callSpan()
        #expect(call.attributes.get("sluice.outcome") == .string("cancelled"))
        #expect(call.status == nil)
        #expect(call.endCount == 1)
        #expect(attemptSpans().map(\.endCount) == [1])
        #expect(handler.openCallCount == 0)
    }

    @Test("a stream records its first token as an event and no chunk")
    func stream() throws {
        handler().handle(AdapterEvents.stream())
        let call = try callSpan()
        #expect(call.operationName == "chat gpt-4o-mini")
        #expect(call.events.map(\.name) == ["sluice.first_token"])
        #expect(call.events.first?.attributes.get("sluice.latency_ms") == .double(250))
        #expect(call.attributes.get("sluice.outcome") == .string("success"))
    }

    @Test("a stream that fails mid-way reports the partial reply's model, finish reason and usage")
    func midStreamError() throws {
        handler().handle(AdapterEvents.streamThenError())
        let call = try callSpan()
        #expect(call.attributes.get("error.type") == .string("connection_closed"))
        #expect(call.attributes.get("gen_ai.response.model") == .string("gpt-4o-mini-2024-07-18"))
        #expect(call.attributes.get("gen_ai.response.finish_reasons") == .stringArray(["error"]))
        #expect(call.attributes.get("gen_ai.usage.output_tokens") == .int64(1))
        #expect(call.endCount == 1)
    }

    @Test("embeddings and Anthropic calls use their GenAI names")
    func names() throws {
        handler().handle([
            AdapterEvents.event(.requestStarted, at: 0, provider: .anthropic, operation: .embeddings),
            AdapterEvents.event(.requestSucceeded, at: 5, provider: .anthropic, operation: .embeddings),
        ])
        let call = try callSpan()
        #expect(call.operationName == "embeddings gpt-4o-mini")
        #expect(call.attributes.get("gen_ai.provider.name") == .string("anthropic"))
        #expect(call.attributes.get("gen_ai.operation.name") == .string("embeddings"))
    }

    @Test("an attempt's request carries the attempt span's context; before the attempt, the call span's")
    func injectsTraceContext() throws {
        let handler = handler()
        let events = AdapterEvents.success()
        var headers = HTTPHeaders()
        handler.injectTraceContext(callID: 1, into: &headers)
        #expect(headers.isEmpty, "no span yet")
        handler.handle(Array(events.prefix(3)))  // started, waiting
        handler.injectTraceContext(callID: 1, into: &headers)
        let call = try callSpan()
        #expect(headers.values(for: "traceparent") == ["span-\(call.id)"])
        handler.handle(events[3])  // attempt started
        handler.injectTraceContext(callID: 1, into: &headers)
        let attempt = try #require(attemptSpans().first)
        #expect(headers.values(for: "traceparent") == ["span-\(attempt.id)"], "replaced, not added")
        handler.handle(Array(events.dropFirst(4)))
        var after = HTTPHeaders()
        handler.injectTraceContext(callID: 1, into: &after)
        #expect(after.isEmpty, "the call has ended")
    }

    @Test("a header the instrument makes with a line break is left out")
    func injectedLineBreak() {
        tracer.extraInjected.withLock {
            $0 = [("tracestate", "a=1\r\nx-evil: 1"), ("x-bad\nname", "v"), ("baggage", "k=v")]
        }
        let handler = handler()
        handler.handle(AdapterEvents.event(.requestStarted, at: 0))
        var headers = HTTPHeaders()
        handler.injectTraceContext(callID: 1, into: &headers)
        #expect(headers.map(\.name).sorted() == ["baggage", "traceparent"])
    }

    @Test("interleaved calls keep their own spans; events of unknown or finished calls are ignored")
    func interleaved() throws {
        let handler = handler()
        let first = AdapterEvents.retryAfter429(call: 1)
        let second = AdapterEvents.success(call: 2)
        for index in 0..<max(first.count, second.count) {
            if index < first.count { handler.handle(first[index]) }
            if index < second.count { handler.handle(second[index]) }
        }
        handler.handle(AdapterEvents.event(.timeout, call: 3, at: 0) { $0.phase = "attempt" })
        handler.handle(AdapterEvents.event(.requestFailed, call: 3, at: 0))
        handler.handle(AdapterEvents.event(.usageSettled, call: 1, at: 9_000))
        let calls = tracer.started.filter { $0.operationName != "sluice.attempt" }
        #expect(calls.count == 2)
        #expect(tracer.started.count == 5)
        for span in tracer.started { #expect(span.endCount == 1) }
        let attemptParents = attemptSpans().map(\.parentID)
        #expect(attemptParents.filter { $0 == calls[0].id }.count == 2)
        #expect(attemptParents.filter { $0 == calls[1].id }.count == 1)
        #expect(handler.openCallCount == 0)
    }
}
