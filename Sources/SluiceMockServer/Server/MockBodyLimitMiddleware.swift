import Hummingbird

/// Answers a request whose `content-length` is beyond ``MockServerConfiguration/maxRequestBodySize``
/// with 413 from its head, in the shape of the provider that owns the path, and closes the
/// connection: the body is never read, so a client that promises gigabytes and sends nothing is not
/// waited for. A body without a declared length is capped where it is read.
struct MockBodyLimitMiddleware: RouterMiddleware {
    typealias Context = MockRequestContext

    let engine: MockServerEngine

    /// Whether `headers` declare a body longer than `cap` (an unparseable length counts as longer).
    static func declaresTooLong(_ headers: HTTPFields, cap: Int) -> Bool {
        guard let declared = headers[.contentLength] else { return false }
        guard let length = Int(declared) else { return true }
        return length > cap
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let cap = self.engine.configuration.maxRequestBodySize
        guard Self.declaresTooLong(request.headers, cap: cap) else { return try await next(request, context) }
        self.engine.recordBadRequest()
        var response = MockHTTP.bodyTooLarge(anthropicShape: request.uri.path.hasPrefix("/v1/messages"), cap: cap)
        response.headers[.connection] = "close"
        return response
    }
}
