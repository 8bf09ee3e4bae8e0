/// What one budget has spent and holds in reserve in its current window, from
/// ``LLMClient/budgetStatus``.
///
/// A budget of ``SpendBudget/Scope/everyTenant`` or ``SpendBudget/Scope/everyKey`` has one status per
/// tenant or key seen (``instance``); the others have exactly one.
public struct SpendBudgetStatus: Sendable, Hashable, CustomStringConvertible {
    /// The budget.
    public var budget: SpendBudget
    /// The tenant, or the key id, this status counts for a budget of every tenant or every key;
    /// `nil` for the others.
    public var instance: String?
    /// When the current window began, on the client's clock (zero for ``SpendBudget/Window/total``);
    /// from a shared store, on its clock (SluiceRedis's: since the Unix epoch).
    public var windowStart: Duration
    /// Input plus output tokens of the calls settled in the window.
    public var spentTokens: Int
    /// What the calls settled in the window cost, priced when a budget in dollars applied to them
    /// (so zero for the calls of a budget in tokens that no budget in dollars also counted).
    public var spentCost: Cost
    /// Tokens held by calls in flight (their worst case).
    public var reservedTokens: Int
    /// Cost held by calls in flight (their worst case).
    public var reservedCost: Cost

    public init(
        budget: SpendBudget, instance: String? = nil, windowStart: Duration = .zero, spentTokens: Int = 0,
        spentCost: Cost = .zero, reservedTokens: Int = 0, reservedCost: Cost = .zero
    ) {
        self.budget = budget
        self.instance = instance
        self.windowStart = windowStart
        self.spentTokens = spentTokens
        self.spentCost = spentCost
        self.reservedTokens = reservedTokens
        self.reservedCost = reservedCost
    }

    /// Tokens left for new calls (the limit less spent and reserved), if the budget limits tokens.
    public var remainingTokens: Int? {
        budget.maxTokens.map { max(0, $0.saturatingSubtracting(spentTokens).saturatingSubtracting(reservedTokens)) }
    }

    /// Cost left for new calls (the limit less spent and reserved), if the budget limits cost.
    public var remainingCost: Cost? {
        budget.maxCost.map {
            Cost(
                nanodollars: max(
                    0,
                    $0.nanodollars.saturatingSubtracting(spentCost.nanodollars).saturatingSubtracting(
                        reservedCost.nanodollars)))
        }
    }

    public var description: String {
        var parts = ["\(budget.name)"]
        if let instance { parts.append("(\(instance))") }
        parts.append("spent \(spentCost) / \(spentTokens) tokens, reserved \(reservedCost) / \(reservedTokens) tokens")
        parts.append("of \(budget.limitDescription)")
        return parts.joined(separator: " ")
    }
}
