/// Where a client's ``SpendBudget``s keep their tallies: in this process (``InMemorySpendBudgetStore``,
/// the default) or shared with other processes (SluiceRedis's `RedisSpendBudgetStore`), so that
/// replicas spending under one budget stop at it together instead of each spending it in full.
///
/// ```swift
/// var configuration = LLMClient.Configuration.openAI(apiKey: key)
/// try configuration.setBudgets([SpendBudget("daily", window: .fixed(.seconds(86_400)), maxUSD: 50)])
/// configuration.budgetStore = sharedBudgets
/// ```
///
/// The client works out which accounts an attempt touches and what its worst case is; the store
/// checks and holds it on every account at once, or on none.
///
/// - Important: ``reserve(_:)`` is atomic over its accounts: it holds the request's tokens and cost
///   on each of them, or refuses naming one whose budget cannot take it and holds nothing.
///   ``settle(_:tokens:cost:)`` is called exactly once per hold, must not block, and replaces the
///   hold by what the attempt spent. A networked store gives holds an expiry, so that a process
///   that dies holding one does not hold it for ever.
public protocol SpendBudgetStore: Sendable {
    /// Holds `request`'s tokens and cost on each of its accounts, or refuses and holds nothing.
    ///
    /// - Throws: a ``SluiceError`` (``SluiceError/Code/budgetStoreUnavailable`` for a store that
    ///   cannot answer), when it can neither hold nor refuse.
    nonisolated(nonsending) func reserve(_ request: SpendBudgetRequest) async throws -> SpendBudgetDecision

    /// Replaces `hold` by `tokens` and `cost` spent (zero for an attempt that was not answered).
    func settle(_ hold: SpendBudgetHold, tokens: Int, cost: Cost)

    /// What each of `budgets` has spent and holds in its current window: one status per budget, and
    /// one per tenant or key the store can name for a budget of every tenant or every key.
    nonisolated(nonsending) func status(of budgets: [SpendBudget]) async -> [SpendBudgetStatus]
}

/// One budget's count, for one tenant or key of a budget of every tenant or every key, or for the
/// whole budget.
public struct SpendBudgetAccount: Sendable, Hashable, CustomStringConvertible {
    /// The budget.
    public var budget: SpendBudget
    /// The tenant or key id counted, for a budget of ``SpendBudget/Scope/everyTenant`` or
    /// ``SpendBudget/Scope/everyKey``; `nil` for the others.
    public var instance: String?

    public init(budget: SpendBudget, instance: String? = nil) {
        self.budget = budget
        self.instance = instance
    }

    public var description: String { instance.map { "\(budget.name) (\($0))" } ?? budget.name }
}

/// What one attempt asks a ``SpendBudgetStore`` to hold: its worst case, on every account it touches.
public struct SpendBudgetRequest: Sendable, Hashable {
    /// The accounts the attempt counts on; never empty.
    public var accounts: [SpendBudgetAccount]
    /// The most input plus output tokens the attempt can spend.
    public var tokens: Int
    /// The most it can cost (zero when no budget in dollars applies).
    public var cost: Cost

    public init(accounts: [SpendBudgetAccount], tokens: Int, cost: Cost) {
        self.accounts = accounts
        self.tokens = tokens
        self.cost = cost
    }
}

/// A ``SpendBudgetStore``'s answer to a ``SpendBudgetRequest``.
public enum SpendBudgetDecision: Sendable, Hashable {
    /// Held on every account; settle it exactly once.
    case reserved(SpendBudgetHold)
    /// Held on none: the status of the (first) account whose budget cannot take the request, as the
    /// store counted it when it refused.
    case refused(SpendBudgetStatus)
}

/// What a ``SpendBudgetStore`` holds for one attempt, until settled.
public struct SpendBudgetHold: Sendable, Hashable {
    /// An id, unique within the store that made it.
    public var id: UInt64
    /// The accounts held on, in the request's order.
    public var accounts: [SpendBudgetAccount]
    /// Tokens held on each.
    public var tokens: Int
    /// Cost held on each.
    public var cost: Cost
    /// Where the store keeps the hold on each account (its window, say), in the accounts' order; the
    /// store's own to read.
    public var marks: [Int64]

    public init(id: UInt64, accounts: [SpendBudgetAccount], tokens: Int, cost: Cost, marks: [Int64] = []) {
        self.id = id
        self.accounts = accounts
        self.tokens = tokens
        self.cost = cost
        self.marks = marks
    }
}
