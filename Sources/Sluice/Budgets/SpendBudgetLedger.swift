import Synchronization

/// What a client's budgets have spent and hold, per budget and per tenant or key: reserves an
/// attempt's worst case on every budget that applies (all or none), and settles it exactly once.
final class SpendBudgetLedger: Sendable {
    let budgets: [SpendBudget]
    let prices: PriceTable
    let clock: any SluiceClock

    /// One budget's count for one tenant or key (`instance`), or for the whole budget (`nil`).
    struct Account: Hashable {
        var budget: Int
        var instance: String?
    }

    struct Tally {
        var window: Int64 = 0
        var spentTokens = 0
        var spentCost: Int64 = 0
        var reservedTokens = 0
        var reservedCost: Int64 = 0
    }

    /// What one attempt holds on each account.
    struct Reservation: Sendable {
        var accounts: [Account]
        var tokens: Int
        var cost: Int64
        /// The model's price, when a budget counts dollars.
        var price: ModelPrice?
    }

    private let state = Mutex<[Account: Tally]>([:])

    init(budgets: [SpendBudget], prices: PriceTable, clock: any SluiceClock) {
        self.budgets = budgets
        self.prices = prices
        self.clock = clock
    }

    /// The accounts of the budgets that apply to an attempt sent with `key` for `tenant`.
    func accounts(key: KeyID?, tenant: String?) -> [Account] {
        var accounts: [Account] = []
        for (index, budget) in budgets.enumerated() {
            switch budget.scope {
            case .client: accounts.append(Account(budget: index))
            case .key(let id) where id == key: accounts.append(Account(budget: index))
            case .everyKey: if let key { accounts.append(Account(budget: index, instance: key.rawValue)) }
            case .tenant(let name) where name == tenant: accounts.append(Account(budget: index))
            case .everyTenant: if let tenant { accounts.append(Account(budget: index, instance: tenant)) }
            default: break
            }
        }
        return accounts
    }

    /// The window `now` falls in for `budget`.
    func window(of budget: SpendBudget, at now: Duration) -> Int64 {
        guard case .fixed(let length) = budget.window else { return 0 }
        let index = (now / length).rounded(.down)
        guard index.isFinite, index >= 0 else { return 0 }
        return index >= Double(Int64.max) ? Int64.max : Int64(index)
    }

    /// The account's tally in the current window: spend resets when a new window began; calls in
    /// flight keep their reservation.
    private static func current(_ tally: Tally?, window: Int64) -> Tally {
        var tally = tally ?? Tally(window: window)
        if tally.window != window {
            tally.window = window
            tally.spentTokens = 0
            tally.spentCost = 0
        }
        return tally
    }

    /// Reserves `estimate`'s worst case on every budget that applies, or throws
    /// ``SluiceError/Code/budgetExceeded`` (or ``SluiceError/Code/budgetUnpricedModel``) and reserves
    /// nothing. `nil` when no budget applies.
    func reserve(model: String, estimate: TokenEstimate, key: KeyID?, tenant: String?) throws(BudgetRefusal)
        -> Reservation?
    {
        let accounts = accounts(key: key, tenant: tenant)
        guard !accounts.isEmpty else { return nil }
        let tokens = max(0, estimate.input).saturatingAdding(max(0, estimate.maxOutput))
        var price: ModelPrice?
        var cost: Int64 = 0
        if let priced = accounts.first(where: { budgets[$0.budget].maxCost != nil }) {
            guard let found = prices.price(for: model) else {
                throw BudgetRefusal(
                    budget: budgets[priced.budget], instance: priced.instance,
                    error: SluiceError(
                        .budgetUnpricedModel,
                        "spend budget \"\(budgets[priced.budget].name)\" counts dollars, but the price table has no price"
                            + " for the model \"\(model)\"; add it to the client's prices"))
            }
            price = found
            cost = Self.worstCase(estimate, price: found).nanodollars
        }
        let now = clock.now
        let refusal: BudgetRefusal? = state.withLock { tallies in
            var updated: [(Account, Tally)] = []
            for account in accounts {
                let budget = budgets[account.budget]
                var tally = Self.current(tallies[account], window: window(of: budget, at: now))
                if let refusal = Self.refusal(budget, account, tally, tokens: tokens, cost: cost) { return refusal }
                tally.reservedTokens = tally.reservedTokens.saturatingAdding(tokens)
                tally.reservedCost = tally.reservedCost.saturatingAdding(cost)
                updated.append((account, tally))
            }
            for (account, tally) in updated { tallies[account] = tally }
            return nil
        }
        if let refusal { throw refusal }
        return Reservation(accounts: accounts, tokens: tokens, cost: cost, price: price)
    }

    /// Why `budget` cannot take `tokens` and `cost` now, or `nil` when it can.
    private static func refusal(_ budget: SpendBudget, _ account: Account, _ tally: Tally, tokens: Int, cost: Int64)
        -> BudgetRefusal?
    {
        typealias Check = (limit: Int64, spent: Int64, reserved: Int64, need: Int64, amount: (Int64) -> String)
        var checks: [Check] = []
        if let maxCost = budget.maxCost?.nanodollars {
            checks.append((maxCost, tally.spentCost, tally.reservedCost, cost, { Cost(nanodollars: $0).description }))
        }
        if let maxTokens = budget.maxTokens {
            checks.append(
                (Int64(maxTokens), Int64(tally.spentTokens), Int64(tally.reservedTokens), Int64(tokens), { "\($0) tokens" }))
        }
        let scope = account.instance.map { "\(budget.scope) (\($0))" } ?? budget.scope.description
        for check in checks {
            let never = check.need > check.limit
            guard never || check.spent.saturatingAdding(check.reserved).saturatingAdding(check.need) > check.limit else {
                continue
            }
            return BudgetRefusal(
                budget: budget, instance: account.instance,
                error: SluiceError(
                    .budgetExceeded,
                    "spend budget \"\(budget.name)\" (\(budget.limitDescription), \(scope)): the call needs up to"
                        + " \(check.amount(check.need)); spent \(check.amount(check.spent)), reserved by calls in flight"
                        + " \(check.amount(check.reserved))" + (never ? "; the call can never fit in the budget" : "")))
        }
        return nil
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
                tokens = reservation.tokens
                cost = reservation.cost
            }
        }
        let now = clock.now
        state.withLock { tallies in
            for account in reservation.accounts {
                var tally = Self.current(tallies[account], window: window(of: budgets[account.budget], at: now))
                tally.reservedTokens = max(0, tally.reservedTokens.saturatingSubtracting(reservation.tokens))
                tally.reservedCost = max(0, tally.reservedCost.saturatingSubtracting(reservation.cost))
                tally.spentTokens = tally.spentTokens.saturatingAdding(tokens)
                tally.spentCost = tally.spentCost.saturatingAdding(cost)
                tallies[account] = tally
            }
        }
    }

    /// Every budget's spend and reservations in its current window: one status per budget, and one
    /// per tenant or key seen for a budget of every tenant or every key.
    func status() -> [SpendBudgetStatus] {
        let now = clock.now
        return state.withLock { tallies -> [SpendBudgetStatus] in
            var statuses: [SpendBudgetStatus] = []
            for (index, budget) in budgets.enumerated() {
                let current = self.window(of: budget, at: now)
                var instances: [String?] = []
                switch budget.scope {
                case .everyKey, .everyTenant:
                    instances = tallies.keys.filter { $0.budget == index }.map(\.instance).sorted { ($0 ?? "") < ($1 ?? "") }
                default:
                    instances = [nil]
                }
                for instance in instances {
                    let tally = Self.current(tallies[Account(budget: index, instance: instance)], window: current)
                    var start = Duration.zero
                    if case .fixed(let length) = budget.window { start = length * current }
                    statuses.append(
                        SpendBudgetStatus(
                            budget: budget, instance: instance, windowStart: start, spentTokens: tally.spentTokens,
                            spentCost: Cost(nanodollars: tally.spentCost), reservedTokens: tally.reservedTokens,
                            reservedCost: Cost(nanodollars: tally.reservedCost)))
                }
            }
            return statuses
        }
    }
}

/// A budget's refusal of an attempt: the error to throw, and what the `budget_exceeded` event reports.
struct BudgetRefusal: Error {
    var budget: SpendBudget
    var instance: String?
    var error: SluiceError
}
