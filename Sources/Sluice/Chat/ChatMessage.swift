/// One message of a conversation: who said it and what.
///
/// ```swift
/// let messages: [ChatMessage] = [
///     .system("You are terse."),
///     .user("What is a sluice?"),
/// ]
/// ```
///
/// An assistant message can carry ``toolCalls`` and the reasoning that came before them
/// (``thinking``); a `.tool` message answers one call by its id. In a tool loop, send the reply back
/// as ``ChatResponse/asMessage``:
///
/// ```swift
/// let reply = try await client.chat(request)
/// request.messages += [reply.asMessage] + results(for: reply.toolCalls)
/// ```
public struct ChatMessage: Sendable, Hashable {
    /// Who a message is from.
    public struct Role: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Instructions for the model. Anthropic takes these out of the messages into `system`.
        public static let system = Role("system")
        public static let user = Role("user")
        public static let assistant = Role("assistant")
        /// The result of a tool call, answering ``ChatMessage/toolCallID``.
        public static let tool = Role("tool")
    }

    public var role: Role
    /// Text and image parts, in order.
    public var content: [ContentPart]
    /// Tool calls the assistant made (assistant messages only).
    public var toolCalls: [ToolCall]
    /// The id of the tool call this message answers (tool messages only).
    public var toolCallID: String?
    /// Whether a tool result reports an error (Anthropic's `is_error`; other providers ignore it).
    public var isError: Bool
    /// An optional participant name (OpenAI's `name`).
    public var name: String?
    /// The reasoning blocks of an assistant turn, sent back unmodified before its text and tool calls
    /// (Anthropic `thinking` and `redacted_thinking` blocks). OpenAI-compatible adapters do not send
    /// them, and no adapter sends them for other roles.
    public var thinking: [ThinkingBlock]
    /// A prompt-cache breakpoint after this message: on the last block it sends (the last text or
    /// image part, the last tool call, or a tool result). Anthropic only; see ``CacheControl``.
    public var cacheControl: CacheControl?
    /// Prompt-cache breakpoints on single content parts, keyed by their index in ``content``.
    /// Anthropic only; an index out of range or an empty text part is refused. See ``CacheControl``.
    public var cacheBreakpoints: [Int: CacheControl]

    public init(
        role: Role,
        content: [ContentPart],
        toolCalls: [ToolCall] = [],
        toolCallID: String? = nil,
        isError: Bool = false,
        name: String? = nil,
        thinking: [ThinkingBlock] = [],
        cacheControl: CacheControl? = nil,
        cacheBreakpoints: [Int: CacheControl] = [:]
    ) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.isError = isError
        self.name = name
        self.thinking = thinking
        self.cacheControl = cacheControl
        self.cacheBreakpoints = cacheBreakpoints
    }

    /// This message with a prompt-cache breakpoint after it (``cacheControl``):
    /// `.system(longInstructions).cached()`.
    public func cached(_ control: CacheControl = .ephemeral) -> ChatMessage {
        var copy = self
        copy.cacheControl = control
        return copy
    }

    /// The text parts joined, without images.
    public var text: String {
        content.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
    }

    public static func system(_ text: String) -> ChatMessage {
        ChatMessage(role: .system, content: [.text(text)])
    }

    public static func user(_ text: String) -> ChatMessage {
        ChatMessage(role: .user, content: [.text(text)])
    }

    public static func user(_ parts: [ContentPart]) -> ChatMessage {
        ChatMessage(role: .user, content: parts)
    }

    public static func assistant(_ text: String, toolCalls: [ToolCall] = []) -> ChatMessage {
        ChatMessage(role: .assistant, content: text.isEmpty ? [] : [.text(text)], toolCalls: toolCalls)
    }

    /// An assistant turn with its reasoning blocks, which go first on the wire.
    public static func assistant(_ text: String, toolCalls: [ToolCall] = [], thinking: [ThinkingBlock]) -> ChatMessage {
        ChatMessage(
            role: .assistant, content: text.isEmpty ? [] : [.text(text)], toolCalls: toolCalls, thinking: thinking)
    }

    /// The result of the tool call `callID`.
    public static func tool(callID: String, _ result: String, isError: Bool = false) -> ChatMessage {
        ChatMessage(role: .tool, content: [.text(result)], toolCallID: callID, isError: isError)
    }
}

/// A part of a message's content.
public enum ContentPart: Sendable, Hashable {
    case text(String)
    case image(ImageSource)
}

/// Where an image comes from.
public enum ImageSource: Sendable, Hashable {
    /// An `https` or `data:` URL, with OpenAI's optional `detail` (`low`, `high`, `auto`).
    case url(String, detail: String? = nil)
    /// Base64-encoded bytes and their media type, such as `image/png`.
    case base64(String, mediaType: String)
}
