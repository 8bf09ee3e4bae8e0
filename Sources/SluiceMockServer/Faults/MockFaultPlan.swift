/// Faults injected at random rates from a seeded generator, so a failing run can be reproduced.
///
/// For every admitted request that has no scripted outcome, the server draws one number `r` in
/// `[0, 1)` from a SplitMix64 generator seeded with ``seed``, and injects the first entry whose
/// cumulative probability exceeds `r` (or no fault). The same seed and the same order of requests
/// give the same faults; concurrent requests are drawn in arrival order.
///
/// ```swift
/// var configuration = MockServerConfiguration()
/// configuration.faults = MockFaultPlan(seed: 42, [
///     .rate(0.05, .rateLimited()),
///     .rate(0.02, .serverError(503, shouldRetry: true)),
///     .rate(0.01, .dropConnection(afterTokens: 2)),
/// ])
/// ```
public struct MockFaultPlan: Sendable, Hashable {
    /// One fault and the probability of injecting it into a request.
    public struct Entry: Sendable, Hashable {
        /// The fault.
        public var fault: MockFault
        /// Probability in `0...1`.
        public var probability: Double

        /// Creates an entry.
        public init(fault: MockFault, probability: Double) {
            precondition((0...1).contains(probability), "a probability is between 0 and 1")
            self.fault = fault
            self.probability = probability
        }

        /// Shorthand for an entry: `.rate(0.05, .serverError(503))`.
        public static func rate(_ probability: Double, _ fault: MockFault) -> Entry {
            Entry(fault: fault, probability: probability)
        }
    }

    /// The generator's seed.
    public var seed: UInt64
    /// The faults and their rates; the probabilities add up to at most 1.
    public var entries: [Entry]

    /// Creates a plan.
    public init(seed: UInt64 = 0, _ entries: [Entry]) {
        precondition(
            entries.reduce(0) { $0 + $1.probability } <= 1.000_000_1, "fault probabilities add up to more than 1")
        self.seed = seed
        self.entries = entries
    }

    /// No random faults.
    public static let none = MockFaultPlan([])

    /// The fault chosen for a draw `r` in `[0, 1)`.
    func fault(forDraw draw: Double) -> MockFault? {
        var cumulative = 0.0
        for entry in self.entries {
            cumulative += entry.probability
            if draw < cumulative { return entry.fault }
        }
        return nil
    }
}
