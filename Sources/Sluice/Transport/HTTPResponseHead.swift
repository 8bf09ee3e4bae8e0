/// The status line and headers of the HTTP response a reply, a stream or an error came from — the
/// raw response the official SDKs give with `with_raw_response`, without a second call.
///
/// Every reply carries the head of the answer it was decoded from (``ChatResponse/responseHead``,
/// ``EmbeddingsResponse/responseHead``, ``ResponsesResponse/responseHead``), a stream carries it from
/// its start (``ChatStream/responseHead``), and an error built from a provider's answer carries the
/// head of that answer (``SluiceError/responseHead``):
///
/// ```swift
/// let reply = try await client.chat(request)
/// if let head = reply.responseHead {
///     print(head.status, head.requestID ?? "-", head.headers["x-ratelimit-remaining-tokens"] ?? "-")
/// }
/// ```
///
/// After retries, it is the head of the attempt that produced the reply or the error.
///
/// - Important: The headers are the server's, as received. Their description and mirror (`dump`)
///   redact credential headers and key-like values like every ``HTTPHeaders``.
public struct HTTPResponseHead: Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status code.
    public var status: Int
    /// The response headers, in the order received.
    public var headers: HTTPHeaders

    public init(status: Int, headers: HTTPHeaders) {
        self.status = status
        self.headers = headers
    }

    /// The head of `response`.
    public init(_ response: ClientResponse) {
        self.init(status: response.status, headers: response.headers)
    }

    /// The provider's request id (`x-request-id`, or Anthropic's `request-id`), for support tickets.
    public var requestID: String? { LLMClient.requestID(headers) }

    public var description: String { "HTTP \(status) \(headers)" }
}
