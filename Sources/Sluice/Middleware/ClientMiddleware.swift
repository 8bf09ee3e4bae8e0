/// A layer around the transport: sees each request on its way out and its response on the way back.
///
/// The shape swift-openapi-runtime, grpc-swift and Hummingbird use. A middleware may change the
/// request, call `next` zero or more times (a retry calls it again), wait before calling it (a rate
/// limiter), and wrap or inspect the response it returns.
///
/// ```swift
/// struct StampMiddleware: ClientMiddleware {
///     func intercept(
///         _ request: ClientRequest, context: ClientContext,
///         next: @Sendable (ClientRequest, ClientContext) async throws -> ClientResponse
///     ) async throws -> ClientResponse {
///         var request = request
///         request.headers.add(name: "x-tenant", value: "blue")
///         return try await next(request, context)
///     }
/// }
/// ```
///
/// - Important: A middleware that holds something for the life of a response (a permit, a token
///   reservation, a timer) registers ``ResponseBody/onTermination(_:)`` on the response body it
///   returns and releases it there — never at the response head. A middleware that drops a response
///   (to retry, say) must ``ResponseBody/discard()`` its body.
public protocol ClientMiddleware: Sendable {
    func intercept(
        _ request: ClientRequest,
        context: ClientContext,
        next: @Sendable (ClientRequest, ClientContext) async throws -> ClientResponse
    ) async throws -> ClientResponse
}

/// Middleware applied in order, the first outermost, around a transport.
struct MiddlewareChain: Sendable {
    let middleware: [any ClientMiddleware]
    let transport: any ClientTransport

    // `nonisolated(nonsending)`: the chain runs on its caller's executor, so entering it and each
    // of its levels costs no executor check (a hot path: once per layer per attempt).
    nonisolated(nonsending) func send(_ request: ClientRequest, context: ClientContext) async throws -> ClientResponse {
        try await call(0, request, context)
    }

    private nonisolated(nonsending) func call(_ index: Int, _ request: ClientRequest, _ context: ClientContext) async throws -> ClientResponse {
        guard index < middleware.count else { return try await transport.send(request) }
        return try await middleware[index].intercept(request, context: context) { request, context in
            try await self.call(index + 1, request, context)
        }
    }
}
