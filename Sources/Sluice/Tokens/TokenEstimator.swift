/// Estimates a request's prompt tokens before it is sent, for reserving rate budget.
///
/// Providers admit a request against their tokens-per-minute limit with an estimate of their own
/// (OpenAI's is based on the character count) plus the request's `max_tokens`. Sluice reserves the
/// same way and settles against the real usage afterwards, so an estimate that errs high costs only
/// a little throughput while one that errs low risks 429s.
public protocol TokenEstimator: Sendable {
    func estimateInputTokens(_ request: ChatRequest) -> Int
    func estimateInputTokens(_ request: EmbeddingsRequest) -> Int
    /// The input of a Responses API request. The default applies ``DefaultTokenEstimator``'s rules.
    func estimateInputTokens(_ request: ResponsesRequest) -> Int
}

extension TokenEstimator {
    /// ``DefaultTokenEstimator``'s rules for a Responses API request.
    public func estimateInputTokens(_ request: ResponsesRequest) -> Int {
        DefaultTokenEstimator().estimateInputTokens(request)
    }
}
