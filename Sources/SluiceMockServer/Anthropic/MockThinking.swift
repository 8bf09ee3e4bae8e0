#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The mock's extended thinking: the reasoning it sends when a request turns `thinking` on, the
/// signature it puts on it, and the check a tool loop's assistant turn must pass.
///
/// The thinking text is `"Reasoning:"` and ``words(seed:tokens:)`` (words of ``MockReplyGenerator``
/// seeded with `"thinking:"` and the reply seed), joined by single spaces. Its signature is keyed hashing of the text with a server
/// secret: four rounds of 64-bit FNV-1a over the secret, the round number and the text, the 32 bytes
/// base64-encoded. A client cannot forge one, and a signature checks only with its own text, as
/// Anthropic's do.
///
/// With thinking on (`enabled` or `adaptive`), a request is checked as Anthropic checks it:
/// - every `thinking` block of an assistant turn must carry a `signature` (else
///   `messages.N.content.M.signature: Field required`) that verifies against its text (else
///   `messages.N.content.M: Invalid `signature` in `thinking` block`); a `redacted_thinking` block
///   must carry `data` that the mock made (else `Invalid `data` in `redacted_thinking` block`);
/// - the last assistant turn, when it has `tool_use` blocks, must start with a `thinking` or
///   `redacted_thinking` block (else Anthropic's "Expected `thinking` or `redacted_thinking`, but
///   found `tool_use`…").
///
/// A prompt that contains Anthropic's test string ``redactedTrigger`` gets its reasoning as a
/// `redacted_thinking` block instead, as Anthropic answers it: its `data` is ``redactedData(of:)``.
enum MockThinking {
    /// The string that makes Anthropic (and the mock) answer with a `redacted_thinking` block.
    static let redactedTrigger = "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING"

    /// The opaque `data` of a redacted block: the text base64-encoded, `:`, and its signature.
    static func redactedData(of text: String) -> String {
        Data(text.utf8).base64EncodedString() + ":" + signature(of: text)
    }

    /// Whether `data` is a redacted block's data the mock made.
    static func verifiesRedacted(_ data: String) -> Bool {
        let parts = data.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let bytes = Data(base64Encoded: String(parts[0])) else { return false }
        return signature(of: String(decoding: bytes, as: UTF8.self)) == parts[1]
    }

    /// The tokens of reasoning the mock sends, at most (less when `budget_tokens` or `max_tokens` is
    /// smaller).
    static let defaultTokens = 12

    static let secret = "sluice-mock-thinking-secret-v1"

    /// The words of the reasoning for a reply seed, `tokens` long.
    static func words(seed: String, tokens: Int) -> [String] {
        MockReplyGenerator.words(for: "thinking:" + seed, tokens: tokens)
    }

    /// The thinking text: `"Reasoning:"` and the words, joined by single spaces.
    static func text(words: [String]) -> String {
        (["Reasoning:"] + words).joined(separator: " ")
    }

    /// The signature of a thinking text.
    static func signature(of text: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for round in 0..<4 {
            var hash = FNV1a.hash(secret.utf8)
            hash = FNV1a.hash(String(round).utf8, seed: hash)
            hash = FNV1a.hash(text.utf8, seed: hash)
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: hash >> UInt64(shift)))
            }
        }
        return Data(bytes).base64EncodedString()
    }

    /// The message of the 400 a request with thinking on gets for its assistant turns, or `nil`
    /// when they pass (see the type's documentation).
    static func problem(in messages: [AnthropicWire.Message]) -> String? {
        for (position, message) in messages.enumerated() where message.role == "assistant" {
            for (index, block) in message.blocks.enumerated() {
                switch block.type {
                case "thinking":
                    guard let signature = block.signature else {
                        return "messages.\(position).content.\(index).signature: Field required"
                    }
                    if signature != Self.signature(of: block.thinking ?? "") {
                        return "messages.\(position).content.\(index): Invalid `signature` in `thinking` block"
                    }
                case "redacted_thinking":
                    guard let data = block.data else {
                        return "messages.\(position).content.\(index).data: Field required"
                    }
                    if !Self.verifiesRedacted(data) {
                        return "messages.\(position).content.\(index): Invalid `data` in `redacted_thinking` block"
                    }
                default:
                    break
                }
            }
        }
        guard let last = messages.lastIndex(where: { $0.role == "assistant" }),
            messages[last].blocks.contains(where: { $0.type == "tool_use" })
        else { return nil }
        let first = messages[last].blocks.first?.type ?? "text"
        if first == "thinking" || first == "redacted_thinking" { return nil }
        return "messages.\(last).content.0.type: Expected `thinking` or `redacted_thinking`, but found `\(first)`. "
            + "When `thinking` is enabled, a final `assistant` message must start with a thinking block "
            + "(preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include "
            + "thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult "
            + "our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
    }
}
