extension LLMRouter {
    /// Starts a streamed chat through the first deployment that serves it and returns its events as an
    /// `AsyncSequence` that can leave the function that made it; see ``LLMClient/chatStream(_:options:)``.
    ///
    /// ```swift
    /// func answer(_ question: String) -> ChatEventStream {
    ///     router.chatStream(ChatRequest(model: "gpt-4o-mini", messages: [.user(question)]))
    /// }
    /// ```
    ///
    /// It falls back as ``streamChat(_:options:_:)`` does, only before the first content: on an error
    /// answer, or on a failure before any content, the next event comes from the next deployment's
    /// stream (the consumer may have seen a failed stream's role-only events, never its text). After the
    /// first content, `next()` throws the client's typed mid-stream error, with
    /// ``SluiceError/partialResponse``. The routed call — its deployment's count in flight and any
    /// half-open probe — ends when the consumer reads the last event, when the consuming task is
    /// cancelled, when ``ChatEventStream/cancel()`` is called, or when the stream is released unread.
    public func chatStream(_ request: ChatRequest, options: CallOptions = CallOptions()) -> ChatEventStream {
        ChatEventStream(fallsBack: true) { [self] serve in
            try await streamChat(request, options: options) { stream in try await serve(stream) }
        }
    }

    /// Sends a Responses API request to the first deployment that serves it and returns the whole
    /// reply; see ``LLMClient/createResponse(_:options:)``. Falls back as ``chat(_:options:)`` does; a
    /// deployment whose provider has no Responses API (Anthropic) throws
    /// ``SluiceError/Code/unsupported``, which is not fallen back on.
    public func createResponse(_ request: ResponsesRequest, options: CallOptions = CallOptions()) async throws
        -> ResponsesResponse
    {
        try await route(.responses, model: request.model, options: options) { deployment in
            try await deployment.client.createResponse(
                Self.request(request, on: deployment, model: \.model), options: options)
        }
    }

    /// Streams a Responses API reply from the first deployment that serves it; see
    /// ``LLMClient/streamResponse(_:options:_:)``.
    ///
    /// Falls back as ``streamChat(_:options:_:)`` does: only before the stream's first content (a text,
    /// function-call arguments or reasoning delta), so `body` may run again with the next deployment's
    /// stream; after it, the typed mid-stream error with ``SluiceError/partialResponse`` is thrown as is.
    public func streamResponse<Result>(
        _ request: ResponsesRequest,
        options: CallOptions = CallOptions(),
        _ body: (ResponsesStream) async throws -> Result
    ) async throws -> Result {
        try await routeStream(
            .streamResponses, model: request.model, options: options, hasContent: { $0.events.hasContent }, body
        ) { deployment, body in
            try await deployment.client.streamResponse(
                Self.request(request, on: deployment, model: \.model), options: options, body)
        }
    }

    /// Streams a Responses API reply, calling `onEvent` for each event, and returns the final
    /// response; falls back as ``streamResponse(_:options:_:)`` does, so `onEvent` may see a failed
    /// stream's events before its first content.
    public func streamResponse(
        _ request: ResponsesRequest,
        options: CallOptions = CallOptions(),
        onEvent: (ResponsesStreamEvent) throws -> Void = { _ in }
    ) async throws -> ResponsesResponse {
        try await streamResponse(request, options: options) { stream in try await stream.forEachEvent(onEvent) }
    }

    /// Routes a streamed call: `open` streams from one deployment into the body it is given. A failure
    /// before the stream's first content (`hasContent`) falls back as any failure does; one after it is
    /// thrown as is.
    func routeStream<Stream, Result>(
        _ operation: ClientContext.Operation,
        model: String,
        options: CallOptions,
        hasContent: @escaping (Stream) -> Bool,
        _ body: (Stream) async throws -> Result,
        open: (Deployment, (Stream) async throws -> Result) async throws -> Result
    ) async throws -> Result {
        // `open` is a closure parameter: calling it with a closure over `body` needs `body` escaping
        // for the compiler; it does not escape, each call ends before `route` returns.
        try await withoutActuallyEscaping(body) { body in
            try await route(operation, model: model, options: options) { deployment in
                var contentArrived = false
                do {
                    return try await open(deployment) { stream in
                        do {
                            return try await body(stream)
                        } catch {
                            contentArrived = hasContent(stream)
                            throw error
                        }
                    }
                } catch {
                    if contentArrived { throw CommittedStreamFailure(error: error) }
                    throw error
                }
            }
        }
    }
}
