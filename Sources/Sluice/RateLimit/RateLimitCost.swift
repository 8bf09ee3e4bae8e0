/// What one request takes from a key's buckets, or a running total of such charges.
///
/// The rate limiter charges each attempt 1 request, `input + maxOutput` tokens (the OpenAI-style
/// token bucket), `input` input tokens and `maxOutput` output tokens (the Anthropic-style buckets).
/// A dimension the key does not limit is free.
public struct RateLimitCost: Sendable, Hashable {
    public var requests: Int
    public var tokens: Int
    public var inputTokens: Int
    public var outputTokens: Int

    public init(requests: Int = 0, tokens: Int = 0, inputTokens: Int = 0, outputTokens: Int = 0) {
        self.requests = requests
        self.tokens = tokens
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    /// One request with this token estimate.
    public init(estimate: TokenEstimate) {
        let input = max(0, estimate.input)
        let output = max(0, estimate.maxOutput)
        self.init(requests: 1, tokens: input.saturatingAdding(output), inputTokens: input, outputTokens: output)
    }

    /// The same request count with these tokens charged.
    public func charging(_ charge: TokenCharge) -> RateLimitCost {
        RateLimitCost(requests: requests, tokens: charge.total, inputTokens: charge.input, outputTokens: charge.output)
    }

    /// The same request count, no tokens: what a refunded attempt costs.
    public var requestOnly: RateLimitCost { RateLimitCost(requests: requests) }

    public static let zero = RateLimitCost()

    package subscript(dimension: RateLimitDimension) -> Int {
        get {
            switch dimension {
            case .requests: requests
            case .tokens: tokens
            case .inputTokens: inputTokens
            case .outputTokens: outputTokens
            }
        }
        set {
            switch dimension {
            case .requests: requests = newValue
            case .tokens: tokens = newValue
            case .inputTokens: inputTokens = newValue
            case .outputTokens: outputTokens = newValue
            }
        }
    }
}

/// One of the four things a key is limited in.
public enum RateLimitDimension: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case requests
    case tokens
    case inputTokens = "input_tokens"
    case outputTokens = "output_tokens"

    public var description: String { rawValue }

    /// The per-minute limit and capacity of this dimension in `limits`.
    package func limit(in limits: RateLimits) -> (perMinute: Int, capacity: Int)? {
        switch self {
        case .requests: limits.requestsPerMinute.map { ($0, limits.requestBurst ?? $0) }
        case .tokens: limits.tokensPerMinute.map { ($0, limits.tokenBurst ?? $0) }
        case .inputTokens: limits.inputTokensPerMinute.map { ($0, limits.inputTokenBurst ?? $0) }
        case .outputTokens: limits.outputTokensPerMinute.map { ($0, limits.outputTokenBurst ?? $0) }
        }
    }
}
