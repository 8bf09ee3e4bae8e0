/// How a call's token reservation is settled once its real usage is known.
///
/// At admission the rate limiter reserves the prompt estimate plus `max_tokens`. A successful (2xx)
/// attempt settles when the call's ``ClientContext/usage`` completes: the policy turns what was
/// reserved and the usage reported into the tokens the call finally costs, and the buckets are
/// credited or debited the difference. `usage` is `nil` when the call ended without one (failed or
/// cancelled mid-stream with no usage seen, or the provider did not say); a stream cut short passes
/// the usage seen so far.
///
/// Mirror the provider: ``keepAdmissionCharge`` for OpenAI (which never refunds its admission
/// estimate), ``refundUnusedOutput`` for Anthropic (which credits back unused output tokens when a
/// response ends). ``default(for:)`` picks one by provider.
///
/// ```swift
/// var configuration = RateLimitMiddleware.Configuration(keys: keys)
/// configuration.settlement = .refundUnusedOutput
/// configuration.settlement = RateLimitSettlementPolicy { reserved, usage in
///     TokenCharge(input: reserved.input, output: usage?.outputTokens ?? reserved.maxOutput)
/// }
/// ```
///
/// - Important: The closure runs synchronously on the task that completes the usage report or ends
///   the body; keep it cheap and pure.
public struct RateLimitSettlementPolicy: Sendable {
    /// The tokens a call finally costs, from what was reserved and the usage reported (`nil` when none).
    public var charge: @Sendable (_ reserved: TokenEstimate, _ usage: Usage?) -> TokenCharge

    public init(charge: @escaping @Sendable (_ reserved: TokenEstimate, _ usage: Usage?) -> TokenCharge) {
        self.charge = charge
    }

    /// OpenAI's rule: the admission charge stands; a call whose real usage is higher is charged that.
    /// Without usage, the admission charge stands.
    public static let keepAdmissionCharge = RateLimitSettlementPolicy { reserved, usage in
        let admitted = TokenCharge(input: reserved.input, output: reserved.maxOutput)
        guard let usage, usage.totalTokens > admitted.total else { return admitted }
        return TokenCharge(input: usage.inputTokens, output: usage.outputTokens)
    }

    /// Anthropic's rule: the input charge stands, output is settled to the real count (refunded down,
    /// or charged up). Without usage, the whole reservation stands.
    public static let refundUnusedOutput = RateLimitSettlementPolicy { reserved, usage in
        TokenCharge(input: reserved.input, output: usage?.outputTokens ?? reserved.maxOutput)
    }

    /// Charge exactly the reported usage, input and output; without usage, the reservation stands.
    public static let exactUsage = RateLimitSettlementPolicy { reserved, usage in
        guard let usage else { return TokenCharge(input: reserved.input, output: reserved.maxOutput) }
        return TokenCharge(input: usage.inputTokens, output: usage.outputTokens)
    }

    /// ``refundUnusedOutput`` for Anthropic, ``keepAdmissionCharge`` for every other provider.
    public static func `default`(for provider: Provider) -> RateLimitSettlementPolicy {
        provider == .anthropic ? .refundUnusedOutput : .keepAdmissionCharge
    }
}

/// The tokens a call is finally charged, from ``RateLimitSettlementPolicy``.
public struct TokenCharge: Sendable, Hashable {
    public var input: Int
    public var output: Int

    public init(input: Int, output: Int) {
        self.input = max(0, input)
        self.output = max(0, output)
    }

    /// Input plus output (held at `Int.max` rather than overflowing).
    public var total: Int { input.saturatingAdding(output) }
}
