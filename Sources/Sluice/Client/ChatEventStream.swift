import Synchronization

extension LLMClient {
    /// Starts a streamed chat and returns its events as an `AsyncSequence` that can leave the
    /// function that made it: returned, stored, mapped, merged with other calls' streams.
    ///
    /// ```swift
    /// func answer(_ question: String) -> ChatEventStream {
    ///     client.chatStream(ChatRequest(model: "gpt-4o-mini", messages: [.user(question)]))
    /// }
    ///
    /// for try await case .textDelta(let text) in answer("What is a sluice?") { print(text, terminator: "") }
    /// ```
    ///
    /// The call starts at once and passes through every layer as ``streamChat(_:options:_:)-(_,_,(ChatStream)->Result)``
    /// does; events are read from the connection only as the consumer asks for them, so a slow
    /// consumer holds no growing buffer. The transfer ends when the consumer reads the last event,
    /// when the consuming task is cancelled, when ``ChatEventStream/cancel()`` is called, or when the
    /// stream and its iterators are released unread — whichever comes first; then the call reports
    /// `request_succeeded` or `request_cancelled` and its usage. A non-2xx answer is thrown by the
    /// first `next()`.
    public func chatStream(_ request: ChatRequest, options: CallOptions = CallOptions()) -> ChatEventStream {
        ChatEventStream(client: self, request: request, options: options)
    }
}

/// The events of a streamed chat reply that can be returned from a function; see
/// ``LLMClient/chatStream(_:options:)`` and, routed across deployments, ``LLMRouter/chatStream(_:options:)``.
///
/// One consumer at a time: iterate it from one task (a second iterator continues where the first
/// stopped).
public struct ChatEventStream: AsyncSequence, Sendable {
    public typealias Element = ChatStreamEvent

    private let owner: Owner

    init(client: LLMClient, request: ChatRequest, options: CallOptions) {
        owner = Owner(fallsBack: false) { serve in
            try await client.streamChat(request, options: options) { stream in try await serve(stream) }
        }
    }

    /// A stream of the events of the ``ChatStream``s `start` hands to `serve`, one at a time; `serve`
    /// returns when the consumer read the stream to the end and throws when it stopped early.
    ///
    /// With `fallsBack` (a router), a stream that fails before its first content is handed back to
    /// `start` (its `serve` throws the failure) and the consumer waits for the next stream `start`
    /// serves, or for the error `start` ends with; otherwise the consumer gets the failure at once.
    init(
        fallsBack: Bool,
        start: @escaping @Sendable (_ serve: (ChatStream) async throws -> Void) async throws -> Void
    ) {
        owner = Owner(fallsBack: fallsBack, start: start)
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(owner: owner) }

    /// Reads the events not yet read and returns the whole reply.
    public func finalResponse() async throws -> ChatResponse {
        // Each pass needs a new stream from the call, which serves a bounded number (one per deployment).
        while true {
            let stream = try await owner.handoff.stream()
            do {
                let reply = try await stream.finalResponse()
                owner.handoff.release()
                return reply
            } catch {
                try owner.settle(stream, failing: error)
            }
        }
    }

    /// The reply as read so far (`nil` before the response head arrived).
    public var snapshot: ChatResponse? { owner.handoff.readyStream?.snapshot }

    /// Ends the transfer now; a consumer waiting for an event gets the end or a cancellation error.
    public func cancel() {
        owner.cancel()
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let owner: Owner

        public mutating func next() async throws -> ChatStreamEvent? {
            // Each pass needs a new stream from the call, which serves a bounded number (one per deployment).
            while true {
                let stream = try await owner.handoff.stream()
                var iterator = stream.makeAsyncIterator()
                do {
                    let event = try await iterator.next()
                    if event == nil { owner.handoff.release() }
                    return event
                } catch {
                    try owner.settle(stream, failing: error)
                }
            }
        }
    }

    /// Runs the call and ends it when the last holder of the stream lets go.
    final class Owner: Sendable {
        let handoff = Handoff()
        /// Whether a stream that fails before its first content may be followed by another.
        let fallsBack: Bool

        init(
            fallsBack: Bool,
            start: @escaping @Sendable (_ serve: (ChatStream) async throws -> Void) async throws -> Void
        ) {
            self.fallsBack = fallsBack
            let handoff = handoff
            let producer = Task {
                do {
                    try await start { stream in
                        handoff.deliver(stream)
                        try await handoff.waitForRelease()
                    }
                } catch {
                    handoff.fail(error)
                }
            }
            handoff.attach(producer)
        }

        /// Hands back `stream`, which threw `error`: returns when another stream may follow (a router
        /// falls back before the first content); otherwise ends the call with `error` and throws it.
        func settle(_ stream: ChatStream, failing error: any Error) throws {
            if fallsBack && !stream.hasContent {
                handoff.handBack(failing: error)
                return
            }
            handoff.release(failing: error)
            throw error
        }

        /// Ends the call as cancelled, unless the consumer already read it to the end.
        func cancel() {
            handoff.cancel(SluiceError(.cancelled, "the stream was cancelled or released unread"))
        }

        deinit {
            cancel()
        }
    }

    /// Hands each stream from the call's task to the consumer, and the consumer's verdict on it back.
    final class Handoff: Sendable {
        /// The consumer's verdict on the stream it reads.
        private enum Verdict {
            case reading
            /// It read the last event.
            case done
            /// It stopped on `error` (the stream's failure, or its own cancellation).
            case failed(any Error)
        }

        private struct State {
            /// The stream served last.
            var stream: ChatStream?
            var verdict = Verdict.reading
            /// Why the consumer stopped for good (cancelled, released), if it did.
            var stopped: (any Error)?
            /// The error the call ended with, if it failed.
            var ended: (any Error)?
            var consumers: [CheckedContinuation<ChatStream, any Error>] = []
            var producer: CheckedContinuation<Void, any Error>?

            var failed: Bool {
                if case .failed = verdict { true } else { false }
            }

            mutating func takeProducer() -> CheckedContinuation<Void, any Error>? {
                defer { producer = nil }
                return producer
            }

            mutating func takeConsumers() -> [CheckedContinuation<ChatStream, any Error>] {
                defer { consumers = [] }
                return consumers
            }
        }

        private let state = Mutex(State())
        private let producerTask = Mutex<Task<Void, Never>?>(nil)

        var readyStream: ChatStream? { state.withLock { $0.stream } }

        func attach(_ task: Task<Void, Never>) {
            producerTask.withLock { $0 = task }
        }

        /// The call's current stream, once its head arrived; throws the call's error, a cancellation,
        /// or the error the consumer stopped on.
        func stream() async throws -> ChatStream {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let resumeNow: Result<ChatStream, any Error>? = state.withLock { state in
                        if let stopped = state.stopped { return .failure(stopped) }
                        if let stream = state.stream, !state.failed { return .success(stream) }
                        if let ended = state.ended { return .failure(ended) }
                        if Task.isCancelled {
                            return .failure(SluiceError(.cancelled, "the stream's consumer was cancelled"))
                        }
                        state.consumers.append(continuation)
                        return nil
                    }
                    if let resumeNow { continuation.resume(with: resumeNow) }
                }
            } onCancel: {
                cancel(SluiceError(.cancelled, "the stream's consumer was cancelled"))
            }
        }

        /// Serves `stream` to the consumer (it is refused at once if the consumer stopped).
        func deliver(_ stream: ChatStream) {
            let consumers = state.withLock { state -> [CheckedContinuation<ChatStream, any Error>] in
                state.stream = stream
                if let stopped = state.stopped {
                    state.verdict = .failed(stopped)
                    return []
                }
                state.verdict = .reading
                return state.takeConsumers()
            }
            for consumer in consumers { consumer.resume(returning: stream) }
        }

        /// Ends the wait of every consumer with `error`: the call ended with it. A stream already
        /// being read stays.
        func fail(_ error: any Error) {
            let consumers = state.withLock { state in
                state.ended = error
                return state.takeConsumers()
            }
            for consumer in consumers { consumer.resume(throwing: error) }
        }

        /// Lets the call end: the consumer read the last event. Idempotent; the first verdict stands.
        func release() {
            let producer = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard case .reading = state.verdict else { return nil }
                state.verdict = .done
                return state.takeProducer()
            }
            producer?.resume()
        }

        /// Hands the stream back to the call with `error` (which may serve another), without stopping.
        func handBack(failing error: any Error) {
            let producer = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard case .reading = state.verdict else { return nil }
                state.verdict = .failed(error)
                return state.takeProducer()
            }
            producer?.resume(throwing: error)
        }

        /// Lets the call end with `error`: the consumer stopped on it, was cancelled or is gone.
        /// Returns `false`, and changes nothing, when the consumer was already done.
        @discardableResult
        func release(failing error: any Error) -> Bool {
            typealias Waiters = (CheckedContinuation<Void, any Error>?, [CheckedContinuation<ChatStream, any Error>])
            let waiters = state.withLock { state -> Waiters? in
                if case .done = state.verdict { return nil }
                guard state.stopped == nil else { return nil }
                state.stopped = error
                if case .reading = state.verdict { state.verdict = .failed(error) }
                return (state.takeProducer(), state.takeConsumers())
            }
            guard let waiters else { return false }
            waiters.0?.resume(throwing: error)
            for consumer in waiters.1 { consumer.resume(throwing: error) }
            return true
        }

        /// Ends the call with `error` and cancels its task, unless the consumer was already done.
        func cancel(_ error: any Error) {
            if release(failing: error) { producerTask.withLock { $0 }?.cancel() }
        }

        /// Returns when the consumer read the stream to the end; throws why it stopped early, if it
        /// did, or a cancellation if the call's task was cancelled.
        func waitForRelease() async throws {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let resumeNow: Result<Void, any Error>? = state.withLock { state in
                        switch state.verdict {
                        case .done: return .success(())
                        case .failed(let error): return .failure(error)
                        case .reading:
                            if Task.isCancelled { return .failure(CancellationError()) }
                            state.producer = continuation
                            return nil
                        }
                    }
                    if let resumeNow { continuation.resume(with: resumeNow) }
                }
            } onCancel: {
                state.withLock { $0.takeProducer() }?.resume(throwing: CancellationError())
            }
        }
    }
}
