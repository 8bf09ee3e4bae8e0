/// A chat call answered in one reply.
struct ChatOperation: BufferedCallOperation {
    /// The request with the client's defaults applied.
    let request: ChatRequest

    var kind: ClientContext.Operation { .chat }
    var model: String { request.model }

    func tokenEstimate(_ configuration: LLMClient.Configuration) -> TokenEstimate {
        TokenEstimate(chat: request, configuration)
    }

    func encode(for adapter: any ProviderAdapter, endpoint: ProviderEndpoint) throws -> ClientRequest {
        try adapter.chatRequest(request, stream: false, endpoint: endpoint)
    }

    /// The provider's reply; the request id from the headers when the body names none.
    func decode(_ body: [UInt8], headers: HTTPHeaders, adapter: any ProviderAdapter) throws -> ChatResponse {
        var reply = try adapter.decodeChatResponse(body, headers: headers)
        if reply.requestID == nil { reply.requestID = LLMClient.requestID(headers) }
        return reply
    }

    func usage(of reply: ChatResponse) -> Usage? { reply.usage }
}

extension TokenEstimate {
    /// A chat request's estimate: its prompt by the client's estimator, and its `max_tokens` or the
    /// client's assumption.
    init(chat request: ChatRequest, _ configuration: LLMClient.Configuration) {
        self.init(
            input: configuration.tokenEstimator.estimateInputTokens(request),
            maxOutput: request.maxOutputTokens ?? configuration.assumedMaxOutputTokens
        )
    }
}
