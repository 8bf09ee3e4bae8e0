/// Works out, for each attempt, the accounts of the client's budgets that apply and its worst case,
/// and has the ``SpendBudgetStore`` hold it on all of them (or refuse), then settles it exactly once.
final class SpendBudgetLedger: Sendable {
    let budgets: [SpendBudget]
    let prices: PriceTable
    let store: any SpendBudgetStore
    /// The store, when it is the in-memory one (its status is read without suspending).
    private let local: InMemorySpendBudgetStore?

    /// What one attempt holds.
    struct Reservation: Sendable {
        var hold: SpendBudgetHold
        /// The model's price, when a budget counts dollars.
        var price: ModelPrice?
    }

    init(budgets: [SpendBudget], prices: PriceTable, store: any SpendBudgetStore) {
        self.budgets = budgets
        self.prices = prices
        self.store = store
        self.local = store as? InMemorySpendBudgetStore
    }

    /// The accounts of the budgets that apply to an attempt sent with `key` for `tenant`.
    func accounts(key: KeyID?, tenant: String?) -> [SpendBudgetAccount] {
        var accounts: [SpendBudgetAccount] = []
        for budget in budgets {
            switch budget.scope {
            case .client: accounts.append(SpendBudgetAccount(budget: budget))
            case .key(let id) where id == key: accounts.append(SpendBudgetAccount(budget: budget))
            case .everyKey: if let key { accounts.append(SpendBudgetAccount(budget: budget, instance: key.rawValue)) }
            case .tenant(let name) where name == tenant: accounts.append(SpendBudgetAccount(budget: budget))
            case .everyTenant: if let tenant { accounts.append(SpendBudgetAccount(budget: budget, instance: tenant)) }
            default: break
            }
        }
        return accounts
    }

    /// Holds `estimate`'s worst case on every budget that applies, or throws a ``BudgetRefusal``
    /// (``SluiceError/Code/budgetExceeded`` or ``SluiceError/Code/budgetUnpricedModel``) and holds
    /// nothing; rethrows the store's failure. `nil` when no budget applies.
    nonisolated(nonsending) func reserve(model: String, estimate: TokenEstimate, key: KeyID?, tenant: String?)
        async throws -> Reservation?
    {
        let accounts = accounts(key: key, tenant: tenant)
        guard !accounts.isEmpty else { return nil }
        let tokens = max(0, estimate.input).saturatingAdding(max(0, estimate.maxOutput))
        var price: ModelPrice?
        var cost: Int64 = 0
        if let priced = accounts.first(where: { $0.budget.maxCost != nil }) {
            guard let found = prices.price(for: model) else {
                throw BudgetRefusal(
                    budget: priced.budget, instance: priced.instance,
                    error: SluiceError(
                        .budgetUnpricedModel,
                        "spend budget \"\(priced.budget.name)\" counts dollars, but the price table has no price"
                            + " for the model \"\(model)\"; add it to the client's prices"))
            }
            price = found
            cost = Self.worstCase(estimate, price: found).nanodollars
        }
        let request = SpendBudgetRequest(accounts: accounts, tokens: tokens, cost: Cost(nanodollars: cost))
        let decision = try await store.reserve(request)
        switch decision {
        case .reserved(let hold):
            return Reservation(hold: hold, price: price)
        case .refused(let status):
            throw Self.refusal(status, tokens: tokens, cost: cost)
        }
    }

    /// The refusal of an attempt of `tokens` and `cost` by the account of `status`.
    static func refusal(_ status: SpendBudgetStatus, tokens: Int, cost: Int64) -> BudgetRefusal {
        let budget = status.budget
        typealias Check = (limit: Int64, spent: Int64, reserved: Int64, need: Int64, amount: (Int64) -> String)
        var checks: [Check] = []
        if let maxCost = budget.maxCost?.nanodollars {
            checks.append(
                (maxCost, status.spentCost.nanodollars, status.reservedCost.nanodollars, cost, { Cost(nanodollars: $0).description }))
        }
        if let maxTokens = budget.maxTokens {
            checks.append(
                (Int64(maxTokens), Int64(status.spentTokens), Int64(status.reservedTokens), Int64(tokens), { "\($0) tokens" }))
        }
        let scope = status.instance.map { "\(budget.scope) (\($0))" } ?? budget.scope.description
        // The check that failed, else (a store that counted otherwise) the first.
        let failed =
            checks.first { $0.need > $0.limit || $0.spent.saturatingAdding($0.reserved).saturatingAdding($0.need) > $0.limit }
            ?? checks.first
        var detail = ""
        if let check = failed {
            let never = check.need > check.limit
            detail =
                ": the call needs up to \(check.amount(check.need)); spent \(check.amount(check.spent)), reserved by calls"
                + " in flight \(check.amount(check.reserved))" + (never ? "; the call can never fit in the budget" : "")
        }
        return BudgetRefusal(
            budget: budget, instance: status.instance,
            error: SluiceError(.budgetExceeded, "spend budget \"\(budget.name)\" (\(budget.limitDescription), \(scope))" + detail))
    }

    /// The most a call of `estimate` can cost at `price`: every input token at the uncached price,
    /// or at the cache-write price when that is higher, and every output token it may generate.
    static func worstCase(_ estimate: TokenEstimate, price: ModelPrice) -> Cost {
        let input = Int64(clamping: max(0, estimate.input))
        let writes = (price.cacheWriteMicrosPerMillion ?? 0) > price.inputMicrosPerMillion ? input : 0
        return price.cost(input: input, cached: 0, cacheWrite: writes, output: Int64(clamping: max(0, estimate.maxOutput)))
    }

    /// Replaces the reservation by what `usage` cost (the reservation itself when `usage` is
    /// `nil`: the provider did not say, so the worst case counts), or releases it (`charge: false`).
    func settle(_ reservation: Reservation, usage: Usage?, charge: Bool) {
        var tokens = 0
        var cost: Int64 = 0
        if charge {
            if let usage {
                tokens = max(0, usage.inputTokens).saturatingAdding(max(0, usage.outputTokens))
                // The price counts no negative count (a hostile server's) and saturates.
                cost = reservation.price.map { $0.cost(of: usage).nanodollars } ?? 0
            } else {
                tokens = reservation.hold.tokens
                cost = reservation.hold.cost.nanodollars
            }
        }
        store.settle(reservation.hold, tokens: tokens, cost: Cost(nanodollars: cost))
    }

    /// Every budget's spend and holds in its current window, read without suspending: the in-memory
    /// store's; empty for another store (see ``status()``).
    func localStatus() -> [SpendBudgetStatus] { local?.statusNow(of: budgets) ?? [] }

    /// Every budget's spend and holds in its current window, as the store counts them.
    nonisolated(nonsending) func status() async -> [SpendBudgetStatus] { await store.status(of: budgets) }
}

/// A budget's refusal of an attempt: the error to throw, and what the `budget_exceeded` event reports.
struct BudgetRefusal: Error {
    var budget: SpendBudget
    var instance: String?
    var error: SluiceError
}
