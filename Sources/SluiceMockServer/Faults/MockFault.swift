/// A misbehaviour the mock server injects into one response, to test a client's resilience.
///
/// Faults come from the scripted queue (``MockLLMServer/enqueue(_:forKey:)``, wrapped in a
/// ``MockOutcome``) or are drawn at seeded random rates (``MockFaultPlan``). Each injected fault
/// is counted in ``MockServerStats/faultsInjected`` under its ``kind``.
///
/// Faults are applied after rate-limit admission, so the request counts against its key's limits.
/// "After N tokens" counts content chunks of a stream (one token per chunk by default); the
/// role chunk that opens every stream is always sent first.
///
/// | Fault | Streaming request | Non-streaming request |
/// |---|---|---|
/// | ``httpError(status:retryAfter:shouldRetry:)`` | error status with an OpenAI error body | same |
/// | ``headDelay(_:)``, ``firstTokenDelay(_:)``, ``tokenDelay(_:)`` | overrides that latency | same (see ``MockLatency``) |
/// | ``stall(afterTokens:duration:)`` | head + N tokens, silence, then the connection is closed | head (with full `content-length`), silence, close |
/// | ``dropConnection(afterTokens:)`` | head + N tokens, then close without the final chunk | head + half the body, close |
/// | ``malformedJSON`` | like ``malformedSSE(afterTokens:)`` with N = 0 | 200 with a truncated JSON body |
/// | ``malformedSSE(afterTokens:)`` | N tokens, a `data:` line with invalid JSON, then the rest | like ``malformedJSON`` |
/// | ``errorEvent(afterTokens:)`` | N tokens, `data: {"error":{...}}`, end (no `[DONE]`) | 500 server error |
///
/// On the Anthropic route (`/v1/messages`) the same faults take Anthropic's shapes: an HTTP error
/// has the body `{"type":"error","error":{"type":…,"message":…}}` with the type for its status
/// (429 `rate_limit_error`, 500 `api_error`, 529 `overloaded_error`, 400 `invalid_request_error`,
/// 401 `authentication_error`, 403 `permission_error`, 404 `not_found_error`, 413
/// `request_too_large`, 504 `timeout_error`, other 5xx `api_error`); "after N tokens" counts
/// `content_block_delta` events after `message_start`, `content_block_start` and `ping`; the error
/// event is `event: error` with `data: {"type":"error","error":{"type":"overloaded_error",
/// "message":"Overloaded"}}` (a non-streaming request gets 529 `overloaded_error` instead); malformed
/// SSE is a `content_block_delta` event whose JSON is cut short. For a tool call (either route),
/// N counts argument fragments.
///
/// ```swift
/// server.enqueue([
///     .fault(.rateLimited(retryAfter: .both(.milliseconds(1500)))),
///     .fault(.dropConnection(afterTokens: 3)),
///     .success,
/// ])
/// ```
public struct MockFault: Sendable, Hashable, CustomStringConvertible {
    enum Backing: Sendable, Hashable {
        case httpError(status: Int, retryAfter: MockRetryAfter?, shouldRetry: Bool?)
        case headDelay(Duration)
        case firstTokenDelay(Duration)
        case tokenDelay(Duration)
        case stall(afterTokens: Int, duration: Duration)
        case dropConnection(afterTokens: Int)
        case malformedJSON
        case malformedSSE(afterTokens: Int)
        case errorEvent(afterTokens: Int)
    }

    let backing: Backing

    private init(_ backing: Backing) {
        self.backing = backing
    }

    /// Answers with an HTTP error status and an OpenAI-style error body.
    ///
    /// - Parameters:
    ///   - status: Any status from 400 to 599; 429, 500, 502, 503 and 529 get provider-like messages.
    ///   - retryAfter: Adds `retry-after` and/or `retry-after-ms`.
    ///   - shouldRetry: Adds `x-should-retry: true|false` when set.
    public static func httpError(status: Int, retryAfter: MockRetryAfter? = nil, shouldRetry: Bool? = nil) -> MockFault
    {
        precondition((400...599).contains(status), "an HTTP error fault needs a 4xx or 5xx status")
        return MockFault(.httpError(status: status, retryAfter: retryAfter, shouldRetry: shouldRetry))
    }

    /// A 429 `rate_limit_exceeded`, by default with `retry-after: 1` and `retry-after-ms: 1000`.
    public static func rateLimited(retryAfter: MockRetryAfter? = .both(.seconds(1)), shouldRetry: Bool? = nil)
        -> MockFault
    {
        .httpError(status: 429, retryAfter: retryAfter, shouldRetry: shouldRetry)
    }

    /// A 5xx server error (500 by default; 502 and 503 are also common).
    public static func serverError(_ status: Int = 500, retryAfter: MockRetryAfter? = nil, shouldRetry: Bool? = nil)
        -> MockFault
    {
        .httpError(status: status, retryAfter: retryAfter, shouldRetry: shouldRetry)
    }

    /// A 529 "overloaded" answer.
    public static func overloaded(retryAfter: MockRetryAfter? = nil, shouldRetry: Bool? = nil) -> MockFault {
        .httpError(status: 529, retryAfter: retryAfter, shouldRetry: shouldRetry)
    }

    /// Delays the response head by `duration` (instead of the configured head latency).
    public static func headDelay(_ duration: Duration) -> MockFault { MockFault(.headDelay(duration)) }

    /// Delays a stream's first content chunk by `duration`.
    public static func firstTokenDelay(_ duration: Duration) -> MockFault { MockFault(.firstTokenDelay(duration)) }

    /// Delays each later content chunk by `duration`.
    public static func tokenDelay(_ duration: Duration) -> MockFault { MockFault(.tokenDelay(duration)) }

    /// Sends the head (and for a stream `afterTokens` tokens), then nothing for `duration`, then
    /// closes the connection. The default of 30 s is longer than most client read timeouts.
    public static func stall(afterTokens: Int = 0, duration: Duration = .seconds(30)) -> MockFault {
        precondition(afterTokens >= 0 && duration >= .zero, "a stall needs non-negative values")
        return MockFault(.stall(afterTokens: afterTokens, duration: duration))
    }

    /// Closes the connection after `afterTokens` tokens, without the stream's terminating chunk,
    /// so a client sees an incomplete transfer.
    public static func dropConnection(afterTokens: Int = 0) -> MockFault {
        precondition(afterTokens >= 0, "afterTokens must not be negative")
        return MockFault(.dropConnection(afterTokens: afterTokens))
    }

    /// Answers 200 with a JSON body cut in half.
    public static let malformedJSON = MockFault(.malformedJSON)

    /// Sends a `data:` line whose JSON is invalid after `afterTokens` tokens, then the rest of the stream.
    public static func malformedSSE(afterTokens: Int = 0) -> MockFault {
        precondition(afterTokens >= 0, "afterTokens must not be negative")
        return MockFault(.malformedSSE(afterTokens: afterTokens))
    }

    /// Sends an error event (`data: {"error":{...}}`) after `afterTokens` tokens and ends the stream.
    public static func errorEvent(afterTokens: Int = 0) -> MockFault {
        precondition(afterTokens >= 0, "afterTokens must not be negative")
        return MockFault(.errorEvent(afterTokens: afterTokens))
    }

    /// The name this fault is counted under in ``MockServerStats/faultsInjected``.
    public var kind: Kind {
        switch self.backing {
        case .httpError(let status, _, _): Kind(rawValue: "http_\(status)")
        case .headDelay: .headDelay
        case .firstTokenDelay: .firstTokenDelay
        case .tokenDelay: .tokenDelay
        case .stall: .stall
        case .dropConnection: .dropConnection
        case .malformedJSON: .malformedJSON
        case .malformedSSE: .malformedSSE
        case .errorEvent: .errorEvent
        }
    }

    /// A readable description, e.g. `stall(afterTokens: 2, duration: 30.0 seconds)`.
    public var description: String {
        switch self.backing {
        case .httpError(let status, let retryAfter, let shouldRetry):
            "httpError(status: \(status), retryAfter: \(retryAfter.map { "\($0.delay)" } ?? "nil"), shouldRetry: \(shouldRetry.map { "\($0)" } ?? "nil"))"
        case .headDelay(let d): "headDelay(\(d))"
        case .firstTokenDelay(let d): "firstTokenDelay(\(d))"
        case .tokenDelay(let d): "tokenDelay(\(d))"
        case .stall(let n, let d): "stall(afterTokens: \(n), duration: \(d))"
        case .dropConnection(let n): "dropConnection(afterTokens: \(n))"
        case .malformedJSON: "malformedJSON"
        case .malformedSSE(let n): "malformedSSE(afterTokens: \(n))"
        case .errorEvent(let n): "errorEvent(afterTokens: \(n))"
        }
    }

    /// The name a fault is counted under in the stats, such as `http_503` or `stall`.
    public struct Kind: Sendable, Hashable, Codable, CustomStringConvertible {
        /// The name, such as `"http_429"`.
        public var rawValue: String
        /// Creates a kind from its name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The name.
        public var description: String { self.rawValue }

        /// `http_429`
        public static let http429 = Kind(rawValue: "http_429")
        /// `http_500`
        public static let http500 = Kind(rawValue: "http_500")
        /// `http_502`
        public static let http502 = Kind(rawValue: "http_502")
        /// `http_503`
        public static let http503 = Kind(rawValue: "http_503")
        /// `http_529`
        public static let http529 = Kind(rawValue: "http_529")
        /// `head_delay`
        public static let headDelay = Kind(rawValue: "head_delay")
        /// `first_token_delay`
        public static let firstTokenDelay = Kind(rawValue: "first_token_delay")
        /// `token_delay`
        public static let tokenDelay = Kind(rawValue: "token_delay")
        /// `stall`
        public static let stall = Kind(rawValue: "stall")
        /// `drop_connection`
        public static let dropConnection = Kind(rawValue: "drop_connection")
        /// `malformed_json`
        public static let malformedJSON = Kind(rawValue: "malformed_json")
        /// `malformed_sse`
        public static let malformedSSE = Kind(rawValue: "malformed_sse")
        /// `error_event`
        public static let errorEvent = Kind(rawValue: "error_event")

        public init(from decoder: any Decoder) throws {
            self.rawValue = try decoder.singleValueContainer().decode(String.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(self.rawValue)
        }
    }
}

/// Which retry hints an injected error carries: `retry-after` (whole seconds, rounded up) and/or
/// `retry-after-ms` (milliseconds, rounded up).
///
/// ```swift
/// let throttled = MockFault.rateLimited(retryAfter: .milliseconds(250))  // only retry-after-ms: 250
/// let overloaded = MockFault.serverError(503, retryAfter: .seconds(2))   // only retry-after: 2
/// ```
public struct MockRetryAfter: Sendable, Hashable {
    /// The delay the headers announce.
    public var delay: Duration
    /// Whether `retry-after` is sent.
    public var includesSeconds: Bool
    /// Whether `retry-after-ms` is sent.
    public var includesMilliseconds: Bool

    /// Creates retry hints.
    public init(delay: Duration, includesSeconds: Bool = true, includesMilliseconds: Bool = true) {
        precondition(delay >= .zero, "retry-after cannot be negative")
        self.delay = delay
        self.includesSeconds = includesSeconds
        self.includesMilliseconds = includesMilliseconds
    }

    /// Only `retry-after: <seconds>`.
    public static func seconds(_ seconds: Int) -> MockRetryAfter {
        MockRetryAfter(delay: .seconds(seconds), includesSeconds: true, includesMilliseconds: false)
    }

    /// Only `retry-after-ms: <milliseconds>`.
    public static func milliseconds(_ milliseconds: Int) -> MockRetryAfter {
        MockRetryAfter(delay: .milliseconds(milliseconds), includesSeconds: false, includesMilliseconds: true)
    }

    /// Both headers for the same delay.
    public static func both(_ delay: Duration) -> MockRetryAfter {
        MockRetryAfter(delay: delay)
    }
}
