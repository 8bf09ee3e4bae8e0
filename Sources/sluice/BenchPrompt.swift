/// The deterministic prompts of `sluice bench`.
enum BenchPrompt {
    static let filler =
        "A sluice is a water channel controlled at its head by a movable gate. The gate rises and falls "
        + "to let a measured flow through, no more and no less, whatever the level upstream. "

    /// Exactly `characters` ASCII characters: `Request N. ` then the filler, repeated and cut. The
    /// index comes first so that no two prompts share a cacheable prefix.
    static func text(index: Int, characters: Int) -> String {
        guard characters > 0 else { return "" }
        var text = "Request \(index + 1). "
        while text.utf8.count < characters { text += filler }
        return String(text.prefix(characters))
    }

    /// The system prompt every call shares with `--cached-prefix-tokens`: `4 × tokens` ASCII
    /// characters (about `tokens` tokens by the estimators' four bytes a token), the same for every call.
    static func sharedPrefix(tokens: Int) -> String {
        let characters = max(1, tokens).multipliedReportingOverflow(by: 4)
        guard !characters.overflow else { return "" }
        var text = "Shared instructions. "
        while text.utf8.count < characters.partialValue { text += filler }
        return String(text.prefix(characters.partialValue))
    }
}
