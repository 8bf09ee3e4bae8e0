import Synchronization

/// A streamed chat reply: an async sequence of ``ChatStreamEvent``s, with the reply so far.
///
/// Get one from ``LLMClient/streamChat(_:_:)``, which ends the transfer when its closure returns —
/// so leaving the loop early, or throwing, never leaves a connection streaming:
///
/// ```swift
/// let final = try await client.streamChat(request) { stream in
///     for try await event in stream {
///         if case .textDelta(let text) = event { print(text, terminator: "") }
///     }
///     return try await stream.finalResponse()
/// }
/// ```
///
/// The stream ends at the provider's end marker (`data: [DONE]`, Anthropic's `message_stop`): the
/// loop above finishes at once, and the transfer is released then — its connection goes back to the
/// pool if the server had finished the body, and is closed otherwise — without waiting for the server
/// to close it. Anything after the marker is ignored.
///
/// A stream is bounded: by ``StreamLimits`` in size (64 MiB in all, 1 MiB per event by default), and
/// by ``TimeoutPolicy/firstToken`` and ``TimeoutPolicy/idle`` in time, which count from content, so
/// keep-alive pings alone never keep it open.
///
/// - Important: Iterate a stream once, inside its closure. An error after data arrived (an error
///   event from the provider, a dropped connection, a malformed chunk, a limit exceeded, a stream cut
///   before the provider's end marker) is a ``SluiceError`` whose ``SluiceError/partialResponse`` has
///   the reply and usage so far. Such a stream is never retried.
public struct ChatStream: AsyncSequence, Sendable {
    public typealias Element = ChatStreamEvent

    let state: State

    /// The status and headers of the HTTP answer the stream is read from (the request id, the
    /// rate-limit headers), known before the first event. The reply (``snapshot``) carries it too.
    public let responseHead: HTTPResponseHead

    init(
        body: ResponseBody,
        decoder: any ChatStreamDecoder,
        provider: Provider,
        head: HTTPResponseHead,
        usage: UsageReport,
        context: ClientContext,
        limits: StreamLimits,
        progress: StreamProgress?,
        callStarted: Duration
    ) {
        responseHead = head
        var accumulator = ChatStreamAccumulator(provider: provider, requestID: head.requestID)
        accumulator.responseHead = head
        state = State(
            body: body,
            decoder: decoder,
            accumulator: accumulator,
            usage: usage,
            context: context,
            limits: limits,
            progress: progress,
            started: callStarted
        )
    }

    /// The reply accumulated from the events read so far.
    public var snapshot: ChatResponse { state.accumulated.withLock { $0.response } }

    /// Whether the provider's end marker arrived and every event before it was read.
    public var isComplete: Bool { state.completed.withLock { $0 } }

    /// Whether an event with content (see ``ChatStreamEvent/isContent``) was read.
    var hasContent: Bool { state.sawContent.load(ordering: .relaxed) }

    /// The final reply: reads any events not yet read, then returns the accumulated reply.
    public func finalResponse() async throws -> ChatResponse {
        for try await _ in self {}
        return snapshot
    }

    /// Reads the events not yet read, calling `onEvent` for each, then returns the accumulated reply.
    func forEachEvent(_ onEvent: (ChatStreamEvent) throws -> Void) async throws -> ChatResponse {
        for try await event in self { try onEvent(event) }
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
            var parser: ServerSentEventParser
            var decoder: any ChatStreamDecoder
            let limits: StreamLimits
            let progress: StreamProgress?
            var pending: [ChatStreamEvent] = []
            var pendingIndex = 0
            var ended = false
            /// The bytes read so far, against ``StreamLimits/maxBytes``.
            var bytes = 0
            /// An error met while decoding a chunk, thrown once the events decoded before it are read.
            var deferredError: (any Error)?
        }

        let body: ResponseBody
        let usage: UsageReport
        let context: ClientContext
        let started: Duration
        /// Whether an event with content was read (see ``ChatStreamEvent/isContent``).
        let sawContent = Atomic(false)
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
            limits: StreamLimits,
            progress: StreamProgress?,
            started: Duration
        ) {
            self.body = body
            self.usage = usage
            self.context = context
            self.started = started
            accumulated = Mutex(accumulator)
            reader = Reader(
                iterator: body.makeAsyncIterator(),
                parser: ServerSentEventParser(configuration: limits.parserConfiguration),
                decoder: decoder,
                limits: limits,
                progress: progress
            )
        }

        /// What ``next()`` does without reading: hand out an event already decoded, end, or read.
        private enum Step {
            case event(ChatStreamEvent)
            case end
            case read
        }

        /// The next event. The work between reads runs in synchronous helpers (`ready()`, `take(_:)`)
        /// so that this function's async frame, which the task's allocator holds for every open stream,
        /// keeps only what lives across the read.
        func next() async throws -> ChatStreamEvent? {
            guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
                throw Self.concurrentIteration()
            }
            defer { busy.store(false, ordering: .releasing) }
            while true {
                switch try ready() {
                case .event(let event): return event
                case .end: return nil
                case .read: break
                }
                let chunk: [UInt8]?
                do {
                    chunk = try await reader.iterator.next()
                } catch {
                    // Thrown by the next `ready()`, with the reply so far.
                    reader.deferredError = error
                    continue
                }
                take(chunk)
            }
        }

        /// An existential, so that the caller's frame holds a reference rather than a whole error.
        @inline(never)
        private static func concurrentIteration() -> any Error {
            SluiceError(.bodyAlreadyConsumed, "a chat stream was iterated from two tasks at once")
        }

        /// The next event already decoded (folded into the reply and reported), the end (the reply is
        /// complete), or `.read` when a chunk must be read first. Throws the error the reader met, with
        /// the reply so far, once the events before it were handed out; the transfer then ends.
        @inline(never)
        private func ready() throws -> Step {
            let step: Step
            do {
                step = try Self.step(&reader)
            } catch {
                throw failed(error)
            }
            switch step {
            case .event(let event): delivered(event)
            case .end: completed.withLock { $0 = true }
            case .read: break
            }
            return step
        }

        /// `error`, with the reply so far in a ``SluiceError``, after the transfer was ended.
        private func failed(_ error: any Error) -> any Error {
            guard var error = error as? SluiceError else {
                body.discard()
                return error
            }
            let (partial, head) = accumulated.withLock { ($0.eventCount > 0 ? $0.response : nil, $0.responseHead) }
            if let partial { error.partialResponse = partial }
            if error.responseHead == nil { error.responseHead = head }
            body.discard()
            return error
        }

        /// Folds `event` into the reply and the usage report, and emits the events it makes.
        private func delivered(_ event: ChatStreamEvent) {
            accumulated.withLock { $0.apply(event) }
            if case .usage(let reported) = event { usage.update(reported) }
            // Kept with no handler too: a router falls back only before the first content.
            let first =
                event.isContent && !sawContent.load(ordering: .relaxed)
                && !sawContent.exchange(true, ordering: .relaxed)
            if context.events.isEnabled {
                if first {
                    context.events.emit(.firstToken, context) { $0.latency = $0.instant - self.started }
                }
                if case .textDelta(let text) = event {
                    context.events.emit(.chunk, context) { $0.text = text }
                }
            }
        }

        /// One event already decoded, the end, or `.read`; throws the error met after the events
        /// before it.
        private static func step(_ reader: inout Reader) throws -> Step {
            if reader.pendingIndex < reader.pending.count {
                let event = reader.pending[reader.pendingIndex]
                reader.pendingIndex += 1
                return .event(event)
            }
            reader.pending.removeAll(keepingCapacity: true)
            reader.pendingIndex = 0
            if let error = reader.deferredError {
                reader.deferredError = nil
                reader.ended = true
                throw error
            }
            return reader.ended ? .end : .read
        }

        /// Parses and decodes `chunk` (`nil`: the body ended) into the pending events. At the
        /// provider's end marker the reader ends and `body` is released at once (see
        /// ``ResponseBody/finishEarly()``).
        @inline(never)
        private func take(_ chunk: [UInt8]?) {
            Self.take(chunk, into: &reader, body: body)
        }

        private static func take(_ chunk: [UInt8]?, into reader: inout Reader, body: ResponseBody) {
            var events: [ServerSentEvent] = []
            do {
                if let chunk {
                    guard chunk.count <= reader.limits.maxBytes - reader.bytes else {
                        throw reader.limits.tooManyBytes
                    }
                    reader.bytes += chunk.count
                    try reader.parser.parse(chunk) { events.append($0) }
                } else {
                    try reader.parser.finish { events.append($0) }
                    reader.ended = true
                }
            } catch {
                // Deliver what was parsed before the fault, then the fault.
                reader.deferredError = error
            }
            var content = false
            for event in events {
                do {
                    content = try decode(event, into: &reader) || content
                } catch {
                    reader.deferredError = error
                    break
                }
                if reader.decoder.isComplete { break }
            }
            // Before the next read, so the timers count the next wait from this content.
            if content { reader.progress?.contentArrived() }
            if reader.decoder.isComplete {
                // The reply is complete: nothing after the marker is read (a fault in the bytes
                // after it included), and the transfer is released now rather than when the
                // server closes the connection.
                reader.deferredError = nil
                reader.ended = true
                body.finishEarly()
            } else if reader.ended, reader.deferredError == nil {
                reader.deferredError = SluiceError(
                    .incompleteStream, "the stream ended before the provider's end marker")
            }
        }

        /// Decodes one event into the pending events; returns whether any of them is content.
        private static func decode(_ event: ServerSentEvent, into reader: inout Reader) throws -> Bool {
            var pending = reader.pending
            reader.pending = []
            defer { reader.pending = pending }
            var content = false
            try reader.decoder.decode(event) { event in
                if event.isContent { content = true }
                pending.append(event)
            }
            return content
        }
    }
}
