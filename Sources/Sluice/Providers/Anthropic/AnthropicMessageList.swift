/// A conversation in Anthropic's shape: the system prompt lifted out, and user and assistant turns that
/// alternate, as content blocks.
///
/// - `.system` and `developer` messages, wherever they are, become ``system``: their text joined with
///   `"\n\n"` (images dropped).
/// - `.user` text and image parts become `text` and `image` blocks; an `https` URL is sent as a `url`
///   source, a `data:` URL as a `base64` source.
/// - `.assistant` text becomes `text` blocks, its tool calls `tool_use` blocks after them; its
///   ``ChatMessage/thinking`` blocks go first, unmodified: `thinking` (with `signature` when it has
///   one) and `redacted_thinking` (with `data`). Thinking on other roles is not sent.
/// - `.tool` messages become `tool_result` blocks of a user turn: `content` is the text (or text and
///   image blocks when the result has images), `is_error` is sent only when set.
/// - Consecutive turns of the same role are merged; a user turn lists its `tool_result` blocks first,
///   an assistant turn its thinking blocks.
/// - Empty text parts are left out (Anthropic rejects empty text blocks), and so is a message that is
///   left with nothing to send.
struct AnthropicMessageList {
    /// The system prompt, or `nil` when there was no system text.
    var system: String?
    /// The `messages` array.
    var messages: [JSONValue]

    /// The OpenAI role that means what `system` means for newer models.
    static let developerRole = ChatMessage.Role("developer")

    init(_ chatMessages: [ChatMessage]) throws {
        var systemTexts: [String] = []
        var turns: [Turn] = []
        for (position, message) in chatMessages.enumerated() {
            var turn: Turn
            switch message.role {
            case .system, Self.developerRole:
                let text = message.text
                if !text.isEmpty { systemTexts.append(text) }
                continue
            case .user:
                turn = Turn(role: "user")
                turn.blocks = try Self.contentBlocks(message.content, position: position)
            case .assistant:
                turn = Turn(role: "assistant")
                turn.leading = message.thinking.map(Self.thinkingBlock)
                turn.blocks = try Self.contentBlocks(message.content, position: position)
                for call in message.toolCalls {
                    turn.blocks.append(try Self.toolUseBlock(call, position: position))
                }
            case .tool:
                turn = Turn(role: "user")
                turn.leading = [try Self.toolResultBlock(message, position: position)]
            default:
                throw SluiceError(
                    .invalidRequest,
                    "message \(position) has the role \"\(message.role)\", which Anthropic does not know "
                        + "(it takes system, user, assistant and tool messages)"
                )
            }
            guard !turn.isEmpty else { continue }
            if let last = turns.indices.last, turns[last].role == turn.role {
                turns[last].leading += turn.leading
                turns[last].blocks += turn.blocks
            } else {
                turns.append(turn)
            }
        }
        system = systemTexts.isEmpty ? nil : systemTexts.joined(separator: "\n\n")
        messages = turns.map { turn in
            ["role": .string(turn.role), "content": .array(turn.leading + turn.blocks)]
        }
    }

    /// One message being built.
    private struct Turn {
        var role: String
        /// Blocks that go first: `tool_result` blocks in a user message, thinking blocks in an
        /// assistant message.
        var leading: [JSONValue] = []
        var blocks: [JSONValue] = []

        var isEmpty: Bool { leading.isEmpty && blocks.isEmpty }
    }

    // MARK: Blocks

    static func contentBlocks(_ parts: [ContentPart], position: Int) throws -> [JSONValue] {
        var blocks: [JSONValue] = []
        blocks.reserveCapacity(parts.count)
        for part in parts {
            switch part {
            case .text(let text):
                if !text.isEmpty { blocks.append(["type": "text", "text": .string(text)]) }
            case .image(let source):
                blocks.append(try imageBlock(source, position: position))
            }
        }
        return blocks
    }

    static func imageBlock(_ source: ImageSource, position: Int) throws -> JSONValue {
        switch source {
        case .base64(let data, let mediaType):
            return base64Image(data: data, mediaType: mediaType)
        case .url(let url, _):
            guard url.hasPrefix("data:") else {
                return ["type": "image", "source": ["type": "url", "url": .string(url)]]
            }
            guard let parsed = parseDataURL(url) else {
                throw SluiceError(
                    .invalidRequest,
                    "message \(position) has an image data: URL that is not of the form "
                        + "data:<media type>;base64,<data>"
                )
            }
            return base64Image(data: parsed.data, mediaType: parsed.mediaType)
        }
    }

    static func base64Image(data: String, mediaType: String) -> JSONValue {
        [
            "type": "image",
            "source": ["type": "base64", "media_type": .string(mediaType), "data": .string(data)],
        ]
    }

    /// The media type and base64 data of `data:<type>[;params];base64,<data>`, or `nil`.
    static func parseDataURL(_ url: String) -> (mediaType: String, data: String)? {
        let rest = url.utf8.dropFirst(5)  // "data:"
        guard let comma = rest.firstIndex(of: UInt8(ascii: ",")) else { return nil }
        let header = rest[..<comma]
        let parameters = header.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false)
        guard parameters.count >= 2, let last = parameters.last,
            String(decoding: last, as: UTF8.self).lowercased() == "base64",
            let type = parameters.first, !type.isEmpty
        else { return nil }
        let data = String(decoding: rest[rest.index(after: comma)...], as: UTF8.self)
        guard !data.isEmpty else { return nil }
        return (String(decoding: type, as: UTF8.self), data)
    }

    /// A `thinking` or `redacted_thinking` block, its fields as they came.
    static func thinkingBlock(_ block: ThinkingBlock) -> JSONValue {
        if let data = block.redactedData {
            return ["type": "redacted_thinking", "data": .string(data)]
        }
        var object: JSONObject = ["type": "thinking", "thinking": .string(block.text)]
        if let signature = block.signature { object["signature"] = .string(signature) }
        return .object(object)
    }

    static func toolUseBlock(_ call: ToolCall, position: Int) throws -> JSONValue {
        let input: JSONValue
        if call.arguments.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            input = .object([:])
        } else {
            let parsed: JSONValue
            do {
                parsed = try JSONValue(parsing: call.arguments)
            } catch let error as SluiceError {
                throw SluiceError(
                    .invalidRequest,
                    "message \(position): the arguments of tool call \(call.id) (\(call.name)) are not valid JSON, "
                        + "and Anthropic takes them as a JSON object: \(error.message)",
                    cause: error
                )
            }
            guard case .object = parsed else {
                throw SluiceError(
                    .invalidRequest,
                    "message \(position): the arguments of tool call \(call.id) (\(call.name)) are JSON but not "
                        + "an object, and Anthropic takes them as a JSON object"
                )
            }
            input = parsed
        }
        return ["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": input]
    }

    static func toolResultBlock(_ message: ChatMessage, position: Int) throws -> JSONValue {
        guard let callID = message.toolCallID else {
            throw SluiceError(
                .invalidRequest,
                "message \(position) is a tool result without a toolCallID; Anthropic needs the tool_use id it answers"
            )
        }
        var block: JSONObject = ["type": "tool_result", "tool_use_id": .string(callID)]
        let hasImages = message.content.contains { if case .image = $0 { true } else { false } }
        if hasImages {
            block["content"] = .array(try contentBlocks(message.content, position: position))
        } else {
            block["content"] = .string(message.text)
        }
        if message.isError { block["is_error"] = true }
        return .object(block)
    }
}
