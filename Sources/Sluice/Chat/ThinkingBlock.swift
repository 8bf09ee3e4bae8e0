/// One block of a model's reasoning: its thinking text and signature, or a redacted block's data.
///
/// Anthropic returns these before the answer when ``ChatRequest/thinking`` is on. Keep them as they
/// came: in a tool loop, Anthropic checks that the assistant turn sent back starts with its thinking
/// blocks, the ``signature`` (or redacted ``redactedData``) unmodified. ``ChatResponse/asMessage``
/// does that for you.
///
/// A `thinking` block that arrives without a signature (a stream cut short, or a compatible server
/// that does not sign) is kept with ``signature`` `nil`; it is sent back without one, and the server
/// decides (Anthropic answers 400).
public struct ThinkingBlock: Sendable, Hashable {
    /// The reasoning in clear; empty for a redacted block (and when the server omits the text).
    public var text: String
    /// The opaque signature of ``text``, sent back as is.
    public var signature: String?
    /// The encrypted data of a `redacted_thinking` block; `nil` for a `thinking` block.
    public var redactedData: String?

    /// A `thinking` block.
    public init(text: String, signature: String?) {
        self.text = text
        self.signature = signature
        self.redactedData = nil
    }

    /// A `redacted_thinking` block with its encrypted data.
    public static func redacted(data: String) -> ThinkingBlock {
        var block = ThinkingBlock(text: "", signature: nil)
        block.redactedData = data
        return block
    }

    /// Whether this is a `redacted_thinking` block.
    public var isRedacted: Bool { redactedData != nil }
}
