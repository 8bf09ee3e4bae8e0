/// The durations `sluice bench` takes its percentiles from: every value up to ``limit``, then a
/// uniform sample of ``limit`` of all the values offered (reservoir sampling, Algorithm R), so
/// that a `--duration` run of any length keeps bounded memory.
///
/// The generator is SplitMix64 from a fixed seed: the same values offered in the same order keep
/// the same sample.
///
/// The ``limit`` slots are allocated and written when the reservoir is made, so its memory is
/// resident from the start: filling it during a run does not show as RSS growth after warm-up
/// (at the default limit, 160 KB a reservoir).
struct BenchReservoir: Sendable, Equatable {
    /// The default ``limit``: the percentiles of runs up to this many calls are exact.
    static let defaultLimit = 10_000

    let limit: Int
    /// ``limit`` slots, the first `min(seen, limit)` of them in use.
    private var slots: [Duration]
    /// How many values were offered.
    private(set) var seen = 0
    private var random: UInt64

    init(limit: Int = Self.defaultLimit, seed: UInt64 = 0x5eed_5eed) {
        self.limit = max(1, limit)
        self.slots = Array(repeating: .zero, count: self.limit)
        self.random = seed
    }

    /// The values kept: all of them, in order, until ``limit`` were offered.
    var values: [Duration] { Array(slots[..<min(seen, limit)]) }

    /// A reservoir offered `values`, in order.
    init(_ values: [Duration], limit: Int = Self.defaultLimit) {
        self.init(limit: limit)
        for value in values { append(value) }
    }

    var isEmpty: Bool { seen == 0 }

    mutating func append(_ value: Duration) {
        seen += 1
        guard seen > limit else {
            slots[seen - 1] = value
            return
        }
        // The `seen`th value replaces a kept one with probability limit / seen.
        let slot = nextRandom() % UInt64(seen)
        if slot < UInt64(limit) { slots[Int(slot)] = value }
    }

    private mutating func nextRandom() -> UInt64 {
        random &+= 0x9E37_79B9_7F4A_7C15
        var z = random
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
