extension RetryPolicy {
    /// How a backoff is randomised, so that many clients that failed together do not retry together.
    ///
    /// A closed choice:
    ///
    /// ```swift
    /// let policy = try RetryPolicy(jitter: .equal)
    /// ```
    ///
    /// - ``full``: uniformly in `0..<base` (the default; AWS's "full jitter", the best at spreading
    ///   retries).
    /// - ``equal``: `base/2` plus uniformly in `0..<base/2` (never shorter than half the base).
    /// - ``none``: exactly `base` (deterministic; for tests and single clients).
    public struct Jitter: Sendable, Hashable, CustomStringConvertible {
        private enum Kind: Hashable { case full, equal, none }
        private let kind: Kind

        /// Uniformly in `0..<base`.
        public static let full = Jitter(kind: .full)
        /// `base/2 + random(0..<base/2)`.
        public static let equal = Jitter(kind: .equal)
        /// Exactly `base`.
        public static let none = Jitter(kind: .none)

        public var description: String {
            switch kind {
            case .full: "full"
            case .equal: "equal"
            case .none: "none"
            }
        }

        /// The delay for `base`, given `random` drawn uniformly from `0..<1` (clamped to it).
        public func apply(to base: Duration, random: Double) -> Duration {
            let random = random.isFinite ? min(max(random, 0), 1) : 0
            switch kind {
            case .full: return base * random
            case .equal: return base / 2 + (base / 2) * random
            case .none: return base
            }
        }
    }
}
