/// Reads the whole body of a successful non-streaming response inside the retry loop.
///
/// A plain chat or embeddings reply is only useful whole, so a connection that drops while its body
/// arrives is a failed attempt the retry layer may repeat — nothing has reached the caller yet. The
/// client puts this layer just inside ``RetryMiddleware``; streams pass through untouched (once a
/// stream's bytes reach the caller it is never retried).
struct BufferingMiddleware: ClientMiddleware {
    /// The largest body accepted; a larger one fails with ``SluiceError/Code/bodyTooLarge``.
    let maxBytes: Int

    func intercept(
        _ request: ClientRequest,
        context: ClientContext,
        next: @Sendable (ClientRequest, ClientContext) async throws -> ClientResponse
    ) async throws -> ClientResponse {
        let response = try await next(request, context)
        guard !context.isStreaming, (200..<300).contains(response.status) else { return response }
        let bytes = try await response.body.collect(upTo: maxBytes)
        return ClientResponse(status: response.status, headers: response.headers, body: ResponseBody(bytes: bytes))
    }
}
