import Sluice
import SluiceTesting
import Synchronization
import Testing

/// A body source that serves its chunks, then holds the connection open as a server that sent its end
/// marker but never ends the body: a read past the chunks is reported on ``readsPastEnd`` and waits
/// until the body is cancelled. With `repeating`, it serves its last chunk again and again (and ends after
/// 2,000 reads, so that a test of a limit that does not hold fails instead of hanging).
private final class HoldOpenSource: ResponseBodySource {
    private struct State {
        var chunks: [[UInt8]]
        var next = 0
        var reads = 0
        var cancels = 0
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
    }

    private let state: Mutex<State>
    private let repeating: Bool
    private let signal: AsyncStream<Void>.Continuation
    let readsPastEnd: AsyncStream<Void>

    init(_ chunks: [String], repeating: Bool = false) {
        state = Mutex(State(chunks: chunks.map { Array($0.utf8) }))
        self.repeating = repeating
        (readsPastEnd, signal) = AsyncStream.makeStream(of: Void.self)
    }

    var cancelCount: Int { state.withLock { $0.cancels } }
    var readCount: Int { state.withLock { $0.reads } }

    func next() async throws -> [UInt8]? {
        let chunk: [UInt8]? = state.withLock { state in
            state.reads += 1
            // A test whose limit does not hold fails on a body that ends, rather than hanging.
            if state.next == state.chunks.count, repeating, state.reads < 2_000 { state.next -= 1 }
            guard state.next < state.chunks.count else { return nil }
            defer { state.next += 1 }
            return state.chunks[state.next]
        }
        if let chunk { return chunk }
        signal.yield()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                let cancelled = state.withLock { state in
                    if state.cancels > 0 { return true }
                    state.waiter = continuation
                    return false
                }
                if cancelled { continuation.resume(throwing: SluiceError(.connectionClosed, "aborted")) }
            }
        } onCancel: {
            cancel()
        }
    }

    func cancel() {
        let waiter = state.withLock { state in
            state.cancels += 1
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(throwing: SluiceError(.connectionClosed, "aborted"))
    }
}

/// A task-local value the caller of a stream sets, to see which task a layer runs on.
private enum CallerTag {
    @TaskLocal static var value: String?
}

/// Records the caller's ``CallerTag`` for each attempt, then, with `holdsHead`, waits for the caller
/// to be cancelled (at most 10 s) before sending, as a server that never sends its head would.
private final class TagRecorder: ClientMiddleware, Sendable {
    let seen = Mutex<[String?]>([])
    let holdsHead: Bool

    init(holdsHead: Bool) { self.holdsHead = holdsHead }

    func intercept(_ request: ClientRequest, context: ClientContext, next: Next) async throws -> ClientResponse {
        seen.withLock { $0.append(CallerTag.value) }
        if holdsHead { try await Task.sleep(for: .seconds(10)) }
        return try await next(request, context)
    }
}

@Suite("ChatStream")
struct ChatStreamTests {
    static let request = ChatRequest(model: "m", messages: [.user("hi")])

    static func client(
        _ source: some ResponseBodySource,
        limits: StreamLimits = .default,
        attemptMiddleware: [any ClientMiddleware] = []
    ) -> LLMClient {
        client(ResponseBody(source: source), limits: limits, attemptMiddleware: attemptMiddleware)
    }

    /// A client whose transport answers every call with `body` (one call per client).
    static func client(
        _ body: ResponseBody,
        limits: StreamLimits = .default,
        attemptMiddleware: [any ClientMiddleware] = []
    ) -> LLMClient {
        var configuration = LLMClient.Configuration(
            adapter: TestAdapter(), baseURL: "http://127.0.0.1:9/v1", apiKey: "KEY-MARKER")
        configuration.retryPolicy = .disabled
        configuration.streamLimits = limits
        configuration.attemptMiddleware = attemptMiddleware
        let transport = InMemoryTransport { _ in ClientResponse(status: 200, body: body) }
        return LLMClient(configuration, transport: transport)
    }

    @Test("streams are bounded by default: 64 MiB in all and 1 MiB per event, on every client")
    func defaults() {
        #expect(StreamLimits.default.maxBytes == 64 << 20)
        #expect(StreamLimits.default.maxEventBytes == 1 << 20)
        let configuration = LLMClient.Configuration.openAI(apiKey: "k")
        #expect(configuration.streamLimits == .default)
        #expect(StreamLimits(maxBytes: 0, maxEventBytes: -5) == StreamLimits(maxBytes: 1, maxEventBytes: 1))
    }

    @Test("the stream ends at the end marker, not when the server closes, and frees the transfer and permit at once")
    func endsAtMarker() async throws {
        let source = HoldOpenSource(["data: Hel\n\ndata: lo\n\n", "data: [END]\n\n"])
        let limiter = ConcurrencyLimitMiddleware(limits: ConcurrencyLimits(maxConcurrentRequests: 1))
        let client = Self.client(source, attemptMiddleware: [limiter])
        let outcome = try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                try await client.streamChat(Self.request) { stream in
                    for try await _ in stream {}
                    // Still inside the stream's scope: the transfer and the permit are already released.
                    #expect(stream.isComplete)
                    #expect(source.cancelCount == 1)
                    #expect(limiter.inFlight == 0)
                    return stream.snapshot.text
                }
            }
            group.addTask {
                for await _ in source.readsPastEnd { return "read past the end marker" }
                return "cancelled"
            }
            let first = try await group.next() ?? ""
            group.cancelAll()
            return first
        }
        #expect(outcome == "Hello")
        #expect(source.readCount == 2)
        #expect(client.inFlightCalls == 0)
    }

    @Test("bytes after the end marker are never read as events, even malformed ones in the same chunk")
    func ignoresBytesAfterMarker() async throws {
        let tooLong = String(repeating: "x", count: 100)
        let body = ResponseBody(bytes: Array("data: done\n\ndata: [END]\n\ndata: \(tooLong)\n\ndata: more\n\n".utf8))
        let client = Self.client(body, limits: StreamLimits(maxEventBytes: 32))
        let reply = try await client.streamChat(Self.request)
        #expect(reply.text == "done")
        #expect(reply.finishReason == .stop)
    }

    @Test("a server that never stops is cut at StreamLimits.maxBytes with bodyTooLarge and the reply so far")
    func totalByteLimit() async throws {
        let source = HoldOpenSource(["data: ab\n\n"], repeating: true)  // 10 bytes a chunk, forever
        let client = Self.client(source, limits: StreamLimits(maxBytes: 95))
        let error = await #expect(throws: SluiceError.self) { _ = try await client.streamChat(Self.request) }
        #expect(error?.code == .bodyTooLarge)
        #expect(error?.partialResponse?.text == String(repeating: "ab", count: 9))
        #expect(source.readCount == 10)
        #expect(source.cancelCount == 1)
        #expect(client.inFlightCalls == 0)
    }

    @Test("a call's streamLimits replace the client's")
    func perCallLimits() async throws {
        let source = HoldOpenSource(["data: ab\n\n"], repeating: true)
        let client = Self.client(source, limits: StreamLimits(maxBytes: 1_000))
        var options = CallOptions()
        options.streamLimits = StreamLimits(maxBytes: 30)
        let error = await #expect(throws: SluiceError.self) {
            _ = try await client.streamChat(Self.request, options: options)
        }
        #expect(error?.code == .bodyTooLarge)
        #expect(error?.partialResponse?.text == "ababab")
    }

    @Test(
        "an event over StreamLimits.maxEventBytes, or an endless line, fails with malformedStream and the reply so far",
        arguments: [
            ["data: first\n\n", "data: \(String(repeating: "y", count: 65))\n\n"],
            ["data: first\n\n", "data: ", "yyyyyyyyyy"],
        ])
    func eventByteLimit(chunks: [String]) async throws {
        let source = HoldOpenSource(chunks, repeating: true)
        let client = Self.client(source, limits: StreamLimits(maxEventBytes: 64))
        let error = await #expect(throws: SluiceError.self) { _ = try await client.streamChat(Self.request) }
        #expect(error?.code == .malformedStream)
        #expect(error?.partialResponse?.text == "first")
        #expect(source.cancelCount == 1)
    }

    @Test("an event of exactly StreamLimits.maxEventBytes is accepted, on one data line or several")
    func eventAtTheLimit() async throws {
        let line = String(repeating: "z", count: 64)
        let (first, second) = (String(repeating: "v", count: 32), String(repeating: "w", count: 31))  // 64 with the LF
        let body = ResponseBody(
            chunks: ["data: \(line)\n\n", "data: \(first)\ndata: \(second)\n\n", "data: [END]\n\n"].map {
                Array($0.utf8)
            })
        let client = Self.client(body, limits: StreamLimits(maxEventBytes: 64))
        let reply = try await client.streamChat(Self.request)
        #expect(reply.text == line + first + "\n" + second)
    }

    @Test("a stream's request is sent from a child task: the layers see the caller's task-locals and its cancellation")
    func sendsFromChildTask() async throws {
        let recorder = TagRecorder(holdsHead: false)
        let body = ResponseBody(chunks: ["data: Hi\n\n", "data: [END]\n\n"].map { Array($0.utf8) })
        let client = Self.client(body, attemptMiddleware: [recorder])
        let reply = try await CallerTag.$value.withValue("caller") { try await client.streamChat(Self.request) }
        #expect(reply.text == "Hi")
        #expect(recorder.seen.withLock { $0 } == ["caller"])

        let holding = TagRecorder(holdsHead: true)
        let held = Self.client(ResponseBody(chunks: []), attemptMiddleware: [holding])
        let call = Task { try await held.streamChat(Self.request) }
        while holding.seen.withLock({ $0.isEmpty }) { await Task.yield() }
        call.cancel()
        let error = await #expect(throws: SluiceError.self) { _ = try await call.value }
        #expect(error?.code == .cancelled)
        #expect(held.inFlightCalls == 0)
    }
}
