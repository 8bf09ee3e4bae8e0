extension LLMRouter {
    /// Sends a chat request to the first deployment that serves it and returns the whole reply.
    ///
    /// A deployment with a ``Deployment/model`` gets the request with that model. Throws the error of a
    /// failure the router does not fall back on as the deployment's client threw it,
    /// ``SluiceError/Code/allDeploymentsFailed``, or ``SluiceError/Code/allCircuitsOpen``.
    public func chat(_ request: ChatRequest, options: CallOptions = CallOptions()) async throws -> ChatResponse {
        try await route(.chat, model: request.model, options: options) { deployment in
            try await deployment.client.chat(Self.request(request, on: deployment, model: \.model), options: options)
        }
    }

    /// Embeds each input through the first deployment that serves the request; vectors come back in
    /// input order.
    public func embed(_ request: EmbeddingsRequest, options: CallOptions = CallOptions()) async throws
        -> EmbeddingsResponse
    {
        try await route(.embeddings, model: request.model, options: options) { deployment in
            try await deployment.client.embed(Self.request(request, on: deployment, model: \.model), options: options)
        }
    }

    /// Streams a chat reply from the first deployment that serves it; see
    /// ``LLMClient/streamChat(_:options:_:)-(_,_,(ChatStream)->Result)``.
    ///
    /// The router falls back only before the stream's first content (see
    /// ``ChatStreamEvent/isContent``): on an error answer, or on an error `body` meets before any
    /// content arrived, `body` runs again with the next deployment's stream — so it may have seen a
    /// failed stream's role-only events, never its text. After the first content, an error is thrown
    /// as is: the client's typed mid-stream error, with ``SluiceError/partialResponse``.
    public func streamChat<Result>(
        _ request: ChatRequest,
        options: CallOptions = CallOptions(),
        _ body: (ChatStream) async throws -> Result
    ) async throws -> Result {
        try await routeStream(
            .streamChat, model: request.model, options: options, hasContent: { $0.hasContent }, body
        ) { deployment, body in
            try await deployment.client.streamChat(
                Self.request(request, on: deployment, model: \.model), options: options, body)
        }
    }

    /// Streams a chat reply, calling `onEvent` for each event, and returns the final reply; falls back
    /// as ``streamChat(_:options:_:)`` does, so `onEvent` may see a failed stream's events before its
    /// first content.
    public func streamChat(
        _ request: ChatRequest,
        options: CallOptions = CallOptions(),
        onEvent: (ChatStreamEvent) throws -> Void = { _ in }
    ) async throws -> ChatResponse {
        try await streamChat(request, options: options) { stream in try await stream.forEachEvent(onEvent) }
    }

    /// `request` with the deployment's model in `model`, if the deployment has one.
    static func request<Request>(
        _ request: Request, on deployment: Deployment, model: WritableKeyPath<Request, String>
    ) -> Request {
        guard let replacement = deployment.model else { return request }
        var request = request
        request[keyPath: model] = replacement
        return request
    }
}
