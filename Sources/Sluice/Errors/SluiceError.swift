/// The one error type Sluice throws.
///
/// Every failure a caller can see is a `SluiceError` with a ``Code`` that says what kind of failure it
/// was, a human-readable ``message``, optional context, and the lower-level ``cause`` (for example a
/// ``CurlError``) when there is one. Errors are wrapped once: a layer that receives a `SluiceError`
/// passes it on unchanged rather than wrapping it again.
///
/// Match on the code:
///
/// ```swift
/// do {
///     let response = try await transport.send(request)
///     print(response.status)
/// } catch let error as SluiceError where error.code == .connectionRefused {
///     // the server is not listening
/// }
/// ```
///
/// - Important: API keys never appear in a `SluiceError`'s message or description: Sluice redacts
///   provider text before it builds an error, and the description, debug description and mirror
///   (`dump`) pass the message through the same redaction again, so an error you build yourself
///   with a key-like token in its message does not print it either.
public struct SluiceError: Error, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable, Sendable {
    /// What kind of failure this is. Extensible: new codes are added as static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A stable, machine-readable name such as `connection_refused`.
        public let name: String

        public init(_ name: String) { self.name = name }

        public var description: String { name }

        // MARK: Request validation

        /// The URL could not be parsed or uses a scheme the transport does not speak.
        public static let invalidURL = Code("invalid_url")
        /// A header name or value is not allowed on the wire (for example it contains CR or LF).
        public static let invalidHeader = Code("invalid_header")
        /// The request cannot be sent as given for another reason than its URL or headers (for example
        /// its method is not an HTTP token).
        public static let invalidRequest = Code("invalid_request")

        // MARK: Transport

        /// Nothing listens at the address, or the connection was refused.
        public static let connectionRefused = Code("connection_refused")
        /// The host name could not be resolved.
        public static let dnsFailure = Code("dns_failure")
        /// The TLS handshake failed or the peer's certificate was not trusted.
        public static let tlsFailure = Code("tls_failure")
        /// A transport-level time limit was reached (connect, or a low-speed limit).
        public static let timeout = Code("timeout")
        /// The connection was reset or closed before the response was complete.
        public static let connectionClosed = Code("connection_closed")
        /// The peer answered with something that is not a valid HTTP response.
        public static let invalidResponse = Code("invalid_response")
        /// A response body was larger than the limit the caller set.
        public static let bodyTooLarge = Code("body_too_large")
        /// The response body was already consumed (a body can be read once).
        public static let bodyAlreadyConsumed = Code("body_already_consumed")
        /// The client or transport was shut down while the request was in flight, or before it started.
        public static let shutdown = Code("shutdown")
        /// The proxy could not be reached or refused the request.
        public static let proxyFailure = Code("proxy_failure")
        /// Any other transport failure; the ``SluiceError/cause`` has the details.
        public static let transportFailure = Code("transport_failure")
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable description of the failure. Never contains an API key.
    public var message: String
    /// The HTTP status of the response that caused this error, when there was one.
    public var status: Int?
    /// The lower-level error this one wraps, if any (for example a ``CurlError``).
    public var cause: (any Error)?
    /// What the provider's error body said, when there was one: its error type
    /// (`rate_limit_error`, `invalid_request_error`, `overloaded_error`, …) and code
    /// (`insufficient_quota`, `rate_limit_exceeded`, …).
    public var providerError: ProviderErrorDetails?
    /// The provider's request id (`x-request-id` or `request-id`), for support tickets.
    public var requestID: String?
    /// For a stream that failed after data arrived: the reply so far, with the usage reported so far.
    public var partialResponse: ChatResponse?
    /// The status and headers of the provider's answer this error was built from, when there was one
    /// (the `with_raw_response` view of an error: `retry-after`, the rate-limit headers, the request
    /// id).
    public var responseHead: HTTPResponseHead?
    /// Whether the client refused the request before any of it left the process: a spend budget, a
    /// full admission queue, a wait that could not end before the deadline, a request larger than
    /// its limits. Such a call cost nothing at the provider, so the rate limiter refunds what it
    /// reserved for it, and it is safe to send again. `false` does not mean the request was sent:
    /// only that nothing vouches it was not.
    public var neverSent: Bool = false

    public init(
        _ code: Code,
        _ message: String,
        status: Int? = nil,
        cause: (any Error)? = nil,
        providerError: ProviderErrorDetails? = nil,
        requestID: String? = nil,
        partialResponse: ChatResponse? = nil,
        neverSent: Bool = false
    ) {
        self.code = code
        self.neverSent = neverSent
        self.message = message
        self.status = status
        self.cause = cause
        self.providerError = providerError
        self.requestID = requestID
        self.partialResponse = partialResponse
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let status { text += " (HTTP \(status))" }
        if let type = providerError?.type { text += " [\(type)" + (providerError?.code.map { "/\($0)" } ?? "") + "]" }
        if let requestID { text += " request id \(requestID)" }
        return SecretRedaction.redact(text)
    }

    /// The fields, with the message redacted; the cause by its debug description, redacted.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "code": code,
                "message": SecretRedaction.redact(message),
                "status": status as Any,
                "cause": cause.map { SecretRedaction.redact(String(reflecting: $0)) } as Any,
                "providerError": providerError as Any,
                "requestID": requestID.map { SecretRedaction.redact($0) } as Any,
                "partialResponse": partialResponse as Any,
                "responseHead": responseHead as Any,
                "neverSent": neverSent,
            ],
            displayStyle: .struct
        )
    }

    public var debugDescription: String {
        var text = description
        if let cause { text += " [cause: \(SecretRedaction.redact(String(reflecting: cause)))]" }
        return text
    }
}
