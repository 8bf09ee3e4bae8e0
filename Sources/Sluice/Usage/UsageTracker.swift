import Synchronization

/// Counts tokens, calls, retries, rate-limit waits and cost over every call it sees: the
/// `get_openai_callback` of Sluice.
///
/// Attach one to a client (``LLMClient/Configuration/eventHandlers``) for process-wide totals, to
/// a task scope (``withEventHandler(_:isolation:operation:)``, or simply
/// ``withUsageTracking(prices:isolation:_:)``) for one job's totals, or to one call
/// (``CallOptions/eventHandlers``):
///
/// ```swift
/// let tracker = UsageTracker()                       // PriceTable.default
/// var configuration = LLMClient.Configuration.openAI(apiKey: key)
/// configuration.eventHandlers.append(tracker)
/// // … calls …
/// let usage = tracker.snapshot()
/// logger.info("tokens: \(usage.totals.totalTokens), cost: \(usage.cost?.description ?? "unknown")")
/// ```
///
/// ## What is counted
///
/// - A call whose provider reported no usage is counted from the client's estimate
///   (``Usage/isEstimated``), never as 0 tokens, and counted in ``UsageTotals/estimatedCalls``.
/// - Tokens come only from a call's terminal event — `request_succeeded`, `request_failed` or
///   `request_cancelled` — each call's ``ClientEvent/usage`` exactly once. A stream that failed or
///   was cancelled part-way counts the usage it had reached; `usage_settled` is never counted
///   again.
/// - Calls: one per terminal event, as succeeded, failed or cancelled.
/// - Retries: one per `retry_scheduled`.
/// - Rate-limit wait: the sum of ``ClientEvent/waited`` over `rate_limit_wait_ended`.
/// - Everything is grouped by the event's model (the model the call asked for) and key id.
/// - Cost is computed in ``snapshot()`` from the token totals of each model and the tracker's
///   ``PriceTable``: exact to the nano-dollar, summed over models; a model with tokens but no price
///   makes the cost `nil` and is listed in ``UsageSummary/unpricedModels``.
///
/// - Important: `handle` is thread-safe and cheap (events of other kinds return before taking the
///   lock; the others take one short `Mutex` section), so one tracker may serve any number of
///   concurrent calls. Attach a tracker in only one place per call — on the client *and* in a task
///   scope it would see that call's events twice and count them twice.
public final class UsageTracker: ClientEventHandler {
    /// The prices ``snapshot()`` uses.
    public let prices: PriceTable

    private let state = Mutex<[BucketKey: Counts]>([:])

    /// A tracker that prices usage with `prices` (by default ``PriceTable/default``).
    public init(prices: PriceTable = .default) {
        self.prices = prices
    }

    struct BucketKey: Hashable {
        var model: String
        var key: KeyID?
    }

    /// Raw counts of one model and key.
    struct Counts {
        var input = 0
        var output = 0
        var cached = 0
        var cacheWrite = 0
        var reasoning = 0
        var succeeded = 0
        var failed = 0
        var cancelled = 0
        var retries = 0
        var rateLimitWait: Duration = .zero
        /// Calls counted from the client's estimate because the provider reported no usage.
        var estimated = 0

        mutating func add(_ usage: Usage?) {
            guard let usage else { return }
            if usage.isEstimated { estimated = estimated.saturatingAdding(1) }
            // Saturating: a hostile count can pin a total at Int.max but never trap.
            input = input.saturatingAdding(max(0, usage.inputTokens))
            output = output.saturatingAdding(max(0, usage.outputTokens))
            cached = cached.saturatingAdding(max(0, usage.cachedInputTokens ?? 0))
            cacheWrite = cacheWrite.saturatingAdding(max(0, usage.cacheCreationInputTokens ?? 0))
            reasoning = reasoning.saturatingAdding(max(0, usage.reasoningTokens ?? 0))
        }

        mutating func add(_ other: Counts) {
            input = input.saturatingAdding(other.input)
            output = output.saturatingAdding(other.output)
            cached = cached.saturatingAdding(other.cached)
            cacheWrite = cacheWrite.saturatingAdding(other.cacheWrite)
            reasoning = reasoning.saturatingAdding(other.reasoning)
            succeeded = succeeded.saturatingAdding(other.succeeded)
            failed = failed.saturatingAdding(other.failed)
            cancelled = cancelled.saturatingAdding(other.cancelled)
            retries = retries.saturatingAdding(other.retries)
            rateLimitWait += other.rateLimitWait
            estimated = estimated.saturatingAdding(other.estimated)
        }

        var hasTokens: Bool { input != 0 || output != 0 }
    }

    public func handle(_ event: ClientEvent) {
        var delta = Counts()
        switch event.kind {
        case .requestSucceeded:
            delta.succeeded = 1
            delta.add(event.usage)
        case .requestFailed:
            delta.failed = 1
            delta.add(event.usage)
        case .requestCancelled:
            delta.cancelled = 1
            delta.add(event.usage)
        case .retryScheduled:
            delta.retries = 1
        case .rateLimitWaitEnded:
            guard let waited = event.waited else { return }
            delta.rateLimitWait = waited
        default:
            return
        }
        let key = BucketKey(model: event.model, key: event.keyID)
        state.withLock { buckets in buckets[key, default: Counts()].add(delta) }
    }

    /// The totals so far, priced with ``prices``.
    public func snapshot() -> UsageSummary {
        summarize(state.withLock { $0 })
    }

    /// Clears every count and returns the totals it had, in one step (no event is lost or counted
    /// twice between the two), for periodic reporting.
    @discardableResult
    public func reset() -> UsageSummary {
        summarize(
            state.withLock { buckets in
                defer { buckets = [:] }
                return buckets
            })
    }

    func summarize(_ buckets: [BucketKey: Counts]) -> UsageSummary {
        var models: [String: Counts] = [:]
        var keys: [KeyID: [String: Counts]] = [:]
        for (bucket, counts) in buckets {
            models[bucket.model, default: Counts()].add(counts)
            if let key = bucket.key { keys[key, default: [:]][bucket.model, default: Counts()].add(counts) }
        }
        var priceCache: [String: ModelPrice?] = [:]
        func price(_ model: String) -> ModelPrice? {
            if let cached = priceCache[model] { return cached }
            let found = prices.price(for: model)
            priceCache[model] = found
            return found
        }
        var byModel: [String: UsageTotals] = [:]
        for (model, counts) in models {
            byModel[model] = Self.totals([model: counts], price: price)
        }
        var byKey: [KeyID: UsageTotals] = [:]
        for (key, perModel) in keys {
            byKey[key] = Self.totals(perModel, price: price)
        }
        return UsageSummary(totals: Self.totals(models, price: price), byModel: byModel, byKey: byKey)
    }

    /// Sums per-model counts and prices each model's tokens.
    static func totals(_ perModel: [String: Counts], price: (String) -> ModelPrice?) -> UsageTotals {
        var sum = Counts()
        var priced = Cost.zero
        var unpriced: [String] = []
        for (model, counts) in perModel {
            sum.add(counts)
            guard counts.hasTokens else { continue }
            if let modelPrice = price(model) {
                priced += modelPrice.cost(
                    input: Int64(counts.input),
                    cached: Int64(counts.cached),
                    cacheWrite: Int64(counts.cacheWrite),
                    output: Int64(counts.output)
                )
            } else {
                unpriced.append(model)
            }
        }
        var totals = UsageTotals()
        totals.inputTokens = sum.input
        totals.outputTokens = sum.output
        totals.cachedInputTokens = sum.cached
        totals.cacheCreationInputTokens = sum.cacheWrite
        totals.reasoningTokens = sum.reasoning
        totals.succeeded = sum.succeeded
        totals.failed = sum.failed
        totals.cancelled = sum.cancelled
        totals.retries = sum.retries
        totals.rateLimitWait = sum.rateLimitWait
        totals.estimatedCalls = sum.estimated
        totals.pricedCost = priced
        totals.unpricedModels = unpriced.sorted()
        totals.cost = unpriced.isEmpty ? priced : nil
        return totals
    }
}
