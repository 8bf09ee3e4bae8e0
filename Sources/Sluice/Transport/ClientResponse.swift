/// A response head and its streaming body.
///
/// A transport returns the response as soon as the status line and headers have arrived; the body
/// streams afterwards. Whoever holds the response must consume, collect or ``ResponseBody/discard()``
/// the body: until it ends, the transport keeps the connection (and any permits held by middleware).
public struct ClientResponse: Sendable {
    /// The HTTP status code, such as 200 or 429.
    public var status: Int
    public var headers: HTTPHeaders
    public var body: ResponseBody

    public init(status: Int, headers: HTTPHeaders = [:], body: ResponseBody = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
