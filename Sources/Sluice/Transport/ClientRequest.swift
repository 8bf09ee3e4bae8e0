/// One HTTP request as the middleware stack and the transport see it.
///
/// LLM requests are small JSON documents, so the body is held in memory.
///
/// - Important: The description, debug description and mirror (`dump`) show credential headers as
///   `<redacted>` (see ``HTTPHeaders``), the URL without user information or credential query
///   parameters, and the body's size rather than its bytes.
public struct ClientRequest: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
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

    public var description: String {
        "\(method) \(SecretRedaction.redactingURL(url)) \(headers)" + (body.map { " (\($0.count) bytes)" } ?? "")
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "method": method, "url": SecretRedaction.redactingURL(url), "headers": headers,
                "bodyBytes": body?.count as Any, "responseHeadTimeout": responseHeadTimeout as Any,
            ],
            displayStyle: .struct
        )
    }
}
