extension SluiceError.Code {
    // MARK: Spend budgets

    /// A ``SpendBudget`` would be exceeded: the call's worst-case spend (its estimated input plus its
    /// most output, priced) does not fit in what the budget has left in its window, or is more than
    /// the whole budget. The call was not sent. The message names the budget, its limit, what is
    /// spent and reserved, and what the call would need. Not retried.
    public static let budgetExceeded = SluiceError.Code("budget_exceeded")
    /// A ``SpendBudget`` in US dollars applies to the call, but the client's
    /// ``LLMClient/Configuration/prices`` has no price for the model, so its cost cannot be counted
    /// (it is never counted as $0). The call was not sent. Add the model to the price table.
    public static let budgetUnpricedModel = SluiceError.Code("budget_unpriced_model")
}

extension SluiceError.Code {
    /// The shared ``SpendBudgetStore`` (Redis, say) could not be reached or answered nonsense, and
    /// its policy is to fail closed: the call was not sent, and nothing was counted.
    public static let budgetStoreUnavailable = SluiceError.Code("budget_store_unavailable")
}
