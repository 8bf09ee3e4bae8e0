import Sluice

/// Number formatting for `sluice bench` (no Foundation): fixed decimals, milliseconds, percentiles.
enum BenchFormat {
    /// `value` with exactly `digits` decimals, rounded half away from zero; `-` when not finite.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite, abs(value) < 1e15, (0...12).contains(digits) else { return "-" }
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        // Past what an Int64 holds once scaled (about 9.2e18): no figure, rather than a trap.
        let magnitude = (abs(value) * Double(scale)).rounded()
        guard magnitude < 9.0e18 else { return "-" }
        let scaled = Int64(magnitude)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        let whole = String(scaled / scale)
        guard digits > 0 else { return sign + whole }
        let fraction = String(scaled % scale)
        return sign + whole + "." + String(repeating: "0", count: digits - fraction.count) + fraction
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    static func milliseconds(_ duration: Duration) -> Double { seconds(duration) * 1_000 }

    /// A readable duration: `850 ms`, `1.25 s`.
    static func readable(_ duration: Duration) -> String {
        let ms = milliseconds(duration)
        return ms < 1_000 ? fixed(ms, ms < 10 ? 2 : 0) + " ms" : fixed(ms / 1_000, 2) + " s"
    }

    /// The nearest-rank percentile `q` (0...1) of `values`, or `nil` when there are none.
    static func percentile(_ sorted: [Duration], _ q: Double) -> Duration? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    /// A JSON number with at most `digits` decimals.
    static func json(_ value: Double, _ digits: Int = 3) -> JSONValue {
        guard value.isFinite, let number = JSONNumber(text: fixed(value, digits)) else { return .null }
        return .number(number)
    }

    static func json(_ value: Double?, _ digits: Int = 3) -> JSONValue {
        value.map { json($0, digits) } ?? .null
    }

    static func json(_ value: Int?) -> JSONValue {
        value.map { .number(JSONNumber($0)) } ?? .null
    }
}
