extension LLMClient {
    /// Streams a chat reply: `body` reads the ``ChatStream``'s events; when `body` returns or throws,
    /// the transfer ends (the rest of the reply is not downloaded).
    ///
    /// A non-2xx answer throws the provider's typed error before `body` runs. OpenAI streams ask for
    /// usage (`stream_options.include_usage`) by default, so the final reply has token counts.
    ///
    /// The stream ends at the provider's end marker without waiting for the server to close the
    /// connection, and is bounded by ``StreamLimits`` (``Configuration/streamLimits``, or
    /// ``CallOptions/streamLimits`` for this call) and by the first-token and idle limits of
    /// ``TimeoutPolicy``, which count from content so that keep-alive pings never keep it open.
    ///
    /// ```swift
    /// try await client.streamChat(request) { stream in
    ///     for try await case .textDelta(let text) in stream { print(text, terminator: "") }
    /// }
    /// ```
    public func streamChat<Result>(
        _ request: ChatRequest,
        options: CallOptions = CallOptions(),
        _ body: (ChatStream) async throws -> Result
    ) async throws -> Result {
        let operation = StreamChatOperation(request: configuration.defaults.apply(to: request))
        return try await run(operation, options: options) { stream in try await body(stream) }
    }

    /// Streams a chat reply, calling `onEvent` for each event, and returns the final reply.
    public func streamChat(
        _ request: ChatRequest,
        options: CallOptions = CallOptions(),
        onEvent: (ChatStreamEvent) throws -> Void = { _ in }
    ) async throws -> ChatResponse {
        try await streamChat(request, options: options) { stream in try await stream.forEachEvent(onEvent) }
    }

    /// Sends `request` through the chain; a stream's request from a child task.
    ///
    /// A task's allocator keeps every slab its async frames ever needed until the task ends, so a
    /// stream read on the task that sent it would hold the layers' frames of the send (the deepest
    /// stack of the call) for as long as it is read. Sent from a child task, those frames are freed
    /// once the response head is in, and the stream holds only the frames of its reading. The child
    /// inherits the caller's task-local values, and cancelling the caller cancels it; the layers of
    /// the send run on the global executor rather than the caller's.
    nonisolated(nonsending) func send(_ request: ClientRequest, context: ClientContext) async throws -> ClientResponse {
        guard context.isStreaming else { return try await chain.send(request, context: context) }
        let chain = chain
        return try await withThrowingTaskGroup(of: ClientResponse.self) { group in
            group.addTask { try await chain.send(request, context: context) }
            guard let response = try await group.next() else { throw CancellationError() }
            return response
        }
    }
}
