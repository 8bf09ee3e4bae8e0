@testable import Sluice
import SluiceTesting
import Synchronization
import Testing

/// A transport that answers attempts from a script, in order, recording each attempt's context.
final class ScriptedAttempts: Sendable {
    enum Step: Sendable {
        case answer(Int, HTTPHeaders, [UInt8])
        case body(Int, ResponseBody)
        case fail(SluiceError)
    }

    private let steps: Synchronization.Mutex<ArraySlice<Step>>
    private let seen = Synchronization.Mutex<[Int]>([])
    let terminations = BodyTerminations()

    init(_ steps: [Step]) { self.steps = Synchronization.Mutex(steps[...]) }

    /// The `attempt` of each request sent, in order.
    var attempts: [Int] { seen.withLock { $0 } }

    @Sendable func send(_ request: ClientRequest, _ context: ClientContext) async throws -> ClientResponse {
        seen.withLock { $0.append(context.attempt) }
        guard let step = steps.withLock({ $0.popFirst() }) else { return ClientResponse(status: 200) }
        switch step {
        case .answer(let status, let headers, let bytes):
            let body = ResponseBody(bytes: bytes)
            body.onTermination(terminations.record)
            return ClientResponse(status: status, headers: headers, body: body)
        case .body(let status, let body):
            body.onTermination(terminations.record)
            return ClientResponse(status: status, body: body)
        case .fail(let error):
            throw error
        }
    }
}

@Suite("RetryMiddleware")
struct RetryMiddlewareTests {
    /// A retry layer whose backoff is zero (full jitter drawing 0), so tests need not move the clock.
    static func immediate(
        _ policy: RetryPolicy = .default, budget: RetryBudget? = nil, clock: TestClock = TestClock()
    ) -> RetryMiddleware {
        RetryMiddleware(policy: policy, budget: budget, clock: clock, random: { 0 })
    }

    static let wall: @Sendable () -> Duration = { .seconds(784_111_777) }  // Sun, 06 Nov 1994 08:49:37 GMT

    static func observing(
        _ policy: RetryPolicy = .default, clock: TestClock, random: @escaping @Sendable () -> Double = { 0 },
        events: EventLog? = nil
    ) -> RetryMiddleware {
        RetryMiddleware(
            policy: policy, budget: nil, clock: clock, random: random, bufferLimit: 1 << 20, wallClock: wall,
            observer: { event in events?.append(event) })
    }

    @Test("retries the SDKs' retryable statuses and returns the answer that succeeds", arguments: [408, 409, 429, 500, 502, 503, 504, 529])
    func retriesStatus(status: Int) async throws {
        let script = ScriptedAttempts([.answer(status, [:], []), .answer(200, [:], Array("ok".utf8))])
        let response = try await TestCalls.send(Self.immediate(), transport: script.send)
        #expect(response.status == 200)
        #expect(try await response.body.collect(upTo: 100) == Array("ok".utf8))
        #expect(script.attempts == [1, 2])
    }

    @Test("returns other statuses at once, body untouched, for the client to turn into its typed error", arguments: [400, 401, 403, 404, 422, 501])
    func doesNotRetryStatus(status: Int) async throws {
        let script = ScriptedAttempts([.answer(status, [:], Array("{\"error\":{}}".utf8))])
        let response = try await TestCalls.send(Self.immediate(), transport: script.send)
        #expect(response.status == status)
        #expect(try await response.body.collect(upTo: 100) == Array("{\"error\":{}}".utf8))
        #expect(script.attempts == [1])
    }

    @Test("does not retry a 429 insufficient_quota, and returns its body intact")
    func insufficientQuota() async throws {
        let body = Array(#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#.utf8)
        let script = ScriptedAttempts([.answer(429, [:], body)])
        let response = try await TestCalls.send(Self.immediate(), transport: script.send)
        #expect(response.status == 429)
        #expect(try await response.body.collect(upTo: 1 << 16) == body)
        #expect(script.attempts == [1])
    }

    @Test("x-should-retry: false stops a retryable status; true retries a status that is not")
    func shouldRetryHeader() async throws {
        let refused = ScriptedAttempts([.answer(503, ["x-should-retry": "false"], [])])
        #expect(try await TestCalls.send(Self.immediate(), transport: refused.send).status == 503)
        #expect(refused.attempts == [1])

        let forced = ScriptedAttempts([.answer(400, ["x-should-retry": "true"], []), .answer(200, [:], [])])
        #expect(try await TestCalls.send(Self.immediate(), transport: forced.send).status == 200)
        #expect(forced.attempts == [1, 2])
    }

    @Test("after maxAttempts returns the last answer; the retried answers' bodies were discarded")
    func maxAttempts() async throws {
        let script = ScriptedAttempts([
            .answer(503, [:], [1]), .answer(503, [:], [2]), .answer(503, [:], [3]), .answer(200, [:], []),
        ])
        let response = try await TestCalls.send(Self.immediate(), transport: script.send)
        #expect(response.status == 503)
        #expect(script.attempts == [1, 2, 3])
        #expect(script.terminations.all == ["discarded", "discarded"])
        #expect(try await response.body.collect(upTo: 10) == [3])
    }

    @Test("retries connection refused, reset and transport timeouts; rethrows the last error unchanged")
    func retriesErrors() async throws {
        let script = ScriptedAttempts([
            .fail(SluiceError(.connectionRefused, "refused")), .fail(SluiceError(.timeout, "connect timeout")),
            .answer(200, [:], []),
        ])
        #expect(try await TestCalls.send(Self.immediate(), transport: script.send).status == 200)
        #expect(script.attempts == [1, 2, 3])

        let failing = ScriptedAttempts(Array(repeating: .fail(SluiceError(.connectionClosed, "reset")), count: 4))
        let error = await #expect(throws: SluiceError.self) {
            try await TestCalls.send(Self.immediate(), transport: failing.send)
        }
        #expect(error?.code == .connectionClosed)
        #expect(failing.attempts == [1, 2, 3])
    }

    @Test("does not retry errors outside the policy, such as a DNS failure")
    func doesNotRetryOtherErrors() async throws {
        let script = ScriptedAttempts([.fail(SluiceError(.dnsFailure, "no such host")), .answer(200, [:], [])])
        let error = await #expect(throws: SluiceError.self) {
            try await TestCalls.send(Self.immediate(), transport: script.send)
        }
        #expect(error?.code == .dnsFailure)
        #expect(script.attempts == [1])
    }

    @Test("a stream is returned at its head: a failure after it is never retried")
    func streamsNotRetriedAfterHead() async throws {
        let source = ControlledSource()
        let script = ScriptedAttempts([.body(200, ResponseBody(source: source)), .answer(200, [:], [])])
        let response = try await TestCalls.send(Self.immediate(), .streamChat, transport: script.send)
        source.send([1])
        source.fail(SluiceError(.idleTimeout, "stalled"))
        let error = await #expect(throws: SluiceError.self) { try await TestCalls.read(response.body) }
        #expect(error?.code == .idleTimeout)
        #expect(script.attempts == [1])
    }

    @Test("a non-streaming body that fails before the caller sees it is retried")
    func nonStreamingBodyRetried() async throws {
        let source = ControlledSource()
        source.send([1])
        source.fail(SluiceError(.connectionClosed, "reset mid-body"))
        let script = ScriptedAttempts([.body(200, ResponseBody(source: source)), .answer(200, [:], [9])])
        let response = try await TestCalls.send(Self.immediate(), .chat, transport: script.send)
        #expect(try await response.body.collect(upTo: 10) == [9])
        #expect(script.attempts == [1, 2])
    }

    @Test("a call's options.retryPolicy replaces the layer's")
    func perCallPolicy() async throws {
        var options = CallOptions()
        options.retryPolicy = .disabled
        let script = ScriptedAttempts([.answer(503, [:], []), .answer(200, [:], [])])
        let response = try await TestCalls.send(
            Self.immediate(), context: TestCalls.context(options: options), transport: script.send)
        #expect(response.status == 503)
        #expect(script.attempts == [1])
    }

    // MARK: Delays

    /// Sends through `middleware`, waits for its backoff sleep, returns when it would wake, then lets it.
    static func delay(_ headers: HTTPHeaders, status: Int = 429, random: Double = 0) async throws -> Duration? {
        let clock = TestClock()
        let script = ScriptedAttempts([.answer(status, headers, []), .answer(200, [:], [])])
        let middleware = observing(clock: clock, random: { random })
        let call = Task { try await TestCalls.send(middleware, transport: script.send) }
        await clock.waitForSleepers(1)
        let wake = clock.nextDeadline
        clock.advance(by: wake ?? .zero)
        #expect(try await call.value.status == 200)
        return wake
    }

    @Test("retry-after-ms comes first, then retry-after in seconds")
    func serverDelayPrecedence() async throws {
        #expect(try await Self.delay(["retry-after-ms": "1500", "retry-after": "9"]) == .milliseconds(1500))
        #expect(try await Self.delay(["retry-after": "2"]) == .seconds(2))
        #expect(try await Self.delay(["retry-after": "2", "x-ratelimit-reset-requests": "7s"]) == .seconds(2))
    }

    @Test("retry-after as an HTTP date counts from the answer's date header")
    func retryAfterDate() async throws {
        let headers: HTTPHeaders = [
            "date": "Wed, 21 Oct 2015 07:28:00 GMT", "retry-after": "Wed, 21 Oct 2015 07:28:03 GMT",
        ]
        #expect(try await Self.delay(headers) == .seconds(3))
    }

    @Test("a 429 without retry-after waits for OpenAI's reset of the exhausted limit")
    func openAIReset() async throws {
        let headers: HTTPHeaders = [
            "x-ratelimit-remaining-requests": "99", "x-ratelimit-reset-requests": "1s",
            "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6.5s",
        ]
        #expect(try await Self.delay(headers) == .milliseconds(6500))
    }

    @Test("a 429 without retry-after waits for Anthropic's RFC 3339 reset, relative to the date header")
    func anthropicReset() async throws {
        let headers: HTTPHeaders = [
            "date": "Wed, 21 Oct 2015 07:28:00 GMT",
            "anthropic-ratelimit-input-tokens-remaining": "0",
            "anthropic-ratelimit-input-tokens-reset": "2015-10-21T07:28:12Z",
            "anthropic-ratelimit-requests-remaining": "40",
            "anthropic-ratelimit-requests-reset": "2015-10-21T07:28:01Z",
        ]
        #expect(try await Self.delay(headers) == .seconds(12))
    }

    @Test("reset headers are only read on a 429; other statuses back off")
    func resetOnlyFor429() async throws {
        #expect(try await Self.delay(["x-ratelimit-reset-requests": "7s"], status: 503, random: 0.5) == .milliseconds(250))
    }

    @Test("without server hints the backoff is the jittered exponential base")
    func backoffUsesJitter() async throws {
        // Full jitter: random 0.5 of the first base (0.5 s).
        #expect(try await Self.delay([:], status: 503, random: 0.5) == .milliseconds(250))
    }

    @Test("a server-directed delay above maxServerDelay is clamped to it")
    func serverDelayCap() async throws {
        #expect(try await Self.delay(["retry-after": "120"], status: 503) == .seconds(60))
        #expect(try await Self.delay(["retry-after-ms": "86400000"], status: 503) == .seconds(60))
    }

    @Test(
        "absurd server delays never trap: they are clamped to maxServerDelay or ignored",
        arguments: [
            ("retry-after", "1e300", Duration.seconds(60)),
            ("retry-after-ms", "1e300", .seconds(60)),
            ("retry-after", "99999999999999999999999", .seconds(60)),
            ("retry-after", "Fri, 31 Dec 99999999999999 23:59:59 GMT", .seconds(60)),
            ("retry-after", "Fri, 31 Dec 9999999999999999999999 23:59:59 GMT", .seconds(60)),
            ("x-ratelimit-reset-requests", "99999999999999999999ns", .seconds(60)),
            ("x-ratelimit-reset-tokens", "9999999999999999h9999999999m", .seconds(60)),
            ("anthropic-ratelimit-requests-reset", "9999-12-31T23:59:59Z", .seconds(60)),
            ("retry-after", "-5", nil), ("retry-after", "nan", nil), ("retry-after", "inf", nil),
            ("retry-after", "", nil), ("retry-after-ms", "-1e300", nil), ("retry-after", "0x1p8", nil),
            ("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT", nil),
            ("x-ratelimit-reset-requests", "garbage", nil), ("x-ratelimit-reset-requests", "-3s", nil),
        ] as [(String, String, Duration?)])
    func hostileDelays(name: String, value: String, expected: Duration?) async throws {
        // Without a usable server delay: the first retry's backoff, half of 0.5 s with full jitter at 0.5.
        let delay = try await Self.delay(HTTPHeaders([(name, value)]), status: 429, random: 0.5)
        #expect(delay == (expected ?? .milliseconds(250)))
    }

    @Test("a server delay past the call's deadline fails at once with retryDelayTooLong, keeping status and request id")
    func deadlineAware() async throws {
        let clock = TestClock()
        let events = EventLog()
        let script = ScriptedAttempts([
            .answer(503, ["retry-after": "5", "x-request-id": "req_9"], [7]), .answer(200, [:], []),
        ])
        let error = await #expect(throws: SluiceError.self) {
            try await TestCalls.send(
                Self.observing(clock: clock, events: events), context: TestCalls.context(deadline: .seconds(4)),
                transport: script.send)
        }
        #expect(error?.code == .retryDelayTooLong)
        #expect(error?.status == 503)
        #expect(error?.requestID == "req_9")
        #expect(error?.message.contains("deadline") == true)
        #expect(script.attempts == [1])
        #expect(script.terminations.all == ["discarded"])
        #expect(clock.now == .zero)
        #expect(events.all.map(\.decision) == [.serverDelayTooLong(delay: .seconds(5))])
    }

    @Test("a 429's server delay beyond the call's rate-limit wait policy fails at once")
    func rateLimitWaitPolicyBoundsRetryAfter() async throws {
        let clock = TestClock()
        let script = ScriptedAttempts([.answer(429, ["retry-after": "30"], []), .answer(200, [:], [])])
        var options = CallOptions()
        options.rateLimitWaitPolicy = .wait(atMost: .seconds(2))
        let error = await #expect(throws: SluiceError.self) {
            try await TestCalls.send(
                Self.observing(clock: clock), context: TestCalls.context(options: options), transport: script.send)
        }
        #expect(error?.code == .retryDelayTooLong)
        #expect(error?.status == 429)
        #expect(script.attempts == [1])
        #expect(clock.now == .zero)
    }

    @Test("a backoff past the call's deadline stops, returning the last answer without sleeping")
    func backoffDeadlineAware() async throws {
        let clock = TestClock()
        let events = EventLog()
        let script = ScriptedAttempts([.answer(503, [:], [7]), .answer(200, [:], [])])
        let response = try await TestCalls.send(
            Self.observing(clock: clock, random: { 0.99 }, events: events),
            context: TestCalls.context(deadline: .milliseconds(100)), transport: script.send)
        #expect(response.status == 503)
        #expect(try await response.body.collect(upTo: 10) == [7])
        #expect(script.attempts == [1])
        #expect(events.all.count == 1)
    }

    @Test("reports each scheduled retry with its reason, delay and source")
    func events() async throws {
        let clock = TestClock()
        let events = EventLog()
        let script = ScriptedAttempts([
            .answer(429, ["retry-after-ms": "0"], []), .fail(SluiceError(.connectionRefused, "refused")),
            .answer(200, [:], []),
        ])
        _ = try await TestCalls.send(Self.observing(clock: clock, events: events), transport: script.send)
        let seen = events.all
        #expect(seen.map(\.attempt) == [1, 2])
        #expect(seen.map(\.reason) == [.status(429), .error(.connectionRefused)])
        #expect(seen.map(\.decision) == [.scheduled(delay: .zero, source: .backoff), .scheduled(delay: .zero, source: .backoff)])
    }

    @Test("a spent budget stops retrying and the call ends as its last attempt did")
    func budgetExhausted() async throws {
        let clock = TestClock()
        let budget = RetryBudget(ratio: 0, minimumRetries: 1, clock: clock)
        let middleware = Self.immediate(budget: budget, clock: clock)
        let first = ScriptedAttempts([.answer(503, [:], []), .answer(200, [:], [])])
        #expect(try await TestCalls.send(middleware, transport: first.send).status == 200)
        #expect(budget.available(for: KeyID(rawValue: "key-test")) == 0)

        let second = ScriptedAttempts([.answer(503, [:], [5]), .answer(200, [:], [])])
        let response = try await TestCalls.send(middleware, transport: second.send)
        #expect(response.status == 503)
        #expect(try await response.body.collect(upTo: 10) == [5])
        #expect(second.attempts == [1])

        let third = ScriptedAttempts([.fail(SluiceError(.connectionClosed, "reset"))])
        let error = await #expect(throws: SluiceError.self) { try await TestCalls.send(middleware, transport: third.send) }
        #expect(error?.code == .connectionClosed)
    }

    @Test("cancelling the call during backoff ends it with CancellationError")
    func cancelDuringBackoff() async throws {
        let clock = TestClock()
        let script = ScriptedAttempts([.answer(503, ["retry-after": "5"], []), .answer(200, [:], [])])
        let call = Task { try await TestCalls.send(Self.observing(clock: clock), transport: script.send) }
        await clock.waitForSleepers(1)
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(script.attempts == [1])
    }
}

final class EventLog: Sendable {
    private let events = Synchronization.Mutex<[RetryEvent]>([])
    func append(_ event: RetryEvent) { events.withLock { $0.append(event) } }
    var all: [RetryEvent] { events.withLock { $0 } }
}
