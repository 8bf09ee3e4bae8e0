import Logging
import Sluice
import SluiceTesting
import Synchronization
import Testing

/// Collects log lines in memory, for the redaction check.
private final class CapturedLines: Sendable {
    let lines = Mutex<[String]>([])
}

private struct CapturingLogHandler: LogHandler {
    let captured: CapturedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line = "\(event.level) \(event.message) \(event.metadata ?? [:])"
        captured.lines.withLock { $0.append(line) }
    }
}

/// The events each scenario produces, in order, from every layer of the stack.
@Suite("Event sequences")
struct EventSequenceTests {
    static let canary = "sk-REDACTION-CANARY-7f3a"

    static let completion = Array(
        #"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}"#.utf8)

    static func stream(words: [String], error: Bool = false) -> [UInt8] {
        var text = ""
        for word in words {
            text += #"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"\#(word)"},"finish_reason":null}]}"# + "\n\n"
        }
        if error {
            text += #"data: {"error":{"message":"boom","type":"server_error","code":null}}"# + "\n\n"
        } else {
            text += #"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}"# + "\n\ndata: [DONE]\n\n"
        }
        return Array(text.utf8)
    }

    fileprivate static func client(
        _ recorder: EventRecorder,
        logLines: CapturedLines? = nil,
        clock: any SluiceClock = SystemClock.shared,
        _ handler: @escaping InMemoryTransport.Handler
    ) -> LLMClient {
        var configuration = LLMClient.Configuration.openAI(apiKey: canary, baseURL: "http://127.0.0.1:1/v1")
        configuration.clock = clock
        configuration.eventHandlers = [recorder]
        if let logLines {
            let logger = Logger(label: "test") { _ in CapturingLogHandler(captured: logLines) }
            configuration.eventHandlers.append(LoggingEventHandler(logger: logger))
        }
        configuration.limit(RateLimits(requestsPerMinute: 100_000, tokensPerMinute: 10_000_000))
        configuration.concurrency = ConcurrencyLimits(maxConcurrentRequests: 8)
        return LLMClient(configuration, transport: InMemoryTransport(handler))
    }

    static let request = ChatRequest(model: "gpt-4o-mini", messages: [.user("hello")], maxOutputTokens: 16)

    @Test("a successful call: started, attempt, head, usage settled, succeeded with usage")
    func success() async throws {
        let recorder = EventRecorder()
        let client = Self.client(recorder) { _ in ClientResponse(status: 200, body: ResponseBody(bytes: Self.completion)) }
        _ = try await client.chat(Self.request)
        #expect(recorder.events.map(\.kind) == [.requestStarted, .attemptStarted, .responseHead, .usageSettled, .requestSucceeded])
        let done = try #require(recorder.events.last)
        #expect(done.usage == Usage(inputTokens: 10, outputTokens: 5))
        #expect(done.keyID == KeyID(apiKey: Self.canary))
        #expect(recorder.events(ofKind: .responseHead).first?.status == 200)
        #expect(Set(recorder.events.map(\.callID)).count == 1)
    }

    @Test("a 429 with retry-after-ms: head 429, cooldown, retry scheduled from the header, second attempt succeeds")
    func retryAfter429() async throws {
        let recorder = EventRecorder()
        let calls = Mutex(0)
        let clock = TestClock()
        let client = Self.client(recorder, clock: clock) { _ in
            let first = calls.withLock { count in
                count += 1
                return count == 1
            }
            if first {
                return ClientResponse(
                    status: 429, headers: ["retry-after-ms": "20"],
                    body: ResponseBody(bytes: Array(#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#.utf8)))
            }
            return ClientResponse(status: 200, body: ResponseBody(bytes: Self.completion))
        }
        let call = Task { try await client.chat(Self.request) }
        // The retry sleeps 20 ms on the test clock (and the key's cooldown holds the limiter as long;
        // its end is reported from a timer of its own, so it may come anywhere after the retry).
        await clock.waitForSleepers(2)
        clock.advance(by: .milliseconds(20))
        _ = try await call.value
        for _ in 0..<1_000 where recorder.events(ofKind: .cooldownEnded).isEmpty { await Task.yield() }
        #expect(recorder.events(ofKind: .cooldownEnded).count == 1)
        #expect(recorder.events.map(\.kind).filter { $0 != .cooldownEnded } == [
            .requestStarted, .attemptStarted, .responseHead, .cooldownStarted, .retryScheduled,
            .attemptStarted, .responseHead, .usageSettled, .requestSucceeded,
        ])
        let retry = try #require(recorder.events(ofKind: .retryScheduled).first)
        #expect(retry.delaySource == "retry-after-ms")
        #expect(retry.reason == "status_429")
        #expect(recorder.events(ofKind: .attemptStarted).map(\.attempt) == [1, 2])
    }

    @Test("a call whose deadline has already passed: started, timeout (total), failed")
    func timeout() async throws {
        let recorder = EventRecorder()
        let client = Self.client(recorder) { _ in ClientResponse(status: 200, body: ResponseBody(bytes: Self.completion)) }
        var options = CallOptions()
        options.timeouts = TimeoutPolicy(total: .zero)
        await #expect(throws: SluiceError.self) { try await client.chat(Self.request, options: options) }
        #expect(recorder.events.map(\.kind) == [.requestStarted, .timeout, .requestFailed])
        #expect(recorder.events(ofKind: .timeout).first?.phase == "total")
        #expect(recorder.events.last?.error?.code == .deadlineExceeded)
    }

    @Test("a cancelled call: started, attempt, cancelled")
    func cancelled() async throws {
        let recorder = EventRecorder()
        let (sent, signalSent) = AsyncStream.makeStream(of: Void.self)
        let client = Self.client(recorder) { _ in
            signalSent.yield()
            try await Task.sleep(for: .seconds(3600))
            return ClientResponse(status: 200)
        }
        let call = Task { try await client.chat(Self.request) }
        for await _ in sent { break }
        call.cancel()
        await #expect(throws: SluiceError.self) { _ = try await call.value }
        #expect(recorder.events.map(\.kind) == [.requestStarted, .attemptStarted, .requestCancelled])
    }

    @Test("a stream: head, first token, a chunk per delta, usage settled, succeeded with the final usage")
    func stream() async throws {
        let recorder = EventRecorder()
        let client = Self.client(recorder) { _ in
            ClientResponse(status: 200, body: ResponseBody(bytes: Self.stream(words: ["a", "b", "c"])))
        }
        _ = try await client.streamChat(Self.request)
        #expect(recorder.events.map(\.kind) == [
            .requestStarted, .attemptStarted, .responseHead, .firstToken, .chunk, .chunk, .chunk,
            .usageSettled, .requestSucceeded,
        ])
        #expect(recorder.events(ofKind: .chunk).compactMap(\.text) == ["a", "b", "c"])
        #expect(recorder.events.last?.usage == Usage(inputTokens: 4, outputTokens: 2))
    }

    @Test("an error mid-stream: the chunks that arrived, then failed with stream_error")
    func midStreamError() async throws {
        let recorder = EventRecorder()
        let client = Self.client(recorder) { _ in
            ClientResponse(status: 200, body: ResponseBody(bytes: Self.stream(words: ["a", "b"], error: true)))
        }
        await #expect(throws: SluiceError.self) { _ = try await client.streamChat(Self.request) }
        let kinds = recorder.events.map(\.kind)
        #expect(kinds.prefix(6) == [.requestStarted, .attemptStarted, .responseHead, .firstToken, .chunk, .chunk])
        #expect(kinds.last == .requestFailed)
        #expect(recorder.events.last?.error?.code == .streamError)
    }

    @Test("call-level events name the pool key that served the call, like its attempt events")
    func poolKeyOnCallEvents() async throws {
        let recorder = EventRecorder()
        var configuration = LLMClient.Configuration.openAI(apiKey: Self.canary, baseURL: "http://127.0.0.1:1/v1")
        configuration.eventHandlers = [recorder]
        configuration.rateLimits = RateLimitMiddleware.Configuration(
            keys: [
                APIKey(Self.canary, label: "first", limits: RateLimits(requestsPerMinute: 1, requestBurst: 1)),
                APIKey(Self.canary + "-2", label: "second", limits: RateLimits(requestsPerMinute: 600)),
            ],
            safetyMargin: .none)
        let client = LLMClient(configuration, transport: InMemoryTransport { _ in
            ClientResponse(status: 200, body: ResponseBody(bytes: Self.completion))
        })
        _ = try await client.chat(Self.request)
        _ = try await client.chat(Self.request)
        for call in recorder.callIDs {
            let events = recorder.events(forCall: call)
            let served = try #require(events.first { $0.kind == .responseHead }?.keyID)
            #expect(events.last?.kind == .requestSucceeded)
            #expect(events.last?.keyID == served)
        }
        #expect(Set(recorder.events(ofKind: .requestSucceeded).compactMap(\.keyID)) == [KeyID(rawValue: "first"), KeyID(rawValue: "second")])
    }

    @Test("the key's text appears in no event, log line or error, in any scenario")
    func redaction() async throws {
        let recorder = EventRecorder()
        let lines = CapturedLines()
        let errors = Mutex<[String]>([])
        let calls = Mutex(0)
        let client = Self.client(recorder, logLines: lines) { request in
            let n = calls.withLock { count in
                count += 1
                return count
            }
            switch n % 4 {
            case 0: return ClientResponse(status: 401, body: ResponseBody(bytes: Array(#"{"error":{"message":"Incorrect API key provided: \#(Self.canary)","type":"invalid_request_error","code":"invalid_api_key"}}"#.utf8)))
            case 1: return ClientResponse(status: 200, body: ResponseBody(bytes: Self.completion))
            case 2: return ClientResponse(status: 200, body: ResponseBody(bytes: Self.stream(words: ["x"], error: true)))
            default: return ClientResponse(status: 500, body: ResponseBody(bytes: Array("oops \(Self.canary)".utf8)))
            }
        }
        for index in 0..<8 {
            do {
                if index % 2 == 0 { _ = try await client.chat(Self.request) } else { _ = try await client.streamChat(Self.request) }
            } catch {
                errors.withLock { $0.append(String(reflecting: error)) }
            }
        }
        let texts = recorder.events.map { "\($0) \(String(reflecting: $0.error as Any))" } + lines.lines.withLock { $0 } + errors.withLock { $0 }
        #expect(!texts.isEmpty)
        let leaks = texts.filter { $0.contains("REDACTION-CANARY") }
        #expect(leaks.isEmpty, "\(leaks.count) texts contain the key")
    }
}
