import Synchronization

/// A streamed Responses API reply: an async sequence of ``ResponsesStreamEvent``s, with the
/// response so far.
///
/// Get one from ``LLMClient/streamResponse(_:options:_:)``, which ends the transfer when its closure
/// returns:
///
/// ```swift
/// let reply = try await client.streamResponse(request) { stream in
///     for try await case .outputTextDelta(_, _, let text) in stream { print(text, terminator: "") }
///     return try await stream.finalResponse()
/// }
/// ```
///
/// It runs on the same machinery as ``ChatStream``: it ends at the terminal event
/// (`response.completed`, `response.incomplete`, `response.failed`) without waiting for the server
/// to close the connection, is bounded by ``StreamLimits`` and the first-token and idle limits, and
/// reports usage from `response.completed` to the rate limiter and the usage hooks.
///
/// - Important: Iterate a stream once, inside its closure. An error after data arrived (an `error`
///   event, a dropped connection, a malformed event, a stream cut before its terminal event) is a
///   ``SluiceError`` whose ``SluiceError/partialResponse`` has the text, function calls and usage so
///   far; ``snapshot`` keeps the typed response so far. Such a stream is never retried.
public struct ResponsesStream: AsyncSequence, Sendable {
    public typealias Element = ResponsesStreamEvent

    let events: ChatStream
    let state: State

    /// The response accumulated from the events read so far: the terminal event's response once it
    /// arrived.
    public var snapshot: ResponsesResponse { state.accumulated.withLock { $0.response } }

    /// The status and headers of the HTTP answer the stream is read from, known before the first
    /// event. The response (``snapshot``) carries it too.
    public var responseHead: HTTPResponseHead { events.responseHead }

    /// Whether the terminal event arrived and every event before it was read.
    public var isComplete: Bool { events.isComplete }

    /// The final response: reads any events not yet read, then returns the accumulated response.
    public func finalResponse() async throws -> ResponsesResponse {
        for try await _ in self {}
        return snapshot
    }

    /// Reads the events not yet read, calling `onEvent` for each, then returns the accumulated response.
    func forEachEvent(_ onEvent: (ResponsesStreamEvent) throws -> Void) async throws -> ResponsesResponse {
        for try await event in self { try onEvent(event) }
        return snapshot
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(events: events.makeAsyncIterator(), state: state)
    }

    /// Reads events in order. One iterator per stream.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var events: ChatStream.AsyncIterator
        let state: State

        public mutating func next() async throws -> ResponsesStreamEvent? {
            // The bridge decoder queues exactly one typed event per chat event it emits.
            guard try await events.next() != nil, let event = state.pop() else { return nil }
            state.accumulated.withLock { $0.apply(event) }
            return event
        }
    }

    /// The typed events decoded and not yet read, and the response so far.
    final class State: Sendable {
        private let queue = Mutex<(events: [ResponsesStreamEvent], head: Int)>(([], 0))
        let accumulated: Mutex<ResponsesStreamAccumulator>

        init(head: HTTPResponseHead) {
            accumulated = Mutex(ResponsesStreamAccumulator(requestID: head.requestID, responseHead: head))
        }

        func push(_ event: ResponsesStreamEvent) {
            queue.withLock { $0.events.append(event) }
        }

        func pop() -> ResponsesStreamEvent? {
            queue.withLock { queue in
                guard queue.head < queue.events.count else { return nil }
                let event = queue.events[queue.head]
                queue.head += 1
                if queue.head == queue.events.count {
                    queue.events.removeAll(keepingCapacity: true)
                    queue.head = 0
                }
                return event
            }
        }
    }
}

/// Runs a ``ResponsesStreamDecoder`` inside ``ChatStream``'s machinery: each typed event is queued
/// for the ``ResponsesStream`` and stands in the chat stream as exactly one chat event, which tells
/// the machinery what it needs — content (for the first-token and idle timers and the `chunk`
/// event), usage (for the rate limiter and the usage report), the partial reply of an error.
struct ResponsesChatBridge: ChatStreamDecoder {
    var decoder: any ResponsesStreamDecoder
    let state: ResponsesStream.State

    var isComplete: Bool { decoder.isComplete }

    mutating func decode(_ event: ServerSentEvent, emit: (ChatStreamEvent) throws -> Void) throws {
        let state = state
        try decoder.decode(event) { typed in
            state.push(typed)
            try emit(Self.chatEvent(typed))
        }
    }

    static func chatEvent(_ event: ResponsesStreamEvent) -> ChatStreamEvent {
        switch event {
        case .created(let response), .inProgress(let response):
            return .started(id: response.id, model: response.model)
        case .outputItemAdded(let index, .functionCall(let call)):
            return .toolCallStarted(index: index, id: call.callID, name: call.name)
        case .outputTextDelta(_, _, let delta):
            return .textDelta(delta)
        case .functionCallArgumentsDelta(let index, let delta):
            return .toolCallArgumentsDelta(index: index, fragment: delta)
        case .reasoningSummaryDelta(_, _, let delta):
            return .thinkingDelta(index: 0, fragment: delta)
        case .completed(let response), .incomplete(let response), .failed(let response):
            if let usage = response.usage { return .usage(usage) }
            return .providerEvent(name: "response.\(response.status)", data: .null)
        case .outputItemAdded, .outputTextDone, .functionCallArgumentsDone, .outputItemDone:
            return .providerEvent(name: "response.event", data: .null)
        }
    }
}
