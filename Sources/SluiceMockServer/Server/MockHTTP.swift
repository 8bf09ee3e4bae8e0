import Hummingbird
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Header names and small response builders shared by every provider's routes.
enum MockHTTP {
    typealias HeaderName = HTTPFields.Element.Name

    // Constant, valid header names: the force-unwraps cannot fail.
    static let requestID = HeaderName("x-request-id")!
    static let processingMilliseconds = HeaderName("openai-processing-ms")!
    static let retryAfterMilliseconds = HeaderName("retry-after-ms")!
    static let shouldRetry = HeaderName("x-should-retry")!
    static let limitRequests = HeaderName("x-ratelimit-limit-requests")!
    static let limitTokens = HeaderName("x-ratelimit-limit-tokens")!
    static let remainingRequests = HeaderName("x-ratelimit-remaining-requests")!
    static let remainingTokens = HeaderName("x-ratelimit-remaining-tokens")!
    static let resetRequests = HeaderName("x-ratelimit-reset-requests")!
    static let resetTokens = HeaderName("x-ratelimit-reset-tokens")!

    static let jsonContentType = "application/json"
    static let eventStreamContentType = "text/event-stream; charset=utf-8"

    /// A complete response with a JSON body.
    static func json(_ status: HTTPResponse.Status, _ body: String, headers: HTTPFields = HTTPFields()) -> Response {
        var headers = headers
        headers[.contentType] = jsonContentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// Whether reading a body failed because it is larger than the cap given to `collect(upTo:)`.
    static func isBodyTooLarge(_ error: any Error) -> Bool {
        error is NIOTooManyBytesError || (error as? HTTPError)?.status == .contentTooLarge
    }

    /// The 413 for a body beyond `cap` bytes, in Anthropic's shape or OpenAI's.
    static func bodyTooLarge(anthropicShape: Bool, cap: Int) -> Response {
        if anthropicShape {
            return json(
                .contentTooLarge,
                AnthropicWire.errorBody(
                    type: "request_too_large", message: "Request exceeds the maximum allowed number of bytes (\(cap))."))
        }
        return json(
            .contentTooLarge,
            OpenAIWire.errorBody(
                message: "Request body is larger than \(cap) bytes.", type: "invalid_request_error", code: nil))
    }

    /// Adds the `x-ratelimit-*` headers for each limited dimension.
    static func addRateLimitHeaders(_ status: RateLimitStatus, to headers: inout HTTPFields) {
        if let requests = status.requests {
            headers[limitRequests] = String(requests.limit)
            headers[remainingRequests] = String(requests.remaining)
            headers[resetRequests] = MockDurationFormat.rateLimitReset(requests.reset)
        }
        if let tokens = status.tokens {
            headers[limitTokens] = String(tokens.limit)
            headers[remainingTokens] = String(tokens.remaining)
            headers[resetTokens] = MockDurationFormat.rateLimitReset(tokens.reset)
        }
    }

    /// Whether `name` is a valid HTTP field name.
    static func isHeaderName(_ name: String) -> Bool {
        HeaderName(name) != nil
    }

    /// Sets a scripted reply's headers (invalid names are skipped; values are made legal by
    /// `HTTPField`).
    static func addScriptedHeaders(_ scripted: [String: String], to headers: inout HTTPFields) {
        for (name, value) in scripted.sorted(by: { $0.key < $1.key }) {
            if let name = HeaderName(name) { headers[name] = value }
        }
    }

    /// The value of the request header `name` (any case), or `nil`.
    static func header(_ name: String, in headers: HTTPFields) -> String? {
        HeaderName(name).flatMap { headers[$0] }
    }

    /// The token of an `Authorization: Bearer <token>` header, or `nil` when there is none.
    static func bearerToken(_ headers: HTTPFields) -> String? {
        guard let header = headers[.authorization] else { return nil }
        let trimmed = header.drop(while: { $0 == " " })
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return nil }
        return String(trimmed.dropFirst(7).trimmingSpaces())
    }

    /// Adds `retry-after` / `retry-after-ms` / `x-should-retry`.
    static func addRetryHeaders(_ retryAfter: MockRetryAfter?, shouldRetry: Bool?, to headers: inout HTTPFields) {
        if let retryAfter {
            if retryAfter.includesSeconds {
                headers[.retryAfter] = MockDurationFormat.retryAfterSeconds(retryAfter.delay)
            }
            if retryAfter.includesMilliseconds {
                headers[retryAfterMilliseconds] = MockDurationFormat.retryAfterMilliseconds(retryAfter.delay)
            }
        }
        if let shouldRetry {
            headers[MockHTTP.shouldRetry] = shouldRetry ? "true" : "false"
        }
    }

    /// The system's real-time clock, as the time since 1970.
    static func realTime() -> Duration {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return .seconds(Int64(spec.tv_sec)) + .nanoseconds(Int64(spec.tv_nsec))
    }

    /// Seconds since 1970, for `created` fields.
    static func unixTime() -> Int {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int(spec.tv_sec)
    }
}

/// Why a response ended early; thrown out of a response body to close the connection.
enum MockResponseEnd: Error, Sendable {
    /// The client went away.
    case clientDisconnected
    /// The server closes the connection on purpose (stall, dropped connection).
    case closedByFault
}

/// Waits between parts of a response, returning early when the client leaves.
struct MockPacer: Sendable {
    let monitor: ConnectionMonitor?

    /// Waits `duration`; throws ``MockResponseEnd/clientDisconnected`` if the client leaves first.
    func pause(_ duration: Duration) async throws {
        if let monitor {
            guard try await monitor.pause(duration) else { throw MockResponseEnd.clientDisconnected }
        } else if duration > .zero {
            try await Task.sleep(for: duration)
        }
    }

    /// Throws ``MockResponseEnd/clientDisconnected`` if the client has left.
    func checkConnected() throws {
        if self.monitor?.isClosed == true { throw MockResponseEnd.clientDisconnected }
    }
}
