/// A chat operation, plain or streamed: its model and token estimate come from its request.
protocol ChatCallOperation: CallOperation {
    /// The request with the client's defaults applied.
    var request: ChatRequest { get }
}

extension ChatCallOperation {
    var model: String { request.model }

    func requestDetails() -> ClientEvent.RequestDetails {
        ClientEvent.RequestDetails(
            maxOutputTokens: request.maxOutputTokens, temperature: request.temperature, topP: request.topP,
            stopSequences: request.stopSequences, seed: request.seed)
    }

    /// The prompt by the client's estimator, and the request's `max_tokens` or the client's
    /// assumption. Thinking tokens are output: without a `max_tokens`, a thinking budget is added
    /// to the assumption, as the Anthropic adapter adds it to the `max_tokens` it sends.
    func tokenEstimate(_ configuration: LLMClient.Configuration) -> TokenEstimate {
        let budget = request.thinking?.reservedBudget ?? 0
        return TokenEstimate(
            input: configuration.tokenEstimator.estimateInputTokens(request),
            maxOutput: request.maxOutputTokens ?? configuration.assumedMaxOutputTokens.saturatingAdding(budget)
        )
    }
}
