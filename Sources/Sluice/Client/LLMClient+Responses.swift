extension LLMClient {
    /// Sends a Responses API request (`POST /v1/responses`) and returns the whole reply.
    ///
    /// It goes through the same layers as ``chat(_:options:)``: the rate limiter reserves the input
    /// estimate plus ``ResponsesRequest/maxOutputTokens`` (or
    /// ``Configuration/assumedMaxOutputTokens``), and retries, timeouts, hooks, usage and cost apply.
    /// An empty model takes ``Configuration/defaults``' model, and a request without
    /// `max_output_tokens` takes its ``LLMClient/Configuration/ChatDefaults/maxOutputTokens``; its
    /// temperature is not applied (reasoning models reject one).
    ///
    /// Throws what ``chat(_:options:)`` throws, and ``SluiceError/Code/unsupported`` for a provider
    /// without the Responses API (Anthropic).
    ///
    /// ```swift
    /// let reply = try await client.createResponse(ResponsesRequest(model: "gpt-5-mini", input: "Hi"))
    /// print(reply.outputText, reply.usage?.totalTokens ?? 0)
    /// ```
    public func createResponse(_ request: ResponsesRequest, options: CallOptions = CallOptions()) async throws
        -> ResponsesResponse
    {
        try await run(ResponsesOperation(request: withDefaults(request)), options: options)
    }

    /// Streams a Responses API reply: `body` reads the ``ResponsesStream``'s events; when `body`
    /// returns or throws, the transfer ends.
    ///
    /// A non-2xx answer throws the provider's typed error before `body` runs.
    public func streamResponse<Result>(
        _ request: ResponsesRequest,
        options: CallOptions = CallOptions(),
        _ body: (ResponsesStream) async throws -> Result
    ) async throws -> Result {
        let operation = StreamResponsesOperation(request: withDefaults(request))
        return try await run(operation, options: options) { stream in try await body(stream) }
    }

    /// Streams a Responses API reply, calling `onEvent` for each event, and returns the final response.
    public func streamResponse(
        _ request: ResponsesRequest,
        options: CallOptions = CallOptions(),
        onEvent: (ResponsesStreamEvent) throws -> Void = { _ in }
    ) async throws -> ResponsesResponse {
        try await streamResponse(request, options: options) { stream in try await stream.forEachEvent(onEvent) }
    }

    /// `request` with the defaults' model and output limit where it sets none.
    private func withDefaults(_ request: ResponsesRequest) -> ResponsesRequest {
        let defaults = configuration.defaults
        var request = request
        if request.model.isEmpty, let model = defaults.model { request.model = model }
        if request.maxOutputTokens == nil { request.maxOutputTokens = defaults.maxOutputTokens }
        return request
    }
}
