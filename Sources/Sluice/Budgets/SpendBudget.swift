/// A cap on what a client may spend, in tokens and/or US dollars, over a window: for the whole
/// client (one deployment), for one API key, or for a caller-named tenant.
///
/// Before each attempt is sent, every budget that applies reserves the attempt's worst case — its
/// estimated input tokens plus the most it may generate (``ClientContext/tokenEstimate``), priced
/// with ``LLMClient/Configuration/prices`` at the uncached input price (or the cache-write price,
/// when that is higher) and the output price. An attempt whose worst case does not fit in what a
/// budget has left fails at once with ``SluiceError/Code/budgetExceeded``, before anything is sent.
/// When the reply ends, the reservation is replaced by what the provider's usage says it cost.
///
/// ```swift
/// let perTenant = try SpendBudget("tenant-daily", scope: .everyTenant, window: .fixed(.seconds(86_400)), maxUSD: 5)
/// let total = try SpendBudget("client-total", maxTokens: 2_000_000)
/// ```
///
/// - Important: The input side of the worst case is the client's token estimate; a prompt the
///   provider counts as larger than estimated can spend past a limit by the difference.
public struct SpendBudget: Sendable, Hashable, CustomStringConvertible {
    /// What a budget counts.
    public enum Scope: Sendable, Hashable, CustomStringConvertible {
        /// Every call of the client: a deployment's budget.
        case client
        /// Calls sent with the key of this id (the key the rate limiter's pool chose, else the
        /// client's own ``LLMClient/Configuration/apiKey``).
        case key(KeyID)
        /// Each key on its own: one budget of this size per key id.
        case everyKey
        /// Calls whose ``CallOptions/tenant`` is this tenant.
        case tenant(String)
        /// Each tenant on its own: one budget of this size per ``CallOptions/tenant`` seen. Calls
        /// without a tenant are not counted.
        case everyTenant

        public var description: String {
            switch self {
            case .client: "client"
            case .key(let id): "key \(id)"
            case .everyKey: "every key"
            case .tenant(let tenant): "tenant \(tenant)"
            case .everyTenant: "every tenant"
            }
        }
    }

    /// Over what time a budget's spend is counted.
    public enum Window: Sendable, Hashable, CustomStringConvertible {
        /// For the life of the client: spend never resets.
        case total
        /// Fixed windows of this length on the client's clock (``LLMClient/Configuration/clock``,
        /// monotonic): the spend resets to zero when the clock enters the next multiple of the length.
        /// Not aligned on calendar days or months. With a shared ``SpendBudgetStore`` (see
        /// ``LLMClient/Configuration/budgetStore``), on the store's clock instead.
        case fixed(Duration)

        public var description: String {
            switch self {
            case .total: "in total"
            case .fixed(let length): "per \(length)"
            }
        }
    }

    /// The name that errors, events and ``LLMClient/budgetStatus`` use; unique per client.
    public let name: String
    /// What it counts.
    public let scope: Scope
    /// Over what time.
    public let window: Window
    /// The most input plus output tokens, if limited.
    public let maxTokens: Int?
    /// The most cost, if limited.
    public let maxCost: Cost?

    /// A budget; at least one of `maxTokens`, `maxUSD` or `maxCost`.
    ///
    /// - Parameters:
    ///   - name: a name for errors, events and status (not empty).
    ///   - scope: what it counts (default the whole client).
    ///   - window: over what time (default ``Window/total``).
    ///   - maxTokens: the most input plus output tokens (above zero).
    ///   - maxUSD: the most US dollars (finite, at least one nano-dollar).
    ///   - maxCost: the most cost, exactly; give it or `maxUSD`, not both.
    /// - Throws: ``SluiceError/Code/invalidConfiguration`` for an empty name or tenant, no limit, a
    ///   limit of zero or less or not finite, both `maxUSD` and `maxCost`, or a window of zero or less.
    public init(
        _ name: String,
        scope: Scope = .client,
        window: Window = .total,
        maxTokens: Int? = nil,
        maxUSD: Double? = nil,
        maxCost: Cost? = nil
    ) throws(SluiceError) {
        func invalid(_ reason: String) -> SluiceError {
            SluiceError(.invalidConfiguration, "invalid spend budget \"\(name)\": \(reason)")
        }
        guard !name.isEmpty else { throw invalid("the name is empty") }
        if case .tenant(let tenant) = scope, tenant.isEmpty { throw invalid("the tenant is empty") }
        if case .fixed(let length) = window, length <= .zero { throw invalid("the window is \(length), not above zero") }
        guard maxTokens != nil || maxUSD != nil || maxCost != nil else {
            throw invalid("no limit: give maxTokens, maxUSD or maxCost")
        }
        if let maxTokens, maxTokens <= 0 { throw invalid("maxTokens is \(maxTokens), not above zero") }
        if maxUSD != nil, maxCost != nil { throw invalid("both maxUSD and maxCost are given; give one") }
        var cost = maxCost
        if let maxUSD {
            guard maxUSD.isFinite, maxUSD > 0 else { throw invalid("maxUSD is \(maxUSD), not a finite amount above zero") }
            let nanos = (maxUSD * 1_000_000_000).rounded()
            guard nanos >= 1 else { throw invalid("maxUSD is \(maxUSD), less than one nano-dollar") }
            cost = Cost(nanodollars: nanos >= Double(Int64.max) ? Int64.max : Int64(nanos))
        }
        if let cost, cost.nanodollars <= 0 { throw invalid("maxCost is \(cost), not above zero") }
        self.name = name
        self.scope = scope
        self.window = window
        self.maxTokens = maxTokens
        self.maxCost = cost
    }

    /// The limits in words: `$5.000000 and 100000 tokens per 1h for every tenant`.
    public var limitDescription: String {
        var limits: [String] = []
        if let maxCost { limits.append(maxCost.description) }
        if let maxTokens { limits.append("\(maxTokens) tokens") }
        return limits.joined(separator: " and ") + " \(window)"
    }

    public var description: String { "SpendBudget(\(name): \(limitDescription), \(scope))" }

    /// Checks a client's budgets together: names are unique.
    ///
    /// - Throws: ``SluiceError/Code/invalidConfiguration`` naming the first repeated name.
    public static func validate(_ budgets: [SpendBudget]) throws(SluiceError) {
        var names: Set<String> = []
        for budget in budgets where !names.insert(budget.name).inserted {
            throw SluiceError(
                .invalidConfiguration, "invalid spend budgets: the name \"\(budget.name)\" is used more than once")
        }
    }
}
