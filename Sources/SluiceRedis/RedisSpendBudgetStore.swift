import Sluice
import Synchronization

/// A ``SpendBudgetStore`` in Redis, so that every process spending under a ``SpendBudget`` stops at
/// it together: three replicas with a $50 daily budget spend $50 between them, not $150.
///
/// ```swift
/// let budgets = RedisSpendBudgetStore(configuration: try .init(url: "redis://127.0.0.1:6379/0"))
/// var configuration = LLMClient.Configuration.openAI(apiKey: key)
/// try configuration.setBudgets([SpendBudget("daily", window: .fixed(.seconds(86_400)), maxUSD: 50)])
/// configuration.budgetStore = budgets
/// ```
///
/// Holding an attempt's worst case on every account it touches is one Lua script run atomically on
/// the server (all or none); settling is another, sent without waiting. Windows are on the server's
/// clock — whole multiples of the window's length since the Unix epoch, so a window of 86,400 s is a
/// UTC day — whatever the processes' clocks.
///
/// What is stored: per account and window, one hash and one sorted set under
/// ``Configuration/keyPrefix``, named by fingerprints (the first 16 hex digits of a SHA-256) of the
/// budget (its name and window) and of the tenant or key id, and by the window's index. Never an API
/// key or a tenant's name, and a key's length is bounded whatever a caller names its tenant.
/// Processes share a budget when they name it alike with the same window.
///
/// - Important: Each hold has a lease (``Configuration/holdLifetime``): a process that dies while a
///   call is in flight leaves its hold, which counts as spent at its worst case once the lease ends
///   (the call may have been paid for). A call that outlives its lease is counted so too, and its
///   real usage is dropped. When Redis cannot be reached or answers nonsense,
///   ``Configuration/failurePolicy`` decides: ``FailurePolicy/failClosed`` (the default: a budget is
///   money) fails the call with ``SluiceError/Code/budgetStoreUnavailable``;
///   ``FailurePolicy/fallBackToLocal(share:)`` counts in this process against a share of each limit
///   until Redis answers again. Costs and tokens above 2⁵³ − 1 (about $9 million) are counted as that.
public final class RedisSpendBudgetStore: SpendBudgetStore {
    /// What to do when Redis cannot be reached or answers nonsense.
    public enum FailurePolicy: Sendable, Hashable {
        /// Count in this process against `share` (0…1) of each limit, in a fresh local tally, until
        /// Redis answers again; set it to 1 ÷ the number of processes sharing the budgets.
        case fallBackToLocal(share: Double)
        /// Fail the call with ``SluiceError/Code/budgetStoreUnavailable``.
        case failClosed
    }

    public struct Configuration: RedisStoreConfiguration {
        public var redis: RedisConfiguration
        /// Prefix of every key the store writes. Default `sluice:budget`.
        public var keyPrefix: String = "sluice:budget"
        /// Default ``FailurePolicy/failClosed``.
        public var failurePolicy: FailurePolicy = .failClosed
        /// Connections to Redis (commands are pipelined on each). Default 2.
        public var connections: Int = 2
        /// How long a hold lasts unsettled before it counts as spent at its worst case: longer than
        /// your longest call. Default 15 minutes.
        public var holdLifetime: Duration = .seconds(900)
        /// Called on connection changes, fallbacks and script reloads; must not block.
        public var onEvent: (@Sendable (RateLimitStoreEvent) -> Void)?

        public init(redis: RedisConfiguration) {
            self.redis = redis
        }
    }

    private struct State {
        var keys: [SpendBudgetAccount: String] = [:]
        /// Tenants and key ids seen per budget of every tenant or every key, for ``status(of:)``.
        var instances: [SpendBudget: Set<String>] = [:]
    }

    public let configuration: Configuration
    private let client: RedisClient
    private let fallback: RedisFallback
    private let local: InMemorySpendBudgetStore
    private let state = Mutex(State())
    private let nextID = Atomic<UInt64>(0)
    private let settlements = RedisRateLimitStore.SettlementCounters()
    private let instance = String(UInt64.random(in: 0...UInt64.max), radix: 36)

    /// Tokens and nano-dollars are sent to Redis at most this (Lua counts in doubles).
    static let largestExact: Int64 = (1 << 53) - 1
    /// Settlements sent and not yet answered, at most; more are dropped (and counted).
    static let maxPendingSettlements = 10_000
    /// Tenants or key ids remembered per budget for ``status(of:)``.
    static let maxRememberedInstances = 1_000
    private static let localHold: UInt64 = 1 << 63

    /// - Parameter clock: the clock of the local fallback's windows.
    public init(configuration: Configuration, clock: any SluiceClock = SystemClock.shared) {
        self.configuration = configuration
        self.local = InMemorySpendBudgetStore(clock: clock)
        let onEvent = configuration.onEvent
        self.client = .reporting(to: onEvent, configuration: configuration.redis, connections: configuration.connections)
        self.fallback = RedisFallback(onEvent: onEvent)
    }

    /// Closes the connections to Redis.
    public func close() async { await client.close() }

    /// Settlements dropped because Redis could not take them (their holds count as spent at their
    /// worst case when their leases end).
    public var droppedSettlementCount: Int { settlements.dropped.load(ordering: .relaxed) }

    // MARK: SpendBudgetStore

    public nonisolated(nonsending) func reserve(_ request: SpendBudgetRequest) async throws -> SpendBudgetDecision {
        let id = nextID.add(1, ordering: .relaxed).newValue & ~Self.localHold
        let tokens = Self.exact(Int64(max(0, request.tokens)))
        let cost = Self.exact(request.cost.nanodollars)
        var arguments = [member(id), String(tokens), String(cost), String(max(1, configuration.holdLifetime.milliseconds))]
        for account in request.accounts {
            arguments.append(String(account.budget.windowMilliseconds))
            arguments.append(account.budget.maxTokens.map { String(Self.exact(Int64($0))) } ?? "-1")
            arguments.append(account.budget.maxCost.map { String(Self.exact($0.nanodollars)) } ?? "-1")
        }
        remember(request.accounts)
        let reply: RESPValue
        do {
            reply = try await client.evaluate(RedisScript.budgetReserve, keys: request.accounts.map(key(for:)), arguments: arguments)
        } catch let error as RedisError {
            return try await fallBack(request, after: error)
        }
        fallback.leave()
        let fields = reply.array ?? []
        let value = { (index: Int) -> Int64 in index < fields.count ? fields[index].integer ?? 0 : 0 }
        switch fields.first?.integer {
        case .some(1) where fields.count == request.accounts.count + 1:
            return .reserved(
                SpendBudgetHold(
                    id: id, accounts: request.accounts, tokens: Int(tokens), cost: Cost(nanodollars: cost),
                    marks: (1...request.accounts.count).map(value)))
        case .some(0) where fields.count == 7 && request.accounts.indices.contains(Int(clamping: value(1)) - 1):
            let account = request.accounts[Int(clamping: value(1)) - 1]
            let (start, overflow) = max(0, value(6)).multipliedReportingOverflow(by: account.budget.windowMilliseconds)
            return .refused(
                SpendBudgetStatus(
                    budget: account.budget, instance: account.instance,
                    windowStart: .milliseconds(overflow ? Int64.max : start),
                    spentTokens: Int(clamping: max(0, value(2))), spentCost: Cost(nanodollars: max(0, value(3))),
                    reservedTokens: Int(clamping: max(0, value(4))), reservedCost: Cost(nanodollars: max(0, value(5)))))
        default:
            throw SluiceError(.budgetStoreUnavailable, "the spend-budget script answered \(String(describing: reply).prefix(200))")
        }
    }

    public func settle(_ hold: SpendBudgetHold, tokens: Int, cost: Cost) {
        guard hold.id & Self.localHold == 0 else {
            local.settle(hold, tokens: tokens, cost: cost)
            return
        }
        guard hold.marks.count == hold.accounts.count else { return }
        let counters = settlements
        guard counters.pending.add(1, ordering: .relaxed).newValue <= Self.maxPendingSettlements else {
            counters.pending.subtract(1, ordering: .relaxed)
            counters.dropped.add(1, ordering: .relaxed)
            return
        }
        let keys = zip(hold.accounts, hold.marks).map { key(for: $0) + ":" + String($1) }
        let arguments = [member(hold.id), String(Self.exact(Int64(max(0, tokens)))), String(Self.exact(cost.nanodollars))]
        let client = self.client
        Task {
            defer { counters.pending.subtract(1, ordering: .relaxed) }
            // The hold's marker makes a second attempt safe when the first one's fate is unknown.
            for attempt in 0..<2 {
                if attempt > 0 { try? await Task.sleep(for: RedisClient.initialBackoff * 5) }
                if (try? await client.evaluate(RedisScript.budgetSettle, keys: keys, arguments: arguments)) != nil { return }
            }
            counters.dropped.add(1, ordering: .relaxed)
        }
    }

    /// Each budget's count in its current window on the server, for every tenant or key id this
    /// process has used (up to 1,000 per budget) of a budget of every tenant or every key; the local
    /// fallback's count when Redis cannot answer.
    public nonisolated(nonsending) func status(of budgets: [SpendBudget]) async -> [SpendBudgetStatus] {
        let accounts = state.withLock { state in
            budgets.flatMap { budget -> [SpendBudgetAccount] in
                switch budget.scope {
                case .everyKey, .everyTenant:
                    (state.instances[budget] ?? []).sorted().map { SpendBudgetAccount(budget: budget, instance: $0) }
                default: [SpendBudgetAccount(budget: budget)]
                }
            }
        }
        guard !accounts.isEmpty else { return [] }
        guard
            let reply = try? await client.evaluate(
                RedisScript.budgetStatus, keys: accounts.map(key(for:)), arguments: accounts.map { String($0.budget.windowMilliseconds) }),
            let fields = reply.array, fields.count == accounts.count * 5
        else { return await local.status(of: budgets) }
        return accounts.enumerated().map { index, account in
            let value = { (field: Int) -> Int64 in max(0, fields[index * 5 + field].integer ?? 0) }
            return SpendBudgetStatus(
                budget: account.budget, instance: account.instance, windowStart: .milliseconds(value(4)),
                spentTokens: Int(clamping: value(0)), spentCost: Cost(nanodollars: value(1)),
                reservedTokens: Int(clamping: value(2)), reservedCost: Cost(nanodollars: value(3)))
        }
    }

    // MARK: Helpers

    /// The Redis key of an account (without its window): the prefix, the budget's fingerprint in
    /// braces, and the tenant's or key id's fingerprint (`all` for a budget without one).
    func key(for account: SpendBudgetAccount) -> String {
        if let known = state.withLock({ $0.keys[account] }) { return known }
        let budget = account.budget
        let name = Array(budget.name.utf8) + [0] + Array(budget.window.description.utf8) + [0] + Array(budget.scope.kind.utf8)
        var key = configuration.keyPrefix + ":{" + String(SHA256.hex(name).prefix(16)) + "}:"
        key += account.instance.map { String(SHA256.hex(Array($0.utf8)).prefix(16)) } ?? "all"
        state.withLock { state in
            if state.keys.count >= 10_000 { state.keys.removeAll() }
            state.keys[account] = key
        }
        return key
    }

    private func member(_ id: UInt64) -> String { instance + "-" + String(id, radix: 36) }

    private func remember(_ accounts: [SpendBudgetAccount]) {
        guard accounts.contains(where: { $0.instance != nil }) else { return }
        state.withLock { state in
            for account in accounts {
                guard let instance = account.instance else { continue }
                if state.instances[account.budget, default: []].count >= Self.maxRememberedInstances {
                    state.instances[account.budget] = []
                }
                state.instances[account.budget, default: []].insert(instance)
            }
        }
    }

    private nonisolated(nonsending) func fallBack(_ request: SpendBudgetRequest, after error: RedisError) async throws
        -> SpendBudgetDecision
    {
        switch configuration.failurePolicy {
        case .failClosed:
            throw SluiceError(.budgetStoreUnavailable, "the shared spend-budget store failed: \(error)", cause: error)
        case .fallBackToLocal(let share):
            fallback.enter(after: error)
            var scaled = request
            scaled.accounts = request.accounts.map { account in
                SpendBudgetAccount(budget: account.budget.scaled(by: share), instance: account.instance)
            }
            guard case .reserved(var hold) = local.reserveNow(scaled) else { return local.reserveNow(scaled) }
            hold.id |= Self.localHold
            return .reserved(hold)
        }
    }

    /// `value` clamped to what Lua counts exactly.
    static func exact(_ value: Int64) -> Int64 { min(largestExact, max(0, value)) }
}

extension SpendBudget {
    /// The window's length in milliseconds; 0 for all time.
    var windowMilliseconds: Int64 {
        guard case .fixed(let length) = window else { return 0 }
        return max(1, length.milliseconds)
    }

    /// The budget with each limit times `share` (0…1), at least 1 token or nano-dollar.
    func scaled(by share: Double) -> SpendBudget {
        let share = share.isFinite ? min(1, max(0, share)) : 1
        func scale(_ limit: Int64) -> Int64 {
            let scaled = (Double(limit) * share).rounded(.down)
            return max(1, scaled >= Double(Int64.max) ? Int64.max : Int64(scaled))
        }
        let tokens = maxTokens.map { Int(clamping: scale(Int64($0))) }
        let cost = maxCost.map { Cost(nanodollars: scale($0.nanodollars)) }
        return (try? SpendBudget(name, scope: scope, window: window, maxTokens: tokens, maxCost: cost)) ?? self
    }
}

extension SpendBudget.Scope {
    /// The kind of scope, without its tenant or key (which the account's instance names).
    var kind: String {
        switch self {
        case .client: "client"
        case .key(let id): "key " + id.rawValue
        case .everyKey: "every key"
        case .tenant(let tenant): "tenant " + tenant
        case .everyTenant: "every tenant"
        }
    }
}

extension Duration {
    /// Whole milliseconds, saturating.
    var milliseconds: Int64 { microseconds / 1000 }
}
