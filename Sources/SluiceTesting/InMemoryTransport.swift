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
/// It records every request it receives, in order. A transport made with ``immediate(_:)`` answers
/// synchronously: it can never keep a request waiting, so it enforces any
/// ``ClientRequest/responseHeadTimeout`` trivially (``enforcesResponseHeadTimeout`` is `true`), as a
/// transport with timers of its own does; one made with an async handler leaves the head limit to
/// ``AttemptTimeoutMiddleware``.
public final class InMemoryTransport: ClientTransport {
    public typealias Handler = @Sendable (ClientRequest) async throws -> ClientResponse
    public typealias SynchronousHandler = @Sendable (ClientRequest) throws -> ClientResponse

    private enum Answer {
        case async(Handler)
        case sync(SynchronousHandler)
    }

    private let answer: Answer
    private let recorded = Mutex<[ClientRequest]>([])

    public init(_ handler: @escaping Handler) {
        answer = .async(handler)
    }

    private init(synchronous respond: @escaping SynchronousHandler) {
        answer = .sync(respond)
    }

    /// A transport that answers at once, without suspending (a factory rather than an initializer,
    /// so that a trailing closure never picks it by accident).
    ///
    /// ```swift
    /// let transport = InMemoryTransport.immediate { _ in ClientResponse(status: 200, body: ResponseBody(bytes: reply)) }
    /// ```
    public static func immediate(_ respond: @escaping SynchronousHandler) -> InMemoryTransport {
        InMemoryTransport(synchronous: respond)
    }

    /// The requests received so far, in order.
    public var requests: [ClientRequest] { recorded.withLock { $0 } }

    public var enforcesResponseHeadTimeout: Bool {
        if case .sync = answer { return true }
        return false
    }

    public nonisolated(nonsending) func send(_ request: ClientRequest) async throws -> ClientResponse {
        for field in request.headers { try HTTPHeaders.validate(field) }
        recorded.withLock { $0.append(request) }
        try Task.checkCancellation()
        switch answer {
        case .async(let handler): return try await handler(request)
        case .sync(let respond): return try respond(request)
        }
    }
}
