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
/// estimate), ``refundUnusedOutputAndCacheReads`` for Anthropic (which credits back unused output
/// tokens when a response ends, and does not count prompt-cache reads toward its input limit).
/// ``default(for:)`` picks one by provider.
///
/// ## Prompt-cache reads
///
/// Admission always reserves the whole prompt estimate: whether the cache will hit is not known
/// before the reply. Settlement then gives back what the provider does not count:
///
/// - **Anthropic** counts `input_tokens + cache_creation_input_tokens` toward its input-tokens-per-
///   minute limit, and not `cache_read_input_tokens`, on current models ("Cache-aware ITPM",
///   <https://docs.claude.com/en/api/rate-limits>; a few older models, marked there, count reads too:
///   use ``refundUnusedOutput`` for those). ``refundUnusedOutputAndCacheReads`` charges the input
///   ``Usage/inputTokens`` − ``Usage/cachedInputTokens`` (never below 0).
/// - **OpenAI** counts cached tokens toward its tokens-per-minute limit ("Do cached prompts
///   contribute to TPM rate limits? Yes, as caching does not affect rate limits", FAQ of
///   <https://platform.openai.com/docs/guides/prompt-caching>): ``keepAdmissionCharge`` counts them.
/// - Providers that say nothing (OpenAI-compatible servers) are counted like OpenAI, reads included.
///   ``refundUnusedOutput(countingCacheReads:)`` and ``exactUsage(countingCacheReads:)`` set the rule
///   for a server that documents otherwise.
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

    /// Anthropic's rule for models whose input limit counts cache reads: the input charge stands,
    /// output is settled to the real count (refunded down, or charged up). Without usage, the whole
    /// reservation stands. Current models do not count cache reads: see
    /// ``refundUnusedOutputAndCacheReads``.
    public static let refundUnusedOutput = RateLimitSettlementPolicy { reserved, usage in
        TokenCharge(input: reserved.input, output: usage?.outputTokens ?? reserved.maxOutput)
    }

    /// Anthropic's rule on current models, the default for Anthropic: input is settled to what the
    /// input limit counts, the prompt less its cache reads (``Usage/inputTokens`` −
    /// ``Usage/cachedInputTokens``, never below 0), output to the real count. Without usage, or with
    /// a usage that reports no input, the reservation's input stands.
    ///
    /// A call that reserved 10 000 input tokens and read 9 000 of them from the cache costs 1 000
    /// input tokens once it settles; the 9 000 go back to the bucket.
    public static let refundUnusedOutputAndCacheReads = refundUnusedOutput(countingCacheReads: false)

    /// Output settled to the real count; input settled to the reported prompt less its cache reads
    /// (`countingCacheReads: false`), or the reservation's input kept (`true`, ``refundUnusedOutput``).
    public static func refundUnusedOutput(countingCacheReads: Bool) -> RateLimitSettlementPolicy {
        if countingCacheReads { return .refundUnusedOutput }
        return RateLimitSettlementPolicy { reserved, usage in
            TokenCharge(
                input: usage.flatMap(uncachedInput) ?? reserved.input,
                output: usage?.outputTokens ?? reserved.maxOutput)
        }
    }

    /// Charge exactly the reported usage, input and output; without usage, the reservation stands.
    public static let exactUsage = RateLimitSettlementPolicy { reserved, usage in
        guard let usage else { return TokenCharge(input: reserved.input, output: reserved.maxOutput) }
        return TokenCharge(input: usage.inputTokens, output: usage.outputTokens)
    }

    /// ``exactUsage``, with cache reads counted (`true`) or left out of the input (`false`).
    public static func exactUsage(countingCacheReads: Bool) -> RateLimitSettlementPolicy {
        if countingCacheReads { return .exactUsage }
        return RateLimitSettlementPolicy { reserved, usage in
            guard let usage else { return TokenCharge(input: reserved.input, output: reserved.maxOutput) }
            return TokenCharge(input: uncachedInput(usage) ?? 0, output: usage.outputTokens)
        }
    }

    /// ``refundUnusedOutputAndCacheReads`` for Anthropic, ``keepAdmissionCharge`` for every other
    /// provider (OpenAI counts cached tokens; see the type's discussion for the sources).
    public static func `default`(for provider: Provider) -> RateLimitSettlementPolicy {
        provider == .anthropic ? .refundUnusedOutputAndCacheReads : .keepAdmissionCharge
    }

    /// The prompt less its cache reads, never below 0; `nil` when the usage reports no input.
    static func uncachedInput(_ usage: Usage) -> Int? {
        guard usage.inputTokens > 0 else { return nil }
        return max(0, usage.inputTokens.saturatingSubtracting(max(0, usage.cachedInputTokens ?? 0)))
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
