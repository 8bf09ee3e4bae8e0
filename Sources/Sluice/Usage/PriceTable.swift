/// List prices per model, for turning token usage into ``Cost``.
///
/// Use ``default`` for current OpenAI and Anthropic list prices, extend or override it with your
/// own models (a fine-tune, a negotiated rate, a local model at zero), or start from ``empty``:
///
/// ```swift
/// var prices = PriceTable.default
/// prices["my-finetune"] = ModelPrice(input: 0.30, cachedInput: 0.15, output: 1.20)
/// prices["gpt-4o"] = ModelPrice(input: 2.00, cachedInput: 1.00, output: 8.00)  // your rate
/// let tracker = UsageTracker(prices: prices)
/// ```
///
/// ## Matching
///
/// ``price(for:)`` matches a model name exactly first. Otherwise it takes the longest entry that
/// is a prefix of the name followed by `-` and a dated snapshot suffix (four or more digits, as in
/// `gpt-4o-mini-2024-07-18`, `claude-sonnet-4-5-20250929`, `gpt-4-0613`) or `-latest`. So
/// snapshots share their model's price, while a different model that merely starts the same way
/// (`gpt-4o-audio-preview`, `gpt-5-pro`, `claude-opus-4-6`) is *not* priced by accident: it is
/// reported as unpriced until you add it. A model with no price never costs "$0"; see
/// ``UsageSummary/unpricedModels``.
///
/// ## The default table
///
/// Standard (not batch, not priority, not long-context) list prices in USD per million tokens,
/// checked on 2026-11-21 against stored copies of Anthropic's pricing page
/// (platform.claude.com/docs/en/about-claude/pricing) and of OpenAI's pricing page
/// (platform.openai.com/docs/pricing, as quoted in dated third-party summaries). Prices change:
/// override what you rely on.
///
/// | Model | Input | Cached input | Output | Cache write |
/// |---|---|---|---|---|
/// | `gpt-5.4` | 2.50 | 0.25 | 15.00 | – |
/// | `gpt-5.4-mini` | 0.75 | 0.075 | 4.50 | – |
/// | `gpt-5.4-nano` | 0.20 | 0.02 | 1.25 | – |
/// | `gpt-5.1`, `gpt-5` | 1.25 | 0.125 | 10.00 | – |
/// | `gpt-5-mini` | 0.25 | 0.025 | 2.00 | – |
/// | `gpt-5-nano` | 0.05 | 0.005 | 0.40 | – |
/// | `gpt-4.1` | 2.00 | 0.50 | 8.00 | – |
/// | `gpt-4.1-mini` | 0.40 | 0.10 | 1.60 | – |
/// | `gpt-4.1-nano` | 0.10 | 0.025 | 0.40 | – |
/// | `gpt-4o` | 2.50 | 1.25 | 10.00 | – |
/// | `gpt-4o-mini` | 0.15 | 0.075 | 0.60 | – |
/// | `o3` | 2.00 | 0.50 | 8.00 | – |
/// | `o4-mini` | 1.10 | 0.275 | 4.40 | – |
/// | `text-embedding-3-small` | 0.02 | – | 0 | – |
/// | `text-embedding-3-large` | 0.13 | – | 0 | – |
/// | `claude-opus-4-5` | 5.00 | 0.50 | 25.00 | 6.25 |
/// | `claude-opus-4-1`, `claude-opus-4-0`, `claude-opus-4` | 15.00 | 1.50 | 75.00 | 18.75 |
/// | `claude-sonnet-4-5`, `claude-sonnet-4-0`, `claude-sonnet-4`, `claude-3-7-sonnet` | 3.00 | 0.30 | 15.00 | 3.75 |
/// | `claude-haiku-4-5` | 1.00 | 0.10 | 5.00 | 1.25 |
/// | `claude-3-5-haiku` | 0.80 | 0.08 | 4.00 | 1.00 |
///
/// Anthropic's cache write is the 5-minute write price; one-hour writes cost more and are not told
/// apart in ``Usage``.
public struct PriceTable: Sendable, Hashable, Codable, ExpressibleByDictionaryLiteral {
    /// The entries, by model name as the provider spells it.
    public var prices: [String: ModelPrice]

    /// A table of exactly these entries.
    public init(_ prices: [String: ModelPrice] = [:]) {
        self.prices = prices
    }

    public init(dictionaryLiteral elements: (String, ModelPrice)...) {
        prices = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }

    /// No prices: every model is reported as unpriced.
    public static let empty = PriceTable()

    /// The entry for exactly `model`, to read, add, override or remove (`nil`).
    public subscript(model: String) -> ModelPrice? {
        get { prices[model] }
        set { prices[model] = newValue }
    }

    /// This table with `other`'s entries added, `other` winning where both price a model.
    public func merging(_ other: PriceTable) -> PriceTable {
        PriceTable(prices.merging(other.prices, uniquingKeysWith: { _, theirs in theirs }))
    }

    /// The price of `model`: its exact entry, else the longest entry it is a dated snapshot of
    /// (see "Matching" above), else `nil`.
    public func price(for model: String) -> ModelPrice? {
        if let exact = prices[model] { return exact }
        var best: (name: String, price: ModelPrice)?
        for (name, price) in prices where Self.isSnapshot(model, of: name) {
            if let current = best, current.name.utf8.count >= name.utf8.count { continue }
            best = (name, price)
        }
        return best?.price
    }

    /// Whether `model` is `base` followed by `-` and a snapshot suffix: four or more digits, or
    /// `latest`.
    static func isSnapshot(_ model: String, of base: String) -> Bool {
        let name = model.utf8
        let prefix = base.utf8
        guard !prefix.isEmpty, name.count > prefix.count + 1, name.starts(with: prefix) else { return false }
        var rest = name.dropFirst(prefix.count)
        guard rest.first == UInt8(ascii: "-") else { return false }
        rest = rest.dropFirst()
        if rest.elementsEqual("latest".utf8) { return true }
        let digits = rest.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        return digits.count >= 4
    }

    /// Current OpenAI and Anthropic list prices (checked 2026-11-21; see the table above).
    public static let `default`: PriceTable = {
        let sonnet = ModelPrice(input: 3.00, cachedInput: 0.30, output: 15.00, cacheWrite: 3.75)
        let opus4 = ModelPrice(input: 15.00, cachedInput: 1.50, output: 75.00, cacheWrite: 18.75)
        let gpt5 = ModelPrice(input: 1.25, cachedInput: 0.125, output: 10.00)
        return [
            // OpenAI
            "gpt-5.4": ModelPrice(input: 2.50, cachedInput: 0.25, output: 15.00),
            "gpt-5.4-mini": ModelPrice(input: 0.75, cachedInput: 0.075, output: 4.50),
            "gpt-5.4-nano": ModelPrice(input: 0.20, cachedInput: 0.02, output: 1.25),
            "gpt-5.1": gpt5,
            "gpt-5": gpt5,
            "gpt-5-mini": ModelPrice(input: 0.25, cachedInput: 0.025, output: 2.00),
            "gpt-5-nano": ModelPrice(input: 0.05, cachedInput: 0.005, output: 0.40),
            "gpt-4.1": ModelPrice(input: 2.00, cachedInput: 0.50, output: 8.00),
            "gpt-4.1-mini": ModelPrice(input: 0.40, cachedInput: 0.10, output: 1.60),
            "gpt-4.1-nano": ModelPrice(input: 0.10, cachedInput: 0.025, output: 0.40),
            "gpt-4o": ModelPrice(input: 2.50, cachedInput: 1.25, output: 10.00),
            "gpt-4o-mini": ModelPrice(input: 0.15, cachedInput: 0.075, output: 0.60),
            "o3": ModelPrice(input: 2.00, cachedInput: 0.50, output: 8.00),
            "o4-mini": ModelPrice(input: 1.10, cachedInput: 0.275, output: 4.40),
            "text-embedding-3-small": ModelPrice(input: 0.02, output: 0),
            "text-embedding-3-large": ModelPrice(input: 0.13, output: 0),
            // Anthropic
            "claude-opus-4-5": ModelPrice(input: 5.00, cachedInput: 0.50, output: 25.00, cacheWrite: 6.25),
            "claude-opus-4-1": opus4,
            "claude-opus-4-0": opus4,
            "claude-opus-4": opus4,
            "claude-sonnet-4-5": sonnet,
            "claude-sonnet-4-0": sonnet,
            "claude-sonnet-4": sonnet,
            "claude-3-7-sonnet": sonnet,
            "claude-haiku-4-5": ModelPrice(input: 1.00, cachedInput: 0.10, output: 5.00, cacheWrite: 1.25),
            "claude-3-5-haiku": ModelPrice(input: 0.80, cachedInput: 0.08, output: 4.00, cacheWrite: 1.00),
        ]
    }()
}
