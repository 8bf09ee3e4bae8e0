// Helpers shared by the fuzz targets: deterministic chunking, the steering filters for known crash
// classes, and the "what a client does next" consumers of decoded values.

@testable import Sluice

/// A small deterministic generator (SplitMix64), seeded from the input so a crash replays exactly.
struct FuzzRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    init(hashing bytes: [UInt8]) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        state = hash
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A value in 0..<bound (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Cuts `bytes` into consecutive chunks of random sizes: mostly small (1...8 bytes, to split CRLF
/// pairs, UTF-8 sequences and field names), sometimes larger, sometimes empty.
func fuzzChunks(_ bytes: [UInt8], random: inout FuzzRandom) -> [ArraySlice<UInt8>] {
    var chunks: [ArraySlice<UInt8>] = []
    var start = 0
    while start < bytes.count {
        let size: Int
        switch random.below(8) {
        case 0: size = 0
        case 1, 2: size = 1 + random.below(64)
        case 3: size = 1 + random.below(1024)
        default: size = 1 + random.below(8)
        }
        let end = min(bytes.count, start + size)
        chunks.append(bytes[start..<end])
        start = end
    }
    return chunks
}

/// Known crash class `huge-numbers`: counts, delays and dates large enough to overflow `Int` or
/// `Duration` arithmetic (see Fuzz/known-crashes). While it is excluded, the JSON targets skip inputs
/// that hold a number of magnitude 1e15 or more, so the fuzzer looks for other bugs.
func fuzzHasHugeJSONNumber(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBufferPointer { buffer in
        var index = 0
        while index < buffer.count {
            let byte = buffer[index]
            guard byte == UInt8(ascii: "-") || JSONNumber.isDigit(byte),
                let scanned = JSONNumber.scan(buffer, from: index)
            else {
                index += 1
                continue
            }
            if scanned.end - scanned.start > 15 { return true }
            let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[scanned.start..<scanned.end]), as: UTF8.self)
            if let value = Double(text), !(value.magnitude < 1e15) { return true }
            index = max(scanned.end, index + 1)
        }
        return false
    }
}

/// The header-value form of `huge-numbers`: a run of 10 or more digits, or a value that reads as a
/// number of magnitude 1e9 or more (exponents, hex floats).
func fuzzHasHugeHeaderNumber(_ value: String) -> Bool {
    var run = 0
    for byte in value.utf8 {
        if byte >= 0x30, byte <= 0x39 {
            run += 1
            if run >= 10 { return true }
        } else {
            run = 0
        }
    }
    var trimmed = Substring(value)
    while let first = trimmed.first, first == " " || first == "\t" { trimmed.removeFirst() }
    while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
    if let number = Double(trimmed), !(number.magnitude < 1e9) { return true }
    return false
}

/// Does with a decoded usage what a client does with it: totals, rate-limit settlement, cost,
/// usage tracking.
func fuzzConsume(_ usage: Usage?) {
    let reserved = TokenEstimate(input: 1_000, maxOutput: 4_096)
    for policy in [RateLimitSettlementPolicy.keepAdmissionCharge, .refundUnusedOutput, .exactUsage] {
        _ = policy.charge(reserved, usage)
    }
    guard let usage else { return }
    _ = usage.totalTokens
    let price = ModelPrice(input: 2.5, cachedInput: 1.25, output: 10, cacheWrite: 3.75)
    _ = price.cost(of: usage).description
    var counts = UsageTracker.Counts()
    counts.add(usage)
    counts.add(usage)
    var totals = UsageTracker.Counts()
    totals.add(counts)
}

/// Reads everything a caller might read from a finished chat response.
func fuzzConsume(_ response: ChatResponse) {
    _ = String(describing: response)
    fuzzConsume(response.usage)
}

/// Reads everything a caller might read from an error.
func fuzzConsume(_ error: any Error) {
    _ = String(describing: error)
    if let error = error as? SluiceError {
        _ = error.description
        _ = error.providerError.map { String(describing: $0) }
        if let partial = error.partialResponse { fuzzConsume(partial) }
    }
}
