/// The deterministic replies and embeddings the mock server sends.
///
/// A chat reply is a list of words chosen by hashing the last `user` message (64-bit FNV-1a,
/// then SplitMix64), so the same prompt always gets the same reply. Each word is one token: a
/// stream sends word `i` as the delta `" " + word` (the first without the space), and the
/// non-streaming `content` is the words joined by single spaces.
///
/// Use it in a test to know the exact reply in advance:
///
/// ```swift
/// let expected = MockReplyGenerator.reply(to: "Hello", tokens: 5)
/// #expect(content == expected)
/// ```
public enum MockReplyGenerator {
    static let vocabulary: [String] = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
        "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa",
        "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray",
        "yankee", "zulu", "amber", "basil", "cedar", "dune", "ember", "fjord",
        "glacier", "harbor", "island", "jasmine", "kestrel", "lagoon", "meadow", "nectar",
        "orchid", "pebble", "quartz", "river", "saffron", "timber", "umber", "valley",
        "willow", "yarrow", "zephyr", "acorn", "breeze", "canyon", "dawn", "falcon",
        "grove", "heron", "ivy", "juniper", "lotus", "maple", "north", "ocean",
    ]

    /// The words of the reply to `prompt`, `tokens` long.
    public static func words(for prompt: String, tokens: Int) -> [String] {
        var random = SplitMix64(seed: FNV1a.hash(prompt.utf8))
        var words: [String] = []
        words.reserveCapacity(max(0, tokens))
        for _ in 0..<max(0, tokens) {
            words.append(vocabulary[Int(random.next() % UInt64(vocabulary.count))])
        }
        return words
    }

    /// The reply text to `prompt`: ``words(for:tokens:)`` joined by single spaces.
    public static func reply(to prompt: String, tokens: Int) -> String {
        words(for: prompt, tokens: tokens).joined(separator: " ")
    }

    /// The embedding of a string: `dimensions` floats from the hash of its UTF-8 bytes,
    /// scaled to unit length.
    public static func embedding(of text: String, dimensions: Int) -> [Float] {
        embedding(seed: FNV1a.hash(text.utf8), dimensions: dimensions)
    }

    /// The embedding of a token array: like ``embedding(of:dimensions:)``, from the hash of the integers.
    public static func embedding(ofTokens tokens: [Int], dimensions: Int) -> [Float] {
        embedding(seed: FNV1a.hash(integers: tokens), dimensions: dimensions)
    }

    static func embedding(seed: UInt64, dimensions: Int) -> [Float] {
        var random = SplitMix64(seed: seed)
        var values = (0..<max(0, dimensions)).map { _ in random.nextUnit() * 2 - 1 }
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 {
            values = values.map { $0 / norm }
        }
        return values.map { Float($0) }
    }
}
