/// A layer around the transport: sees each request on its way out and its response on the way back.
///
/// The shape swift-openapi-runtime, grpc-swift and Hummingbird use. A middleware may change the
/// request, call `next` zero or more times (a retry calls it again), wait before calling it (a rate
/// limiter), and wrap or inspect the response it returns.
///
/// ```swift
/// struct StampMiddleware: ClientMiddleware {
///     func intercept(_ request: ClientRequest, context: ClientContext, next: Next) async throws -> ClientResponse {
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
///
/// - Note: Spell the `next` parameter ``Next``. It is a `nonisolated(nonsending)` function: it runs on
///   the caller's executor, so passing a request down costs no executor switch. The alias reads the
///   same whether or not your module enables `NonisolatedNonsendingByDefault`; a plain
///   `@Sendable (ClientRequest, ClientContext) async throws -> ClientResponse` means a different type
///   in each mode and does not conform in a module without the feature.
public protocol ClientMiddleware: Sendable {
    /// The rest of the stack below a middleware: the next layer, or the transport.
    typealias Next = nonisolated(nonsending) @Sendable (ClientRequest, ClientContext) async throws -> ClientResponse

    /// Handles one request: pass it on with `next` (zero or more times) and return a response.
    ///
    /// Requirement is `nonisolated(nonsending)`; a plain `async` implementation conforms too (it then
    /// runs on the global executor).
    nonisolated(nonsending) func intercept(
        _ request: ClientRequest,
        context: ClientContext,
        next: Next
    ) async throws -> ClientResponse
}

/// Middleware applied in order, the first outermost, around a transport.
///
/// Built once per client as a linked list of levels, so that passing a request down a level
/// captures one reference (the next level), not the whole list. The last level sends through the
/// transport and emits the attempt's `attempt_started` and `response_head` events (when a handler
/// listens), so the head's time is the transport's.
struct MiddlewareChain: Sendable {
    private let first: Level

    init(middleware: [any ClientMiddleware], transport: any ClientTransport) {
        var level = Level(middleware: nil, next: nil, transport: transport)
        for layer in middleware.reversed() {
            level = Level(middleware: layer, next: level, transport: transport)
        }
        first = level
    }

    // `nonisolated(nonsending)`: the chain runs on its caller's executor, so entering it and each
    // of its levels costs no executor switch (a hot path: once per layer per attempt).
    nonisolated(nonsending) func send(_ request: ClientRequest, context: ClientContext) async throws -> ClientResponse {
        try await first.send(request, context)
    }

    final class Level: Sendable {
        let middleware: (any ClientMiddleware)?
        let next: Level?
        let transport: any ClientTransport

        init(middleware: (any ClientMiddleware)?, next: Level?, transport: any ClientTransport) {
            self.middleware = middleware
            self.next = next
            self.transport = transport
        }

        nonisolated(nonsending) func send(_ request: ClientRequest, _ context: ClientContext) async throws -> ClientResponse {
            guard let middleware, let next else { return try await sendThroughTransport(request, context) }
            return try await middleware.intercept(request, context: context) { request, context in
                try await next.send(request, context)
            }
        }

        private nonisolated(nonsending) func sendThroughTransport(
            _ request: ClientRequest, _ context: ClientContext
        ) async throws -> ClientResponse {
            guard context.events.isEnabled else { return try await transport.send(request) }
            context.events.emit(.attemptStarted, context)
            var request = request
            context.events.injectTraceContext(context, into: &request.headers)
            let response = try await transport.send(request)
            context.events.emit(.responseHead, context) { event in
                event.status = response.status
                event.rateLimit = RateLimitSnapshot(headers: response.headers)
            }
            return response
        }
    }
}
