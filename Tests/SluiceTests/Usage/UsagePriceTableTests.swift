import Sluice
import Testing

@Suite("PriceTable and Cost")
struct UsagePriceTableTests {
    @Test(
        "dated snapshots and -latest share their model's price",
        arguments: [
            ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
            ("gpt-4o-2024-08-06", "gpt-4o"),
            ("gpt-4.1-2025-04-14", "gpt-4.1"),
            ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
            ("claude-opus-4-1-20250805", "claude-opus-4-1"),
            ("claude-sonnet-4-20250514", "claude-sonnet-4"),
            ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
        ]
    )
    func snapshotMatches(model: String, base: String) throws {
        let table = PriceTable.default
        let expected = try #require(table[base])
        #expect(table.price(for: model) == expected)
    }

    @Test(
        "a different model that only starts like a priced one is not priced by accident",
        arguments: ["gpt-4o-audio-preview", "gpt-5-pro", "gpt-5.5", "claude-opus-4-6", "gpt-4o-minix", "my-model", ""]
    )
    func noAccidentalPrefix(model: String) {
        #expect(PriceTable.default.price(for: model) == nil)
    }

    @Test("the longest matching entry wins, and an exact entry beats any prefix")
    func longestPrefix() {
        var table: PriceTable = [
            "m": ModelPrice(input: 1, output: 1),
            "m-mini": ModelPrice(input: 2, output: 2),
        ]
        #expect(table.price(for: "m-mini-2025-01-01")?.input == 2)
        #expect(table.price(for: "m-2025-01-01")?.input == 1)
        table["m-mini-2025-01-01"] = ModelPrice(input: 3, output: 3)
        #expect(table.price(for: "m-mini-2025-01-01")?.input == 3)
    }

    @Test("merging overrides and extends; removing an entry unprices the model")
    func mergeAndRemove() {
        let ours: PriceTable = ["gpt-4o": ModelPrice(input: 1, output: 2), "local": ModelPrice(input: 0, output: 0)]
        var table = PriceTable.default.merging(ours)
        #expect(table["gpt-4o"]?.output == 2)
        #expect(table["local"] != nil)
        #expect(table["gpt-4o-mini"] == PriceTable.default["gpt-4o-mini"])
        table["local"] = nil
        #expect(table.price(for: "local") == nil)
        #expect(PriceTable.empty.price(for: "gpt-4o") == nil)
    }

    @Test("prices are held exactly in micro-dollars per million tokens")
    func exactPrices() {
        let price = ModelPrice(input: 0.15, cachedInput: 0.075, output: 0.60)
        #expect(price.inputMicrosPerMillion == 150_000)
        #expect(price.cachedInputMicrosPerMillion == 75_000)
        #expect(price.outputMicrosPerMillion == 600_000)
        #expect(price.cost(of: Usage(inputTokens: 10, outputTokens: 5)) == Cost(nanodollars: 4_500))
        // Without a cached price, cached tokens cost the input price.
        let plain = ModelPrice(input: 1, output: 1)
        #expect(
            plain.cost(of: Usage(inputTokens: 1_000, outputTokens: 0, cachedInputTokens: 1_000))
                == Cost(nanodollars: 1_000_000))
    }

    @Test("a huge token count does not overflow")
    func noOverflow() {
        let price = ModelPrice(input: 75, output: 150)
        let cost = price.cost(of: Usage(inputTokens: Int(Int32.max), outputTokens: Int(Int32.max)))
        // (2,147,483,647 × 225) µ$ / 10⁶ = $483,183.820575
        #expect(cost == Cost(nanodollars: 483_183_820_575_000))
        #expect(cost.description == "$483183.820575")
    }

    @Test("a cost prints as dollars with six decimals and converts to Double")
    func costFormatting() {
        #expect(Cost(nanodollars: 225_000).description == "$0.000225")
        #expect(Cost(nanodollars: 1_500).description == "$0.000002")
        #expect(Cost(nanodollars: 1_234_567_890).description == "$1.234568")
        #expect(Cost(nanodollars: -2_000).description == "-$0.000002")
        #expect(Cost.zero.description == "$0.000000")
        #expect(Cost(nanodollars: 250_000_000).dollars == 0.25)
        #expect(Cost(nanodollars: 1) + Cost(nanodollars: 2) == Cost(nanodollars: 3))
    }

    @Test("every default entry has a positive input price")
    func defaultTableSane() {
        #expect(PriceTable.default.prices.count >= 20)
        for (model, price) in PriceTable.default.prices {
            #expect(price.inputMicrosPerMillion > 0, "\(model)")
        }
    }
}
