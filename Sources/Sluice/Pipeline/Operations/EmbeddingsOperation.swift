/// An embeddings call.
struct EmbeddingsOperation: BufferedCallOperation {
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

    /// The provider's reply; the request id from the headers when the body names none.
    func decode(_ body: [UInt8], headers: HTTPHeaders, adapter: any ProviderAdapter) throws -> EmbeddingsResponse {
        var reply = try adapter.decodeEmbeddingsResponse(body, headers: headers)
        if reply.requestID == nil { reply.requestID = LLMClient.requestID(headers) }
        return reply
    }

    func attach(_ head: HTTPResponseHead, to reply: inout EmbeddingsResponse) { reply.responseHead = head }

    /// The reply's usage; `nil` when it counts no token for a non-empty input (a server that omits
    /// `usage`), so the call is settled and counted from its estimate, not as 0 tokens.
    func usage(of reply: EmbeddingsResponse) -> Usage? {
        reply.usage.totalTokens == 0 && !request.inputs.isEmpty ? nil : reply.usage
    }

    func replyDetails(of reply: EmbeddingsResponse) -> ClientEvent.ReplyDetails? {
        ClientEvent.ReplyDetails(model: reply.model.isEmpty ? nil : reply.model)
    }
}
