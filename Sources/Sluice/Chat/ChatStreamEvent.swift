/// One typed event of a streamed chat reply, in the order the provider sent it.
///
/// Text arrives as ``textDelta(_:)``; a tool call as ``toolCallStarted(index:id:name:)`` then
/// ``toolCallArgumentsDelta(index:fragment:)`` fragments to concatenate; reasoning (Anthropic
/// thinking) as ``thinkingDelta(index:fragment:)`` and ``thinkingSignatureDelta(index:fragment:)``
/// fragments, or a whole ``redactedThinking(index:data:)`` block; ``usage(_:)`` when the
/// provider reports it (OpenAI's last chunk, Anthropic's `message_start` and `message_delta`);
/// ``finished(_:)`` with the stop reason. ``providerEvent(name:data:)`` passes on anything else the
/// provider sent (Anthropic's `ping`, unknown event types) so nothing is lost.
public enum ChatStreamEvent: Sendable, Hashable {
    /// The reply began: the provider's id and model.
    case started(id: String, model: String)
    case textDelta(String)
    /// A tool call began at this index within the reply.
    case toolCallStarted(index: Int, id: String, name: String)
    /// A fragment of the JSON arguments of the tool call at this index.
    case toolCallArgumentsDelta(index: Int, fragment: String)
    /// A fragment of the text of the thinking block at this index, which counts thinking blocks
    /// (redacted ones included) within the reply. A block's first fragment comes when it starts, and
    /// may be empty.
    case thinkingDelta(index: Int, fragment: String)
    /// A fragment of the signature of the thinking block at this index; concatenate them (Anthropic
    /// sends the whole signature in one `signature_delta`, after the text).
    case thinkingSignatureDelta(index: Int, fragment: String)
    /// A `redacted_thinking` block at this thinking index, whole: its encrypted data.
    case redactedThinking(index: Int, data: String)
    /// Usage so far (cumulative, not a delta).
    case usage(Usage)
    case finished(FinishReason)
    /// Any other event, by name, with its JSON payload.
    case providerEvent(name: String, data: JSONValue)

    /// Whether the event carries content the model generated: text, a tool call or a fragment of its
    /// arguments, reasoning (a thinking fragment, its signature, a redacted block), or a content block
    /// the decoder passes on as it is (Anthropic's `content_block_start` and `content_block_delta` of
    /// server-tool blocks).
    ///
    /// Reasoning counts: the model is producing output, so a reply that thinks for a minute before its
    /// first word has its first token when the thinking starts, and the idle timeout runs between
    /// thinking fragments too.
    ///
    /// The first such event is the stream's first token (the `first_token` event, and what
    /// ``TimeoutPolicy/firstToken`` waits for); ``TimeoutPolicy/idle`` counts from the latest. Not
    /// content: ``started(id:model:)`` (OpenAI's role-only first chunk), ``usage(_:)``,
    /// ``finished(_:)``, keep-alive `ping` events and any other provider event.
    public var isContent: Bool {
        switch self {
        case .textDelta, .toolCallStarted, .toolCallArgumentsDelta, .thinkingDelta, .thinkingSignatureDelta,
            .redactedThinking:
            true
        case .providerEvent(let name, _):
            name == "content_block_delta" || name == "content_block_start"
        case .started, .usage, .finished:
            false
        }
    }
}
