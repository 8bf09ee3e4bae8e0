/// Emits `attempt_started` and `response_head` (with the provider's rate-limit headers) for every
/// attempt. The client puts it innermost, just above the transport, so the head's time is the
/// transport's. With no handler in scope it costs one branch.
struct AttemptEventsMiddleware: ClientMiddleware {
    func intercept(
        _ request: ClientRequest,
        context: ClientContext,
        next: @Sendable (ClientRequest, ClientContext) async throws -> ClientResponse
    ) async throws -> ClientResponse {
        guard context.events.isEnabled else { return try await next(request, context) }
        context.events.emit(.attemptStarted, context)
        let response = try await next(request, context)
        context.events.emit(.responseHead, context) { event in
            event.status = response.status
            event.rateLimit = RateLimitSnapshot(headers: response.headers)
        }
        return response
    }
}

extension RateLimitSnapshot {
    /// The remaining counts in `x-ratelimit-remaining-*` and `anthropic-ratelimit-*-remaining`, or `nil`
    /// when the response has none.
    init?(headers: HTTPHeaders) {
        func int(_ name: String) -> Int? { headers[name].flatMap { Int($0) } }
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
