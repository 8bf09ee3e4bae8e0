/// One model's list price in US dollars per million tokens, for ``PriceTable``.
///
/// Prices are stored exactly, as whole micro-dollars per million tokens (`0.075` is `75_000`); a
/// dollar price with more than six decimals is rounded to the nearest micro-dollar.
///
/// ```swift
/// // $0.15 input, $0.075 cached input, $0.60 output per million tokens
/// let price = ModelPrice(input: 0.15, cachedInput: 0.075, output: 0.60)
/// ```
///
/// How tokens are charged (see ``cost(of:)``):
/// - uncached input (`inputTokens − cachedInputTokens − cacheCreationInputTokens`) at ``input``,
/// - cache reads (`cachedInputTokens`) at ``cachedInput``, or ``input`` when the model has none,
/// - cache writes (Anthropic `cacheCreationInputTokens`) at ``cacheWrite``, or ``input`` when unset,
/// - output at ``output``; reasoning tokens are already part of the output tokens and are not
///   charged again.
public struct ModelPrice: Sendable, Hashable, Codable {
    /// Micro-dollars per million uncached input tokens.
    public var inputMicrosPerMillion: Int64
    /// Micro-dollars per million input tokens read from the prompt cache; `nil`: the input price.
    public var cachedInputMicrosPerMillion: Int64?
    /// Micro-dollars per million output tokens (reasoning tokens included).
    public var outputMicrosPerMillion: Int64
    /// Micro-dollars per million input tokens written to the prompt cache (Anthropic's 5-minute
    /// cache write); `nil`: the input price.
    public var cacheWriteMicrosPerMillion: Int64?

    /// A price in dollars per million tokens.
    ///
    /// - Parameters:
    ///   - input: dollars per million uncached input tokens.
    ///   - cachedInput: dollars per million cached input tokens (cache hits); `nil` charges them at
    ///     `input`.
    ///   - output: dollars per million output tokens.
    ///   - cacheWrite: dollars per million tokens written to the prompt cache; `nil` charges them at
    ///     `input`.
    public init(input: Double, cachedInput: Double? = nil, output: Double, cacheWrite: Double? = nil) {
        inputMicrosPerMillion = Self.micros(input)
        cachedInputMicrosPerMillion = cachedInput.map(Self.micros)
        outputMicrosPerMillion = Self.micros(output)
        cacheWriteMicrosPerMillion = cacheWrite.map(Self.micros)
    }

    /// A price in whole micro-dollars per million tokens, for exact values.
    public init(
        inputMicrosPerMillion: Int64,
        cachedInputMicrosPerMillion: Int64? = nil,
        outputMicrosPerMillion: Int64,
        cacheWriteMicrosPerMillion: Int64? = nil
    ) {
        self.inputMicrosPerMillion = inputMicrosPerMillion
        self.cachedInputMicrosPerMillion = cachedInputMicrosPerMillion
        self.outputMicrosPerMillion = outputMicrosPerMillion
        self.cacheWriteMicrosPerMillion = cacheWriteMicrosPerMillion
    }

    /// Input dollars per million tokens.
    public var input: Double { Double(inputMicrosPerMillion) / 1_000_000 }
    /// Cached-input dollars per million tokens, if the model has a cache-hit price.
    public var cachedInput: Double? { cachedInputMicrosPerMillion.map { Double($0) / 1_000_000 } }
    /// Output dollars per million tokens.
    public var output: Double { Double(outputMicrosPerMillion) / 1_000_000 }
    /// Cache-write dollars per million tokens, if set.
    public var cacheWrite: Double? { cacheWriteMicrosPerMillion.map { Double($0) / 1_000_000 } }

    /// What `usage` costs at this price, exact to the nano-dollar.
    public func cost(of usage: Usage) -> Cost {
        cost(
            input: Int64(usage.inputTokens),
            cached: Int64(usage.cachedInputTokens ?? 0),
            cacheWrite: Int64(usage.cacheCreationInputTokens ?? 0),
            output: Int64(usage.outputTokens)
        )
    }

    /// The cost of token counts; `input` includes the cached and cache-write tokens.
    func cost(input: Int64, cached: Int64, cacheWrite: Int64, output: Int64) -> Cost {
        let uncached = max(0, input.saturatingSubtracting(max(0, cached)).saturatingSubtracting(max(0, cacheWrite)))
        var total = Self.nanos(uncached, inputMicrosPerMillion)
        total = total.saturatingAdding(Self.nanos(cached, cachedInputMicrosPerMillion ?? inputMicrosPerMillion))
        total = total.saturatingAdding(Self.nanos(cacheWrite, cacheWriteMicrosPerMillion ?? inputMicrosPerMillion))
        total = total.saturatingAdding(Self.nanos(output, outputMicrosPerMillion))
        return Cost(nanodollars: total)
    }

    /// `tokens × micros-per-million` in nano-dollars: `tokens × price / 1,000`, split so that it does
    /// not overflow for any realistic count (rounded half up at the nano-dollar); saturates at
    /// `Int64.max` for an absurd one.
    static func nanos(_ tokens: Int64, _ microsPerMillion: Int64) -> Int64 {
        guard tokens > 0, microsPerMillion > 0 else { return 0 }
        let whole = (tokens / 1_000).saturatingMultiplied(by: microsPerMillion)
        let rest = ((tokens % 1_000).saturatingMultiplied(by: microsPerMillion).saturatingAdding(500)) / 1_000
        return whole.saturatingAdding(rest)
    }

    static func micros(_ dollars: Double) -> Int64 {
        let scaled = (dollars * 1_000_000).rounded()
        guard scaled.isFinite, scaled >= 0 else { return 0 }
        return scaled >= Double(Int64.max) ? Int64.max : Int64(scaled)
    }
}
