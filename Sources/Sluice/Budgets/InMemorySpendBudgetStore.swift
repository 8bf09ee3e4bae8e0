import Synchronization

/// A ``SpendBudgetStore`` in this process: the default of a client with budgets. Windows are on the
/// store's clock (the client's ``LLMClient/Configuration/clock`` by default).
///
/// Tallies of a budget of every tenant or every key are kept per tenant or key seen; those of past
/// windows with nothing in flight are dropped as new ones come, so memory stays bounded by the
/// tenants and keys of the current window.
public final class InMemorySpendBudgetStore: SpendBudgetStore {
    struct Tally {
        var window: Int64 = 0
        var spentTokens = 0
        var spentCost: Int64 = 0
        var reservedTokens = 0
        var reservedCost: Int64 = 0
    }

    private struct State {
        var tallies: [SpendBudgetAccount: Tally] = [:]
        /// Above this many tallies, the next reservation drops those of past windows.
        var pruneAbove = InMemorySpendBudgetStore.minimumPruneSize
    }

    static let minimumPruneSize = 1_024

    /// The clock windows are counted on.
    public let clock: any SluiceClock
    private let state = Mutex(State())
    private let nextID = Atomic<UInt64>(0)

    /// A store counting windows on `clock`.
    public init(clock: any SluiceClock = SystemClock.shared) {
        self.clock = clock
    }

    /// Tallies kept (a gauge, and a bound check in tests).
    public var accountCount: Int { state.withLock { $0.tallies.count } }

    public nonisolated(nonsending) func reserve(_ request: SpendBudgetRequest) async throws -> SpendBudgetDecision {
        reserveNow(request)
    }

    /// ``reserve(_:)`` without suspending.
    public func reserveNow(_ request: SpendBudgetRequest) -> SpendBudgetDecision {
        let now = clock.now
        let tokens = max(0, request.tokens)
        let cost = max(0, request.cost.nanodollars)
        return state.withLock { state -> SpendBudgetDecision in
            if state.tallies.count > state.pruneAbove { Self.prune(&state, at: now) }
            var updated: [(SpendBudgetAccount, Tally)] = []
            updated.reserveCapacity(request.accounts.count)
            for account in request.accounts {
                var tally = Self.current(state.tallies[account], window: account.budget.windowIndex(at: now))
                if Self.refuses(account.budget, tally, tokens: tokens, cost: cost) {
                    return .refused(Self.status(account, tally))
                }
                tally.reservedTokens = tally.reservedTokens.saturatingAdding(tokens)
                tally.reservedCost = tally.reservedCost.saturatingAdding(cost)
                updated.append((account, tally))
            }
            for (account, tally) in updated { state.tallies[account] = tally }
            return .reserved(
                SpendBudgetHold(
                    id: nextID.add(1, ordering: .relaxed).newValue, accounts: request.accounts, tokens: tokens,
                    cost: Cost(nanodollars: cost)))
        }
    }

    public func settle(_ hold: SpendBudgetHold, tokens: Int, cost: Cost) {
        let now = clock.now
        let tokens = max(0, tokens)
        let cost = max(0, cost.nanodollars)
        state.withLock { state in
            for account in hold.accounts {
                var tally = Self.current(state.tallies[account], window: account.budget.windowIndex(at: now))
                tally.reservedTokens = max(0, tally.reservedTokens.saturatingSubtracting(hold.tokens))
                tally.reservedCost = max(0, tally.reservedCost.saturatingSubtracting(hold.cost.nanodollars))
                tally.spentTokens = tally.spentTokens.saturatingAdding(tokens)
                tally.spentCost = tally.spentCost.saturatingAdding(cost)
                state.tallies[account] = tally
            }
        }
    }

    public nonisolated(nonsending) func status(of budgets: [SpendBudget]) async -> [SpendBudgetStatus] {
        statusNow(of: budgets)
    }

    /// ``status(of:)`` without suspending.
    public func statusNow(of budgets: [SpendBudget]) -> [SpendBudgetStatus] {
        let now = clock.now
        return state.withLock { state -> [SpendBudgetStatus] in
            var statuses: [SpendBudgetStatus] = []
            for budget in budgets {
                var accounts: [SpendBudgetAccount] = []
                switch budget.scope {
                case .everyKey, .everyTenant:
                    accounts = state.tallies.keys.filter { $0.budget == budget }.sorted { ($0.instance ?? "") < ($1.instance ?? "") }
                default:
                    accounts = [SpendBudgetAccount(budget: budget)]
                }
                for account in accounts {
                    statuses.append(
                        Self.status(account, Self.current(state.tallies[account], window: budget.windowIndex(at: now))))
                }
            }
            return statuses
        }
    }

    // MARK: Helpers

    /// The account's tally in `window`: spend resets when a new window began; calls in flight keep
    /// their hold.
    private static func current(_ tally: Tally?, window: Int64) -> Tally {
        var tally = tally ?? Tally(window: window)
        if tally.window != window {
            tally.window = window
            tally.spentTokens = 0
            tally.spentCost = 0
        }
        return tally
    }

    /// Drops the tallies of tenants and keys that hold nothing and whose window has passed (their
    /// spend no longer counts), and sets the next threshold at twice what is left.
    private static func prune(_ state: inout State, at now: Duration) {
        state.tallies = state.tallies.filter { account, tally in
            account.instance == nil || account.budget.window == .total || tally.reservedTokens > 0
                || tally.reservedCost > 0 || tally.window == account.budget.windowIndex(at: now)
        }
        state.pruneAbove = max(minimumPruneSize, min(Int.max / 2, state.tallies.count) * 2)
    }

    /// Whether `budget` cannot take `tokens` and `cost` on top of `tally`.
    static func refuses(_ budget: SpendBudget, _ tally: Tally, tokens: Int, cost: Int64) -> Bool {
        if let limit = budget.maxCost?.nanodollars,
            cost > limit || tally.spentCost.saturatingAdding(tally.reservedCost).saturatingAdding(cost) > limit
        {
            return true
        }
        if let limit = budget.maxTokens,
            tokens > limit || tally.spentTokens.saturatingAdding(tally.reservedTokens).saturatingAdding(tokens) > limit
        {
            return true
        }
        return false
    }

    private static func status(_ account: SpendBudgetAccount, _ tally: Tally) -> SpendBudgetStatus {
        SpendBudgetStatus(
            budget: account.budget, instance: account.instance, windowStart: account.budget.windowStart(of: tally.window),
            spentTokens: tally.spentTokens, spentCost: Cost(nanodollars: tally.spentCost),
            reservedTokens: tally.reservedTokens, reservedCost: Cost(nanodollars: tally.reservedCost))
    }
}

extension SpendBudget {
    /// The window `now` (on a client's clock) falls in: its index from zero; always 0 for
    /// ``Window/total``.
    func windowIndex(at now: Duration) -> Int64 {
        guard case .fixed(let length) = window else { return 0 }
        let index = (now / length).rounded(.down)
        guard index.isFinite, index >= 0 else { return 0 }
        return index >= Double(Int64.max) ? Int64.max : Int64(index)
    }

    /// When window `index` began (zero for ``Window/total``).
    func windowStart(of index: Int64) -> Duration {
        guard case .fixed(let length) = window else { return .zero }
        return length * index
    }
}
