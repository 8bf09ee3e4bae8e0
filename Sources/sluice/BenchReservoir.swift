/// The durations `sluice bench` takes its percentiles from: every value up to ``limit``, then a
/// uniform sample of ``limit`` of all the values offered (reservoir sampling, Algorithm R), so
/// that a `--duration` run of any length keeps bounded memory.
///
/// The generator is SplitMix64 from a fixed seed: the same values offered in the same order keep
/// the same sample.
struct BenchReservoir: Sendable, Equatable {
    /// The default ``limit``: the percentiles of runs up to this many calls are exact.
    static let defaultLimit = 10_000

    let limit: Int
    /// The values kept: all of them, in order, until ``limit`` were offered.
    private(set) var values: [Duration] = []
    /// How many values were offered.
    private(set) var seen = 0
    private var random: UInt64

    init(limit: Int = Self.defaultLimit, seed: UInt64 = 0x5eed_5eed) {
        self.limit = max(1, limit)
        self.random = seed
    }

    /// A reservoir offered `values`, in order.
    init(_ values: [Duration], limit: Int = Self.defaultLimit) {
        self.init(limit: limit)
        for value in values { append(value) }
    }

    var isEmpty: Bool { values.isEmpty }

    mutating func append(_ value: Duration) {
        seen += 1
        guard values.count >= limit else {
            values.append(value)
            return
        }
        // The `seen`th value replaces a kept one with probability limit / seen.
        let slot = nextRandom() % UInt64(seen)
        if slot < UInt64(limit) { values[Int(slot)] = value }
    }

    private mutating func nextRandom() -> UInt64 {
        random &+= 0x9E37_79B9_7F4A_7C15
        var z = random
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
