/// An embeddings call.
struct EmbeddingsOperation: CallOperation {
    /// The request with the client's default model applied.
    let request: EmbeddingsRequest

    var kind: ClientContext.Operation { .embeddings }
    var model: String { request.model }

    /// The inputs by the client's estimator; embeddings generate no output tokens.
    func tokenEstimate(_ configuration: LLMClient.Configuration) -> TokenEstimate {
        TokenEstimate(input: configuration.tokenEstimator.estimateInputTokens(request), maxOutput: 0)
    }

    func encode(for adapter: any ProviderAdapter, endpoint: ProviderEndpoint) throws -> ClientRequest {
        try adapter.embeddingsRequest(request, endpoint: endpoint)
    }

    nonisolated(nonsending) func decode(
        _ response: ClientResponse,
        client: LLMClient,
        context: ClientContext,
        started: Duration
    ) async throws -> EmbeddingsResponse {
        let body = try await response.body.collect(upTo: client.configuration.maxResponseBytes)
        var reply = try client.configuration.adapter.decodeEmbeddingsResponse(body, headers: response.headers)
        if reply.requestID == nil { reply.requestID = LLMClient.requestID(response.headers) }
        return reply
    }

    func usage(of reply: EmbeddingsResponse) -> Usage? { reply.usage }
}
