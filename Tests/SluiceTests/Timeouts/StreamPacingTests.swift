import Sluice
import SluiceTesting
import Synchronization
import Testing

/// The first-byte, first-token and idle limits of a streamed chat reply, through the whole client on a
/// test clock: tokens are content events, and keep-alives never count as one.
@Suite("Stream pacing")
struct StreamPacingTests {
    static let request = ChatRequest(model: "m", messages: [.user("hi")])

    static func chunk(_ choice: String) -> String {
        #"data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[\#(choice)]}"# + "\n\n"
    }

    static let role = chunk(#"{"index":0,"delta":{"role":"assistant","content":""}}"#)
    static func text(_ text: String) -> String { chunk(#"{"index":0,"delta":{"content":"\#(text)"}}"#) }
    static let toolCall = chunk(
        #"{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}}"#
    )
    static let usageOnly =
        #"data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#
        + "\n\n"

    /// How a provider keeps a quiet stream open.
    enum KeepAlive: String, CaseIterable, CustomTestStringConvertible {
        case sseComment, emptyEvent, anthropicPing

        var bytes: String {
            switch self {
            case .sseComment: ": keep-alive\n\n"
            case .emptyEvent: "data:\n\n"
            case .anthropicPing: "event: ping\ndata: {\"type\": \"ping\"}\n\n"
            }
        }

        var testDescription: String { rawValue }
    }

    static func limits(
        total: Duration? = nil, firstByte: Duration? = nil, firstToken: Duration? = nil, idle: Duration? = nil
    ) -> TimeoutPolicy {
        TimeoutPolicy(
            total: total, responseHead: nil, streamingResponseHead: nil, firstByte: firstByte, firstToken: firstToken,
            idle: idle, attempt: nil)
    }

    static func client(
        _ timeouts: TimeoutPolicy,
        clock: TestClock,
        source: ControlledSource,
        recorder: EventRecorder? = nil,
        anthropic: Bool = false
    ) -> LLMClient {
        var configuration =
            anthropic
            ? LLMClient.Configuration.anthropic(apiKey: "k", baseURL: "http://127.0.0.1:9")
            : LLMClient.Configuration.openAI(apiKey: "k", baseURL: "http://127.0.0.1:9/v1")
        configuration.clock = clock
        configuration.timeouts = timeouts
        configuration.retryPolicy = .disabled
        configuration.retryBudget = nil
        if let recorder { configuration.eventHandlers = [recorder] }
        let transport = InMemoryTransport { _ in
            ClientResponse(
                status: 200, headers: ["content-type": "text/event-stream"], body: ResponseBody(source: source))
        }
        return LLMClient(configuration, transport: transport)
    }

    /// Sends `bytes` and returns once the consumer waits for the next chunk.
    static func send(_ source: ControlledSource, _ bytes: String) async {
        source.send(Array(bytes.utf8))
        await source.waitUntilPending()
    }

    /// Moves the clock by `seconds` once the watchdog sleeps.
    static func advance(_ clock: TestClock, seconds: Int) async {
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(seconds))
    }

    /// The call's outcome once the limit under test should have ended it. If it did not (the limit is
    /// broken), the clock moves on until another limit ends the call, so the test fails rather than
    /// hanging. A call that has expired leaves nobody asleep on the clock, so a working limit never
    /// sees the clock move here.
    static func outcome<Value: Sendable>(_ call: Task<Value, any Error>, _ clock: TestClock) async throws -> Value {
        let finished = Finished()
        let waiter = Task {
            defer { finished.set() }
            return try await call.value
        }
        var turns = 0
        while !finished.isSet, turns < 100_000 {
            if clock.sleeperCount > 0 { clock.advance(by: .seconds(60)) }
            await Task.yield()
            turns += 1
        }
        if !finished.isSet { call.cancel() }
        return try await waiter.value
    }

    final class Finished: Sendable {
        private let flag = Mutex(false)
        func set() { flag.withLock { $0 = true } }
        var isSet: Bool { flag.withLock { $0 } }
    }

    @Test(
        "a stream with a role chunk and keep-alives but no content fails with firstTokenTimeout",
        arguments: KeepAlive.allCases)
    func keepAlivesBeforeContent(keepAlive: KeepAlive) async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let recorder = EventRecorder()
        let client = Self.client(
            Self.limits(firstToken: .seconds(30), idle: .seconds(10)), clock: clock, source: source, recorder: recorder,
            anthropic: keepAlive == .anthropicPing)
        let call = Task { try await client.streamChat(Self.request) }
        await source.waitUntilPending()
        if keepAlive == .anthropicPing {
            await Self.send(
                source,
                "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"m\"}}\n\n"
            )
        } else {
            await Self.send(source, Self.role)
        }
        for _ in 0..<5 {  // a keep-alive every 5 s, well within the idle limit, until t = 25
            await Self.advance(clock, seconds: 5)
            await Self.send(source, keepAlive.bytes)
        }
        await Self.advance(clock, seconds: 4)
        #expect(source.cancelCount == 0)
        await Self.advance(clock, seconds: 1)  // t = 30: 30 s of waiting without content
        let error = await #expect(throws: SluiceError.self) { try await Self.outcome(call, clock) }
        #expect(error?.code == .firstTokenTimeout)
        #expect(source.cancelCount == 1)
        #expect(recorder.events(ofKind: .timeout).map(\.phase) == ["first_token"])
        #expect(recorder.events(ofKind: .firstToken).isEmpty)
    }

    @Test(
        "after content, keep-alives do not restart the idle limit: a stream of pings fails with idleTimeout",
        arguments: KeepAlive.allCases)
    func keepAlivesAfterContent(keepAlive: KeepAlive) async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let anthropic = keepAlive == .anthropicPing
        let client = Self.client(
            Self.limits(firstToken: .seconds(30), idle: .seconds(10)), clock: clock, source: source,
            anthropic: anthropic)
        let call = Task { try await client.streamChat(Self.request) }
        await source.waitUntilPending()
        await Self.advance(clock, seconds: 3)
        if anthropic {
            await Self.send(
                source,
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                    + "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n")
        } else {
            await Self.send(source, Self.role + Self.text("Hi"))
        }
        for _ in 0..<3 {  // t = 6, 9, 12: pings 3 s apart
            await Self.advance(clock, seconds: 3)
            await Self.send(source, keepAlive.bytes)
        }
        #expect(source.cancelCount == 0)
        await Self.advance(clock, seconds: 1)  // t = 13: 10 s after the content at t = 3
        let error = await #expect(throws: SluiceError.self) { try await Self.outcome(call, clock) }
        #expect(error?.code == .idleTimeout)
        #expect(error?.partialResponse?.text == "Hi")
    }

    @Test("content restarts the idle limit; a slow consumer's own time never counts against it")
    func contentRestartsIdle() async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let client = Self.client(
            Self.limits(firstToken: .seconds(30), idle: .seconds(10)), clock: clock, source: source)
        let call = Task { try await client.streamChat(Self.request) }
        await source.waitUntilPending()
        await Self.send(source, Self.role + Self.text("a"))
        for text in ["b", "c", "d"] {  // content every 8 s, pings in between
            await Self.advance(clock, seconds: 4)
            await Self.send(source, ": ping\n\n")
            await Self.advance(clock, seconds: 4)
            await Self.send(source, Self.text(text))
        }
        await Self.advance(clock, seconds: 9)
        source.send(Array("data: [DONE]\n\n".utf8))
        let reply = try await call.value
        #expect(reply.text == "abcd")
    }

    @Test("a wait that begins with part of the idle budget spent ends on time, though the watchdog sleeps longer")
    func partlySpentBudgetWakesTheWatchdog() async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let (gate, openGate) = AsyncStream.makeStream(of: Void.self)
        let (blocked, signalBlocked) = AsyncStream.makeStream(of: Void.self)
        let client = Self.client(Self.limits(idle: .seconds(10)), clock: clock, source: source)
        let call = Task {
            try await client.streamChat(Self.request) { stream in
                for try await event in stream where event == .usage(Usage(inputTokens: 3, outputTokens: 1)) {
                    signalBlocked.yield()
                    for await _ in gate { break }  // the consumer is busy with this event
                }
                return stream.snapshot
            }
        }
        await source.waitUntilPending()
        await Self.send(source, Self.role + Self.text("Hi"))
        await Self.advance(clock, seconds: 9)
        source.send(Array(Self.usageOnly.utf8))  // t = 9: 9 s of the idle budget spent
        for await _ in blocked { break }
        await Self.advance(clock, seconds: 1)  // t = 10: the watchdog finds no wait and sleeps a full idle
        await clock.waitForSleepers(1)
        #expect(clock.nextDeadline == .seconds(20))
        clock.advance(by: .seconds(4))
        openGate.yield()  // t = 14: the consumer waits again, with 1 s of budget left
        await source.waitUntilPending()
        await clock.waitForSleepers(1)
        #expect(clock.nextDeadline == .seconds(15))
        clock.advance(to: clock.nextDeadline ?? .seconds(15))
        let error = await #expect(throws: SluiceError.self) { try await Self.outcome(call, clock) }
        #expect(error?.code == .idleTimeout)
        #expect(clock.now == .seconds(15))
    }

    @Test("the first_token event comes with the first content — a tool call here — not the role chunk or a ping")
    func firstTokenEvent() async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let recorder = EventRecorder()
        let client = Self.client(
            Self.limits(firstToken: .seconds(30), idle: .seconds(30)), clock: clock, source: source, recorder: recorder)
        let call = Task { try await client.streamChat(Self.request) }
        await source.waitUntilPending()
        await Self.send(source, Self.role)
        await Self.advance(clock, seconds: 2)
        await Self.send(source, ": ping\n\n")
        await Self.advance(clock, seconds: 3)
        await Self.send(source, Self.toolCall)
        await Self.advance(clock, seconds: 2)
        source.send(Array((Self.text("x") + Self.usageOnly + "data: [DONE]\n\n").utf8))
        let reply = try await call.value
        #expect(reply.toolCalls.map(\.name) == ["f"])
        let firstTokens = recorder.events(ofKind: .firstToken)
        #expect(firstTokens.count == 1)
        #expect(firstTokens.first?.latency == .seconds(5))
    }

    @Test("no body byte within firstByte fails with firstByteTimeout; a keep-alive is a byte")
    func firstByte() async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let recorder = EventRecorder()
        let client = Self.client(
            Self.limits(firstByte: .seconds(5), firstToken: .seconds(60)), clock: clock, source: source,
            recorder: recorder)
        let call = Task { try await client.streamChat(Self.request) }
        await source.waitUntilPending()
        await Self.advance(clock, seconds: 5)
        let error = await #expect(throws: SluiceError.self) { try await Self.outcome(call, clock) }
        #expect(error?.code == .firstByteTimeout)
        #expect(recorder.events(ofKind: .timeout).map(\.phase) == ["first_byte"])

        let second = ControlledSource()
        let patient = Self.client(
            Self.limits(firstByte: .seconds(5), firstToken: .seconds(60)), clock: clock, source: second)
        let answered = Task { try await patient.streamChat(Self.request) }
        await second.waitUntilPending()
        await Self.advance(clock, seconds: 4)
        await Self.send(second, ": ping\n\n")
        await Self.advance(clock, seconds: 10)  // past firstByte, well within firstToken
        #expect(second.cancelCount == 0)
        second.send(Array((Self.role + Self.text("ok") + "data: [DONE]\n\n").utf8))
        #expect(try await answered.value.text == "ok")
    }

    @Test("by default the first byte has no limit of its own; the first token has 5 minutes and idle gaps 2")
    func defaults() {
        #expect(TimeoutPolicy.default.firstByte == nil)
        #expect(TimeoutPolicy.default.firstToken == .seconds(300))
        #expect(TimeoutPolicy.default.idle == .seconds(120))
        #expect(TimeoutPolicy.unlimited.firstByte == nil)
    }

    @Test("keep-alives never extend the call's total deadline")
    func keepAlivesDoNotExtendTotal() async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let client = Self.client(Self.limits(total: .seconds(20)), clock: clock, source: source)
        let call = Task { try await client.streamChat(Self.request) }
        await source.waitUntilPending()
        await Self.send(source, Self.role + Self.text("a"))
        for _ in 0..<3 {
            await Self.advance(clock, seconds: 5)
            await Self.send(source, ": ping\n\n")
        }
        await Self.advance(clock, seconds: 5)
        let error = await #expect(throws: SluiceError.self) { try await Self.outcome(call, clock) }
        #expect(error?.code == .deadlineExceeded)
        #expect(error?.partialResponse?.text == "a")
    }
}
