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
/// ``LLMClient/chatStream(_:options:)``.
///
/// One consumer at a time: iterate it from one task (a second iterator continues where the first
/// stopped).
public struct ChatEventStream: AsyncSequence, Sendable {
    public typealias Element = ChatStreamEvent

    private let owner: Owner

    init(client: LLMClient, request: ChatRequest, options: CallOptions) {
        owner = Owner(client: client, request: request, options: options)
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(owner: owner) }

    /// Reads the events not yet read and returns the whole reply.
    public func finalResponse() async throws -> ChatResponse {
        let stream = try await owner.handoff.stream()
        do {
            let reply = try await stream.finalResponse()
            owner.handoff.release()
            return reply
        } catch {
            owner.handoff.release(failing: error)
            throw error
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
            let stream = try await owner.handoff.stream()
            var iterator = stream.makeAsyncIterator()
            do {
                let event = try await iterator.next()
                if event == nil { owner.handoff.release() }
                return event
            } catch {
                owner.handoff.release(failing: error)
                throw error
            }
        }
    }

    /// Runs the call and ends it when the last holder of the stream lets go.
    final class Owner: Sendable {
        let handoff = Handoff()
        private let producer: Task<Void, Never>

        init(client: LLMClient, request: ChatRequest, options: CallOptions) {
            let handoff = handoff
            producer = Task {
                do {
                    try await client.streamChat(request, options: options) { stream in
                        handoff.deliver(stream)
                        try await handoff.waitForRelease()
                    }
                } catch {
                    handoff.fail(error)
                }
            }
        }

        /// Ends the call as cancelled, unless the consumer already read it to the end.
        func cancel() {
            if handoff.release(failing: SluiceError(.cancelled, "the stream was cancelled or released unread")) {
                producer.cancel()
            }
        }

        deinit {
            cancel()
        }
    }

    /// Hands the stream from the call's task to the consumer, and the consumer's "done" back.
    final class Handoff: Sendable {
        private enum Phase {
            case waiting([CheckedContinuation<ChatStream, any Error>])
            case ready(ChatStream)
            case failed(any Error)
        }

        private let phase = Mutex(Phase.waiting([]))
        /// Whether the consumer is done with the call, and why it stopped early if it did (the call
        /// ends with that error).
        private let outcome = Mutex<(done: Bool, failure: (any Error)?)>((false, nil))
        private let released: AsyncStream<Void>
        private let releaseSignal: AsyncStream<Void>.Continuation

        init() {
            (released, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        }

        var readyStream: ChatStream? {
            phase.withLock { if case .ready(let stream) = $0 { stream } else { nil } }
        }

        /// The call's stream, once its head arrived; throws the call's error, a cancellation, or the
        /// error the consumer stopped on.
        func stream() async throws -> ChatStream {
            if let error = outcome.withLock({ $0.failure }) { throw error }
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let resumeNow: Result<ChatStream, any Error>? = phase.withLock { phase in
                        switch phase {
                        case .ready(let stream): return .success(stream)
                        case .failed(let error): return .failure(error)
                        case .waiting(var waiters):
                            if Task.isCancelled { return .failure(SluiceError(.cancelled, "the stream's consumer was cancelled")) }
                            waiters.append(continuation)
                            phase = .waiting(waiters)
                            return nil
                        }
                    }
                    if let resumeNow { continuation.resume(with: resumeNow) }
                }
            } onCancel: {
                let cancelled = SluiceError(.cancelled, "the stream's consumer was cancelled")
                fail(cancelled)
                release(failing: cancelled)
            }
        }

        func deliver(_ stream: ChatStream) {
            let waiters = phase.withLock { phase -> [CheckedContinuation<ChatStream, any Error>] in
                guard case .waiting(let waiters) = phase else { return [] }
                phase = .ready(stream)
                return waiters
            }
            for waiter in waiters { waiter.resume(returning: stream) }
        }

        /// Ends the wait of every consumer with `error`; a stream already delivered stays.
        func fail(_ error: any Error) {
            let waiters = phase.withLock { phase -> [CheckedContinuation<ChatStream, any Error>] in
                guard case .waiting(let waiters) = phase else { return [] }
                phase = .failed(error)
                return waiters
            }
            for waiter in waiters { waiter.resume(throwing: error) }
        }

        /// Lets the call end: the consumer read the last event. Idempotent; the first release stands.
        func release() {
            outcome.withLock { $0.done = true }
            releaseSignal.finish()
        }

        /// Lets the call end with `error`: the consumer stopped on it, was cancelled or is gone.
        /// Returns `false`, and changes nothing, when the consumer was already done.
        @discardableResult
        func release(failing error: any Error) -> Bool {
            let first = outcome.withLock { outcome in
                guard !outcome.done else { return false }
                outcome = (true, error)
                return true
            }
            releaseSignal.finish()
            return first
        }

        /// Returns when the consumer is done; throws why it stopped early, if it did, or a
        /// cancellation if the call's task was cancelled.
        func waitForRelease() async throws {
            for await _ in released {}
            if let error = outcome.withLock({ $0.failure }) { throw error }
            try Task.checkCancellation()
        }
    }
}
