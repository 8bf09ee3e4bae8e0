import Synchronization

/// A streamed chat reply: an async sequence of ``ChatStreamEvent``s, with the reply so far.
///
/// Get one from ``LLMClient/streamChat(_:_:)``, which ends the transfer when its closure returns —
/// so leaving the loop early, or throwing, never leaves a connection streaming:
///
/// ```swift
/// let reply = try await client.streamChat(request) { stream in
///     for try await event in stream {
///         if case .textDelta(let text) = event { print(text, terminator: "") }
///     }
///     return try stream.finalResponse()
/// }
/// ```
///
/// - Important: Iterate a stream once, inside its closure. An error after data arrived (an error
///   event from the provider, a dropped connection, a malformed chunk, a stream cut before the
///   provider's end marker) is a ``SluiceError`` whose ``SluiceError/partialResponse`` has the reply and
///   usage so far. Such a stream is never retried.
public struct ChatStream: AsyncSequence, Sendable {
    public typealias Element = ChatStreamEvent

    let state: State

    init(
        body: ResponseBody,
        decoder: any ChatStreamDecoder,
        provider: Provider,
        requestID: String?,
        usage: UsageReport,
        context: ClientContext,
        callStarted: Duration
    ) {
        state = State(
            body: body,
            decoder: decoder,
            accumulator: ChatStreamAccumulator(provider: provider, requestID: requestID),
            usage: usage,
            context: context,
            started: callStarted
        )
    }

    /// The reply accumulated from the events read so far.
    public var snapshot: ChatResponse { state.accumulated.withLock { $0.response } }

    /// Whether the provider's end marker arrived and the stream was read to its end.
    public var isComplete: Bool { state.completed.withLock { $0 } }

    /// The final reply: reads any events not yet read, then returns the accumulated reply.
    public func finalResponse() async throws -> ChatResponse {
        for try await _ in self {}
        return snapshot
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(state: state) }

    /// Reads events in order. One iterator per stream.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let state: State

        public mutating func next() async throws -> ChatStreamEvent? {
            try await state.next()
        }
    }

    /// The stream's moving parts.
    ///
    /// `@unchecked Sendable`: the reader is touched only by `next()`, which one task calls at a time
    /// (the `busy` flag turns a concurrent call into an error instead of a race); the accumulated reply
    /// and the completion flag are behind locks.
    final class State: @unchecked Sendable {
        private struct Reader {
            var iterator: ResponseBody.AsyncIterator
            var parser = ServerSentEventParser()
            var decoder: any ChatStreamDecoder
            var pending: [ChatStreamEvent] = []
            var pendingIndex = 0
            var ended = false
            /// An error met while decoding a chunk, thrown once the events decoded before it are read.
            var deferredError: (any Error)?
        }

        let body: ResponseBody
        let usage: UsageReport
        let context: ClientContext
        let started: Duration
        private let sawText = Atomic(false)
        let accumulated: Mutex<ChatStreamAccumulator>
        let completed = Mutex(false)
        private let busy = Atomic(false)
        private var reader: Reader

        init(
            body: ResponseBody,
            decoder: any ChatStreamDecoder,
            accumulator: ChatStreamAccumulator,
            usage: UsageReport,
            context: ClientContext,
            started: Duration
        ) {
            self.body = body
            self.usage = usage
            self.context = context
            self.started = started
            accumulated = Mutex(accumulator)
            reader = Reader(iterator: body.makeAsyncIterator(), decoder: decoder)
        }

        func next() async throws -> ChatStreamEvent? {
            guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
                throw SluiceError(.bodyAlreadyConsumed, "a chat stream was iterated from two tasks at once")
            }
            defer { busy.store(false, ordering: .releasing) }
            do {
                let event = try await Self.advance(&reader)
                if let event {
                    accumulated.withLock { $0.apply(event) }
                    switch event {
                    case .usage(let reported):
                        usage.update(reported)
                    case .textDelta(let text) where context.events.isEnabled:
                        if !sawText.exchange(true, ordering: .relaxed) {
                            context.events.emit(.firstToken, context) { $0.latency = $0.instant - self.started }
                        }
                        context.events.emit(.chunk, context) { $0.text = text }
                    default:
                        break
                    }
                } else {
                    completed.withLock { $0 = true }
                }
                return event
            } catch var error as SluiceError {
                if let partial = accumulated.withLock({ $0.eventCount > 0 ? $0.response : nil }) {
                    error.partialResponse = partial
                }
                body.discard()
                throw error
            } catch {
                body.discard()
                throw error
            }
        }

        private static func advance(_ reader: inout Reader) async throws -> ChatStreamEvent? {
            while true {
                if reader.pendingIndex < reader.pending.count {
                    let event = reader.pending[reader.pendingIndex]
                    reader.pendingIndex += 1
                    return event
                }
                reader.pending.removeAll(keepingCapacity: true)
                reader.pendingIndex = 0
                if let error = reader.deferredError {
                    reader.deferredError = nil
                    reader.ended = true
                    throw error
                }
                if reader.ended { return nil }
                var events: [ServerSentEvent] = []
                do {
                    if let chunk = try await reader.iterator.next() {
                        try reader.parser.parse(chunk) { events.append($0) }
                    } else {
                        try reader.parser.finish { events.append($0) }
                        reader.ended = true
                    }
                } catch {
                    // Deliver what was parsed before the fault, then the fault.
                    reader.deferredError = error
                }
                for event in events {
                    do {
                        try decode(event, into: &reader)
                    } catch {
                        reader.deferredError = error
                        break
                    }
                }
                if reader.ended, reader.deferredError == nil, !reader.decoder.isComplete {
                    reader.deferredError = SluiceError(.incompleteStream, "the stream ended before the provider's end marker")
                }
            }
        }

        private static func decode(_ event: ServerSentEvent, into reader: inout Reader) throws {
            var pending = reader.pending
            reader.pending = []
            defer { reader.pending = pending }
            try reader.decoder.decode(event) { pending.append($0) }
        }
    }
}
