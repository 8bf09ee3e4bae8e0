import Histogram

/// A latency distribution for `sluice bench --report`: an HdrHistogram of microseconds, three
/// significant digits, from 1 µs to an hour (longer values count as an hour). Its memory is fixed
/// (a few tens of KB) however many values it holds.
struct BenchHistogram: Sendable {
    /// The longest value told apart, in microseconds.
    static let highestMicroseconds: UInt64 = 3_600_000_000

    /// The percentiles the report's curves are drawn through.
    static let curvePercentiles: [Double] = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100]

    private(set) var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: BenchHistogram.highestMicroseconds,
        numberOfSignificantValueDigits: .three)

    var count: UInt64 { histogram.totalCount }

    mutating func record(_ duration: Duration) {
        let microseconds = BenchFormat.milliseconds(duration) * 1_000
        let clamped =
            microseconds.isFinite
            ? UInt64(min(max(microseconds.rounded(), 1), Double(Self.highestMicroseconds))) : Self.highestMicroseconds
        _ = histogram.record(clamped)
    }

    /// The value at `percentile` (0...100) in milliseconds, or `nil` when empty.
    func milliseconds(atPercentile percentile: Double) -> Double? {
        guard histogram.totalCount > 0 else { return nil }
        let value = percentile >= 100 ? histogram.max : histogram.valueAtPercentile(percentile)
        return Double(value) / 1_000
    }

    /// (percentile, milliseconds) through ``curvePercentiles``; empty when no value was recorded.
    var curve: [(percentile: Double, milliseconds: Double)] {
        Self.curvePercentiles.compactMap { percentile in
            milliseconds(atPercentile: percentile).map { (percentile, $0) }
        }
    }
}

extension BenchHistogram: Equatable {
    static func == (lhs: BenchHistogram, rhs: BenchHistogram) -> Bool {
        lhs.count == rhs.count && lhs.curve.elementsEqual(rhs.curve) { $0 == $1 }
    }
}
