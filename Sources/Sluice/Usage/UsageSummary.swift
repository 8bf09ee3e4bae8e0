/// What a ``UsageTracker`` counted: totals, per model and per key, with cost.
///
/// A value: take it with ``UsageTracker/snapshot()`` (or from ``withUsageTracking(prices:isolation:_:)``),
/// log it, encode it (`Codable`), compare it.
///
/// ```swift
/// let (reply, usage) = try await withUsageTracking {
///     try await client.chat(request)
/// }
/// print(usage.totals.totalTokens, usage.cost.map(String.init(describing:)) ?? "unknown cost")
/// for (key, totals) in usage.byKey { print(key, totals.requests) }
/// ```
///
/// Calls whose events carry no key id count in ``totals`` and ``byModel`` but not in ``byKey``.
public struct UsageSummary: Sendable, Hashable, Codable {
    /// Everything the tracker saw.
    public var totals: UsageTotals
    /// Totals per model, by the model name the call asked for.
    public var byModel: [String: UsageTotals]
    /// Totals per API key, by its short id.
    public var byKey: [KeyID: UsageTotals]

    public init(
        totals: UsageTotals = UsageTotals(), byModel: [String: UsageTotals] = [:], byKey: [KeyID: UsageTotals] = [:]
    ) {
        self.totals = totals
        self.byModel = byModel
        self.byKey = byKey
    }

    /// The total cost, or `nil` when some tokens are of a model with no price (``unpricedModels``).
    public var cost: Cost? { totals.cost }

    /// Models that used tokens but have no price, sorted; empty when ``cost`` is known.
    public var unpricedModels: [String] { totals.unpricedModels }
}
