/// One HTTP request as the middleware stack and the transport see it.
///
/// LLM requests are small JSON documents, so the body is held in memory.
public struct ClientRequest: Sendable {
    public var method: HTTPMethod
    /// An absolute `http` or `https` URL.
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]?
    /// The longest to wait for the response head once the transport has the request, or `nil` for no
    /// limit. A transport whose ``ClientTransport/enforcesResponseHeadTimeout`` is `true` fails the
    /// request with ``SluiceError/Code/responseHeadTimeout`` when it passes; others ignore it (the
    /// ``AttemptTimeoutMiddleware`` then times the head itself).
    public var responseHeadTimeout: Duration?

    public init(
        method: HTTPMethod = .get, url: String, headers: HTTPHeaders = [:], body: [UInt8]? = nil,
        responseHeadTimeout: Duration? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.responseHeadTimeout = responseHeadTimeout
    }
}
