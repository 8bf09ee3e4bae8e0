import Logging
import Testing

@testable import Sluice

@Suite("LoggingEventHandler")
struct LoggingEventHandlerTests {
    let recorder = AdapterLogRecorder()

    func handler(level: Logger.Level = .trace, _ configuration: LoggingEventHandler.Configuration = .init())
        -> LoggingEventHandler
    {
        LoggingEventHandler(logger: recorder.logger(level: level), configuration: configuration)
    }

    @Test("a successful call logs its lifecycle at debug with the call's metadata")
    func success() throws {
        handler().handle(AdapterEvents.success())
        let lines = recorder.lines
        #expect(
            lines.map(\.message) == [
                "request started", "waiting for rate budget", "rate budget granted", "attempt started", "response head",
                "usage settled", "request succeeded",
            ])
        #expect(lines.allSatisfy { $0.level == .debug })
        for line in lines {
            #expect(line.metadata["sluice.call_id"] == "1")
            #expect(line.metadata["sluice.provider"] == "openai")
            #expect(line.metadata["sluice.model"] == "gpt-4o-mini")
            #expect(line.metadata["sluice.operation"] == "chat")
            #expect(line.metadata["sluice.attempt"] == "1")
            #expect(line.metadata["sluice.key_id"] == .string(AdapterEvents.keyID.rawValue))
        }
        let wait = try #require(recorder.lines(.rateLimitWaitStarted).first)
        #expect(wait.metadata["sluice.reason"] == "tokens")
        #expect(wait.metadata["sluice.tokens"] == "500")
        #expect(wait.metadata["sluice.delay_ms"] == "200")
        #expect(recorder.lines(.rateLimitWaitEnded).first?.metadata["sluice.waited_ms"] == "200")
        let head = try #require(recorder.lines(.responseHead).first)
        #expect(head.metadata["sluice.status"] == "200")
        #expect(head.metadata["sluice.ratelimit.remaining_requests"] == "99")
        #expect(head.metadata["sluice.ratelimit.remaining_tokens"] == "9000")
        let done = try #require(recorder.lines(.requestSucceeded).first)
        #expect(done.metadata["sluice.latency_ms"] == "900")
        #expect(done.metadata["sluice.input_tokens"] == "12")
        #expect(done.metadata["sluice.output_tokens"] == "34")
        #expect(done.metadata["sluice.cached_input_tokens"] == "2")
        #expect(done.metadata["sluice.error_code"] == nil)
    }

    @Test("a retry after a 429 logs the cooldown and the retry at info, the rest at debug")
    func retry() throws {
        handler().handle(AdapterEvents.retryAfter429())
        let retry = try #require(recorder.lines(.retryScheduled).first)
        #expect(retry.level == .info)
        #expect(retry.message == "retry scheduled")
        #expect(retry.metadata["sluice.reason"] == "rate_limited")
        #expect(retry.metadata["sluice.delay_ms"] == "1500")
        #expect(retry.metadata["sluice.delay_source"] == "retry-after")
        #expect(recorder.lines(.cooldownStarted).first?.level == .info)
        #expect(recorder.lines(.cooldownEnded).first?.level == .debug)
        #expect(recorder.lines(.responseHead).map(\.metadata["sluice.status"]) == ["429", "200"])
        #expect(recorder.lines(.attemptStarted).map(\.metadata["sluice.attempt"]) == ["1", "2"])
        #expect(recorder.lines(.requestSucceeded).first?.metadata["sluice.attempt"] == "2")
    }

    @Test("a timeout logs at info with its phase, and the failure at info with the error code")
    func timeout() throws {
        handler().handle(AdapterEvents.timeout())
        let timeout = try #require(recorder.lines(.timeout).first)
        #expect(timeout.level == .info)
        #expect(timeout.metadata["sluice.phase"] == "first_token")
        let failed = try #require(recorder.lines(.requestFailed).first)
        #expect(failed.level == .info)
        #expect(failed.message == "request failed")
        #expect(failed.metadata["sluice.error_code"] == "first_token_timeout")
        #expect(failed.metadata["sluice.latency_ms"] == "5300")
        #expect(failed.metadata["sluice.operation"] == "stream_chat")
    }

    @Test("a provider error logs its status, type, code and request id; a removed key logs at warning")
    func providerError() throws {
        handler().handle(AdapterEvents.unauthorized())
        let failed = try #require(recorder.lines(.requestFailed).first)
        #expect(failed.metadata["sluice.status"] == "401")
        #expect(failed.metadata["sluice.error_code"] == "unauthorized")
        #expect(failed.metadata["sluice.provider_error_type"] == "authentication_error")
        #expect(failed.metadata["sluice.provider_error_code"] == "invalid_api_key")
        #expect(failed.metadata["sluice.request_id"] == "req_7")
        let removed = try #require(recorder.lines(.keyRemoved).first)
        #expect(removed.level == .warning)
        #expect(removed.metadata["sluice.reason"] == "unauthorized")
    }

    @Test("a cancelled call logs at the lifecycle level, not as a failure")
    func cancel() {
        handler().handle(AdapterEvents.cancelWhileWaiting())
        #expect(recorder.lines(.requestCancelled).map(\.level) == [.debug])
        #expect(recorder.lines.allSatisfy { $0.level == .debug })
    }

    @Test("chunks log at trace with their text; the first token at debug with its latency")
    func stream() throws {
        handler().handle(AdapterEvents.stream())
        let chunks = recorder.lines(.chunk)
        #expect(chunks.map(\.level) == [.trace, .trace])
        #expect(chunks.map(\.metadata["sluice.text"]) == ["Hello", " world"])
        let first = try #require(recorder.lines(.firstToken).first)
        #expect(first.level == .debug)
        #expect(first.metadata["sluice.latency_ms"] == "250")
        #expect(first.metadata["sluice.text"] == nil)
    }

    @Test("chunk text stays out when the configuration says so")
    func chunkTextOff() {
        handler(.init(includesChunkText: false)).handle(AdapterEvents.stream())
        #expect(recorder.lines(.chunk).count == 2)
        #expect(recorder.lines.allSatisfy { $0.metadata["sluice.text"] == nil })
    }

    @Test("a stream that fails mid-way logs the chunk, then the failure at info")
    func midStreamError() throws {
        handler().handle(AdapterEvents.streamThenError())
        #expect(recorder.lines.map(\.level) == [.debug, .debug, .debug, .debug, .trace, .info])
        let failed = try #require(recorder.lines(.requestFailed).first)
        #expect(failed.metadata["sluice.error_code"] == "connection_closed")
        #expect(failed.metadata["sluice.request_id"] == "req_42")
        #expect(failed.metadata["sluice.output_tokens"] == "1")
    }

    @Test("at debug no chunk is logged; at info no routine step is; at warning only what needs an operator")
    func filtered() {
        handler(level: .debug).handle(AdapterEvents.stream())
        #expect(recorder.lines(.chunk).isEmpty)
        #expect(recorder.lines.count == 5)

        let info = AdapterLogRecorder()
        let infoHandler = LoggingEventHandler(logger: info.logger(level: .info))
        for sequence in AdapterEvents.all { infoHandler.handle(sequence) }
        #expect(Set(info.lines.map(\.level)) == [.info, .warning])
        #expect(info.lines.allSatisfy { $0.metadata["sluice.text"] == nil })
        #expect(info.lines(.requestSucceeded).isEmpty && info.lines(.requestStarted).isEmpty)

        let warnings = AdapterLogRecorder()
        let warningHandler = LoggingEventHandler(logger: warnings.logger(level: .warning))
        for sequence in AdapterEvents.all { warningHandler.handle(sequence) }
        #expect(warnings.lines.map(\.message) == ["key removed from the pool"])
    }

    @Test("a shared store lost or fallen back from needs an operator; reconnecting does not")
    func storeEvents() {
        let kinds: [RateLimitStoreEvent.Kind] = [
            .connected, .connectionLost, .fallbackEntered, .reconnected, .fallbackLeft, .scriptReloaded,
        ]
        handler().handle(kinds.enumerated().map { index, kind in
            AdapterEvents.event(.rateLimitStore, at: Int64(index)) { $0.reason = kind.name }
        })
        #expect(recorder.lines.map(\.level) == [.debug, .warning, .warning, .info, .info, .debug])
    }

    @Test("a spent retry budget needs an operator")
    func retryBudget() {
        handler().handle([AdapterEvents.event(.retryBudgetExhausted, at: 0)])
        #expect(recorder.lines.map(\.level) == [.warning])
    }

    @Test("levels follow the configuration")
    func configuredLevels() {
        let configuration = LoggingEventHandler.Configuration(
            lifecycleLevel: .info, problemLevel: .notice, failureLevel: .warning, actionLevel: .critical)
        handler(configuration).handle(
            AdapterEvents.retryAfter429() + AdapterEvents.timeout(call: 2) + AdapterEvents.unauthorized(call: 3))
        #expect(recorder.lines(.keyRemoved).map(\.level) == [.critical])
        #expect(recorder.lines(.requestStarted).map(\.level) == [.info, .info, .info])
        #expect(recorder.lines(.retryScheduled).map(\.level) == [.notice])
        #expect(recorder.lines(.timeout).map(\.level) == [.notice])
        #expect(recorder.lines(.requestFailed).map(\.level) == [.warning, .warning])
    }

    @Test("the logger's own metadata is kept")
    func loggerMetadata() {
        var logger = recorder.logger(level: .debug)
        logger[metadataKey: "service"] = "billing"
        LoggingEventHandler(logger: logger).handle(AdapterEvents.success())
        #expect(recorder.lines.allSatisfy { $0.metadata["service"] == "billing" })
    }

    @Test("kinds added later log at the lifecycle level under their name")
    func unknownKind() {
        handler().handle(AdapterEvents.event(ClientEvent.Kind("cache_hit"), at: 0))
        #expect(recorder.lines.map(\.message) == ["cache hit"])
        #expect(recorder.lines.map(\.level) == [.debug])
    }

    @Test(
        "durations print as milliseconds with up to three decimals",
        arguments: [
            (Duration.milliseconds(1_500), "1500"), (.microseconds(12_500), "12.5"), (.zero, "0"),
            (.nanoseconds(1_234_567), "1.234"), (.seconds(2), "2000"), (.microseconds(50), "0.05"),
        ])
    func milliseconds(_ duration: Duration, _ text: String) {
        #expect(LoggingEventHandler.milliseconds(duration) == text)
    }
}
