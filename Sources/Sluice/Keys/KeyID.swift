/// A short, non-reversible name for an API key, safe for events, logs, metrics and errors.
///
/// `key-` and 8 hex digits of a 64-bit FNV-1a hash of the key's text, unless a label was given. The
/// key itself cannot be recovered from it.
public struct KeyID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// The id of `apiKey`, or `label` if you want a readable name (never the key itself).
    public init(apiKey: String, label: String? = nil) {
        if let label {
            rawValue = label
            return
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in apiKey.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let folded = UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
        let hex = String(folded, radix: 16)
        rawValue = "key-" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
}
