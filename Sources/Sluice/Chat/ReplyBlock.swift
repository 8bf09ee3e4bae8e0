/// One content block of a reply, in the order the model produced it.
///
/// ```swift
/// for block in reply.blocks {
///     switch block {
///     case .thinking(let thinking): log(thinking.text)
///     case .text(let text): print(text)
///     case .toolCall(let call): run(call)
///     }
/// }
/// ```
///
/// ``ChatResponse/text`` and ``ChatResponse/toolCalls`` stay the quick way to read a reply; the blocks
/// add the reasoning and the order.
public enum ReplyBlock: Sendable, Hashable {
    /// Reasoning: a `thinking` block with its signature, or a `redacted_thinking` block.
    case thinking(ThinkingBlock)
    /// A text block.
    case text(String)
    /// A tool call.
    case toolCall(ToolCall)
}
