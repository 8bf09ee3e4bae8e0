extension RateLimitSnapshot {
    /// The remaining counts in `x-ratelimit-remaining-*` and `anthropic-ratelimit-*-remaining`, or `nil`
    /// when the response has none.
    init?(headers: HTTPHeaders) {
        func int(_ name: String) -> Int? { headers[name].flatMap { WireNumber.count($0) } }
        let snapshot = RateLimitSnapshot(
            remainingRequests: int("x-ratelimit-remaining-requests") ?? int("anthropic-ratelimit-requests-remaining"),
            remainingTokens: int("x-ratelimit-remaining-tokens") ?? int("anthropic-ratelimit-tokens-remaining"),
            remainingInputTokens: int("anthropic-ratelimit-input-tokens-remaining"),
            remainingOutputTokens: int("anthropic-ratelimit-output-tokens-remaining")
        )
        guard snapshot != RateLimitSnapshot() else { return nil }
        self = snapshot
    }
}
