/// Runs `operation` and returns its result with the usage of every call made inside it, child
/// tasks included.
///
/// The scoped form of ``UsageTracker``, like LangChain's `get_openai_callback`: a fresh tracker is
/// attached to the task scope with ``withEventHandler(_:isolation:operation:)``, so the calls made
/// in `operation` — in child tasks and task groups too, concurrently — are counted exactly, and calls
/// made elsewhere at the same time are not.
///
/// ```swift
/// let (answers, usage) = try await withUsageTracking {
///     try await withThrowingTaskGroup(of: ChatResponse.self) { group in
///         for question in questions { group.addTask { try await client.chat(question) } }
///         return try await group.reduce(into: []) { $0.append($1) }
///     }
/// }
/// print(usage.totals.totalTokens, usage.cost?.description ?? "unknown cost")
/// ```
///
/// - Parameters:
///   - prices: how to price the usage (by default ``PriceTable/default``).
///   - operation: the work to measure.
/// - Returns: `operation`'s result and the summary taken when it returned.
/// - Important: The summary is taken when `operation` returns, so it covers structured child tasks
///   (which have finished by then) but not unstructured `Task { }`s still running, and `Task.detached`
///   work is never seen. If `operation` throws, the error is rethrown and the summary is lost: to keep
///   usage of failed work, make a ``UsageTracker`` and use ``withEventHandler(_:isolation:operation:)``.
public func withUsageTracking<Result>(
    prices: PriceTable = .default,
    isolation: isolated (any Actor)? = #isolation,
    _ operation: () async throws -> Result
) async rethrows -> (result: Result, usage: UsageSummary) {
    let tracker = UsageTracker(prices: prices)
    let result = try await withEventHandler(tracker, isolation: isolation, operation: operation)
    return (result, tracker.snapshot())
}
