/// An amount of US dollars, kept exactly as a whole number of nano-dollars (10⁻⁹ USD).
///
/// Costs are computed with integer arithmetic only (no `Decimal`, no Foundation): a price is held
/// in micro-dollars per million tokens, so `tokens × price` is exact in nano-dollars and nothing is
/// rounded while summing. ``dollars`` converts to a `Double` for display or arithmetic of your own.
///
/// ```swift
/// let summary = tracker.snapshot()
/// if let cost = summary.cost {
///     logger.info("spent \(cost)")          // "$0.000225"
/// } else {
///     logger.warning("no price for \(summary.unpricedModels)")
/// }
/// ```
public struct Cost: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The amount in nano-dollars (1 USD = 1,000,000,000).
    public var nanodollars: Int64

    /// A cost of `nanodollars` billionths of a dollar.
    public init(nanodollars: Int64) {
        self.nanodollars = nanodollars
    }

    /// No cost.
    public static let zero = Cost(nanodollars: 0)

    /// The amount in dollars, as a `Double` (exact below about 9 million dollars).
    public var dollars: Double { Double(nanodollars) / 1_000_000_000 }

    /// The amount in micro-dollars (10⁻⁶ USD), rounded half away from zero.
    public var microdollars: Int64 {
        let (quotient, remainder) = nanodollars.quotientAndRemainder(dividingBy: 1_000)
        if remainder >= 500 { return quotient + 1 }
        if remainder <= -500 { return quotient - 1 }
        return quotient
    }

    /// Dollars with six decimals, rounded half away from zero to the micro-dollar: `$0.000225`.
    public var description: String {
        let micros = microdollars
        let sign = micros < 0 ? "-" : ""
        let magnitude = micros.magnitude
        let fraction = String(magnitude % 1_000_000)
        return "\(sign)$\(magnitude / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    public static func < (lhs: Cost, rhs: Cost) -> Bool { lhs.nanodollars < rhs.nanodollars }

    /// The sum, held at `Int64.max` / `Int64.min` nano-dollars rather than overflowing.
    public static func + (lhs: Cost, rhs: Cost) -> Cost {
        Cost(nanodollars: lhs.nanodollars.saturatingAdding(rhs.nanodollars))
    }

    public static func += (lhs: inout Cost, rhs: Cost) { lhs = lhs + rhs }
}
