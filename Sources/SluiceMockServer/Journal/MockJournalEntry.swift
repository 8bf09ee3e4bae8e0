/// One request the mock server received, as kept in its journal (``MockLLMServer/requests``,
/// `GET /_mock/requests`).
///
/// Credentials never appear: the headers that carry them are replaced by `"<redacted>"`, and
/// the key is its configured ``MockAPIKey/name`` (or ``MockAPIKey/anonymousName(forSecret:)``),
/// never its secret. The body is kept up to ``MockServerConfiguration/Journal/maxBodyBytes``.
///
/// As JSON (snake_case keys):
///
/// ```json
/// {"sequence":3,"time":1796000000.25,"method":"POST","path":"/v1/chat/completions",
///  "headers":[{"name":"authorization","value":"<redacted>"}],"body":"{…}","body_bytes":120,
///  "body_truncated":false,"key":"team","rule":null,
///  "rate_limit":{"remaining_requests":59,"remaining_tokens":5970,"rejected":null},
///  "outcome":{"status":200,"fault":null,"end":"completed"}}
/// ```
public struct MockJournalEntry: Sendable, Hashable, Codable {
    /// A header as received (its value `"<redacted>"` when it carries a credential).
    public struct Header: Sendable, Hashable, Codable {
        /// The name, in lowercase.
        public var name: String
        /// The value.
        public var value: String
    }

    /// The rate-limit state the request was admitted or rejected with.
    public struct RateLimit: Sendable, Hashable, Codable {
        /// Whole requests left in the key's request bucket after admission; `nil` without a request limit.
        public var remainingRequests: Int?
        /// Tokens left in the OpenAI token bucket; `nil` without a token limit.
        public var remainingTokens: Int?
        /// Tokens left in the Anthropic input-token bucket; `nil` without an input limit.
        public var remainingInputTokens: Int?
        /// Tokens left in the Anthropic output-token bucket; `nil` without an output limit.
        public var remainingOutputTokens: Int?
        /// For a request the limiter answered 429, the dimension that was short: `"requests"`,
        /// `"tokens"`, `"input_tokens"` or `"output_tokens"`; `nil` when it was admitted.
        public var rejected: String?

        enum CodingKeys: String, CodingKey {
            case remainingRequests = "remaining_requests"
            case remainingTokens = "remaining_tokens"
            case remainingInputTokens = "remaining_input_tokens"
            case remainingOutputTokens = "remaining_output_tokens"
            case rejected
        }
    }

    /// How the response ended.
    public enum End: String, Sendable, Hashable, Codable {
        /// The response is still being produced.
        case pending
        /// The whole response was written.
        case completed
        /// The client closed the connection before the response was complete.
        case clientDisconnected = "client_disconnected"
        /// An injected fault (a stall or a dropped connection) closed the connection.
        case droppedByFault = "dropped_by_fault"
    }

    /// What the server answered.
    public struct Outcome: Sendable, Hashable, Codable {
        /// The response status; `nil` while the handler runs, or when no head was sent.
        public var status: Int?
        /// The injected fault's kind, such as `http_503` or `drop_connection`.
        public var fault: MockFault.Kind?
        /// How the response ended.
        public var end: End

        enum CodingKeys: String, CodingKey { case status, fault, end }

        /// Creates an outcome.
        public init(status: Int?, fault: MockFault.Kind?, end: End) {
            self.status = status
            self.fault = fault
            self.end = end
        }
    }

    /// The request's number in the journal: 1, 2, … in arrival order, never reused (not even
    /// after the journal is cleared).
    public var sequence: Int
    /// When the request arrived, in seconds since 1970.
    public var time: Double
    /// The HTTP method, such as `POST`.
    public var method: String
    /// The path with its query, such as `/v1/chat/completions`.
    public var path: String
    /// The headers in the order received, credentials redacted.
    public var headers: [Header]
    /// The body as UTF-8 text (invalid sequences replaced), at most the journal's body cap.
    public var body: String
    /// The body's length in bytes as received (when the body exceeded the server's
    /// ``MockServerConfiguration/maxRequestBodySize``, the bytes read before it was refused).
    public var bodyBytes: Int
    /// Whether ``body`` holds only the first part of the body.
    public var bodyTruncated: Bool
    /// The name of the key the request authenticated as; `nil` when it did not authenticate.
    public var key: String?
    /// The scripted rule that matched the request, if any.
    public var rule: String?
    /// The rate-limit state at admission; `nil` for a request that was not admitted or rejected
    /// by the limiter (unauthenticated, invalid, `GET /v1/models`).
    public var rateLimit: RateLimit?
    /// What the server answered.
    public var outcome: Outcome

    enum CodingKeys: String, CodingKey {
        case sequence, time, method, path, headers, body
        case bodyBytes = "body_bytes"
        case bodyTruncated = "body_truncated"
        case key, rule
        case rateLimit = "rate_limit"
        case outcome
    }
}

extension MockJournalEntry.RateLimit {
    init(_ status: RateLimitStatus, rejected: String?) {
        self.init(
            remainingRequests: status.requests?.remaining, remainingTokens: status.tokens?.remaining,
            remainingInputTokens: status.inputTokens?.remaining, remainingOutputTokens: status.outputTokens?.remaining,
            rejected: rejected)
    }
}

// Absent values are written as `null`, so every entry has the same keys for readers in any language.

extension MockJournalEntry {
    /// Encodes every key, absent values as `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.sequence, forKey: .sequence)
        try container.encode(self.time, forKey: .time)
        try container.encode(self.method, forKey: .method)
        try container.encode(self.path, forKey: .path)
        try container.encode(self.headers, forKey: .headers)
        try container.encode(self.body, forKey: .body)
        try container.encode(self.bodyBytes, forKey: .bodyBytes)
        try container.encode(self.bodyTruncated, forKey: .bodyTruncated)
        try container.encode(self.key, forKey: .key)
        try container.encode(self.rule, forKey: .rule)
        try container.encode(self.rateLimit, forKey: .rateLimit)
        try container.encode(self.outcome, forKey: .outcome)
    }
}

extension MockJournalEntry.RateLimit {
    /// Encodes every key, absent values as `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.remainingRequests, forKey: .remainingRequests)
        try container.encode(self.remainingTokens, forKey: .remainingTokens)
        try container.encode(self.remainingInputTokens, forKey: .remainingInputTokens)
        try container.encode(self.remainingOutputTokens, forKey: .remainingOutputTokens)
        try container.encode(self.rejected, forKey: .rejected)
    }
}

extension MockJournalEntry.Outcome {
    /// Encodes every key, absent values as `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.status, forKey: .status)
        try container.encode(self.fault, forKey: .fault)
        try container.encode(self.end, forKey: .end)
    }
}
