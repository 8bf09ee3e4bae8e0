extension OpenAIAdapter {
    /// `POST {baseURL}/chat/completions` with the body from `OpenAIChatRequestEncoder`.
    public func chatRequest(_ request: ChatRequest, stream: Bool, endpoint: ProviderEndpoint) throws -> ClientRequest {
        let body = try OpenAIChatRequestEncoder(maxTokensField: maxTokensField, includeStreamUsage: includeStreamUsage)
            .encode(request, stream: stream)
        return ClientRequest(
            method: .post,
            url: endpoint.url("/chat/completions"),
            headers: headers(endpoint: endpoint, accept: stream ? "text/event-stream" : "application/json"),
            body: body
        )
    }

    /// `POST {baseURL}/embeddings` with the body from `OpenAIEmbeddingsCoder`.
    public func embeddingsRequest(_ request: EmbeddingsRequest, endpoint: ProviderEndpoint) throws -> ClientRequest {
        ClientRequest(
            method: .post,
            url: endpoint.url("/embeddings"),
            headers: headers(endpoint: endpoint, accept: "application/json"),
            body: OpenAIEmbeddingsCoder.encode(request)
        )
    }
}
