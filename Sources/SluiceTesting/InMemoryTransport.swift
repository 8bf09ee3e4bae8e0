import Sluice
import Synchronization

/// A ``ClientTransport`` that answers from a closure, for unit tests of middleware and clients.
///
/// ```swift
/// let transport = InMemoryTransport { request in
///     ClientResponse(status: 200, body: ResponseBody(bytes: Array("{}".utf8)))
/// }
/// ```
///
/// It records every request it receives, in order.
public final class InMemoryTransport: ClientTransport {
    public typealias Handler = @Sendable (ClientRequest) async throws -> ClientResponse

    private let handler: Handler
    private let recorded = Mutex<[ClientRequest]>([])

    public init(_ handler: @escaping Handler) {
        self.handler = handler
    }

    /// The requests received so far, in order.
    public var requests: [ClientRequest] { recorded.withLock { $0 } }

    public nonisolated(nonsending) func send(_ request: ClientRequest) async throws -> ClientResponse {
        for field in request.headers { try HTTPHeaders.validate(field) }
        recorded.withLock { $0.append(request) }
        try Task.checkCancellation()
        return try await handler(request)
    }
}
