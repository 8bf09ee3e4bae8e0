/// A chat operation, plain or streamed: its model and token estimate come from its request.
protocol ChatCallOperation: CallOperation {
    /// The request with the client's defaults applied.
    var request: ChatRequest { get }
}

extension ChatCallOperation {
    var model: String { request.model }

    /// The prompt by the client's estimator, and the request's `max_tokens` or the client's
    /// assumption.
    func tokenEstimate(_ configuration: LLMClient.Configuration) -> TokenEstimate {
        TokenEstimate(
            input: configuration.tokenEstimator.estimateInputTokens(request),
            maxOutput: request.maxOutputTokens ?? configuration.assumedMaxOutputTokens
        )
    }
}
