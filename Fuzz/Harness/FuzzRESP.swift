// Target `resp`: SluiceRedis's RESPParser (compiled into the fuzz build's Sluice module): every byte a
// Redis server sends. Whole and split at a random point, default and tight limits: the replies must
// be the same however the bytes arrive, and nothing may trap.

@testable import Sluice

enum FuzzRESP {
    static func run(_ bytes: [UInt8]) {
        var random = FuzzRandom(hashing: bytes)
        let whole = parse([bytes[...]], limits: RESPParser.Limits())
        let split = random.below(bytes.count + 1)
        let pieces = parse([bytes[..<split], bytes[split...]], limits: RESPParser.Limits())
        fuzzCheck(whole == pieces, "a split at \(split) changed what was parsed")
        _ = parse(
            [bytes[...]],
            limits: RESPParser.Limits(
                maxBulkLength: random.below(64), maxArrayCount: random.below(8), maxDepth: 1 + random.below(4),
                maxLineLength: 16 + random.below(32)))
    }

    /// The replies parsed, then the error that stopped the parser (as text), if any.
    private static func parse(_ chunks: [ArraySlice<UInt8>], limits: RESPParser.Limits) -> [String] {
        var parser = RESPParser(limits: limits)
        var out: [String] = []
        for chunk in chunks {
            parser.append(chunk)
            do {
                while let value = try parser.next() {
                    out.append(String(describing: value))
                    _ = value.string
                    _ = value.integer
                    _ = value.array
                }
            } catch {
                out.append("error: \(error.code)")
                return out
            }
        }
        return out
    }
}
