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
        try await withCall {
            let adapter = configuration.adapter
            let prepared = configuration.defaults.apply(to: request)
            var context = chatContext(prepared, streaming: true, options: options)
            // The stream reports content here, so the attempt's timers count from content, not bytes.
            let progress = StreamProgress()
            context.streamProgress = progress
            // `first_token` latency counts from here: waits and earlier attempts included.
            let callStarted = context.events.isEnabled ? configuration.clock.now : .zero
            return try await perform(context) {
                let httpRequest = try adapter.chatRequest(prepared, stream: true, endpoint: endpoint)
                let response = try await chain.send(httpRequest, context: context)
                guard (200..<300).contains(response.status) else {
                    throw try await providerError(response)
                }
                let stream = ChatStream(
                    body: response.body,
                    decoder: adapter.makeStreamDecoder(),
                    provider: adapter.provider,
                    requestID: Self.requestID(response.headers),
                    usage: context.usage,
                    context: Self.servedContext(context),
                    limits: options.streamLimits ?? configuration.streamLimits,
                    progress: progress,
                    callStarted: callStarted
                )
                defer { response.body.discard() }
                return try await body(stream)
            }
        }
    }

    /// Streams a chat reply, calling `onEvent` for each event, and returns the final reply.
    public func streamChat(
        _ request: ChatRequest,
        options: CallOptions = CallOptions(),
        onEvent: (ChatStreamEvent) throws -> Void = { _ in }
    ) async throws -> ChatResponse {
        try await streamChat(request, options: options) { stream in
            for try await event in stream { try onEvent(event) }
            return stream.snapshot
        }
    }
}
