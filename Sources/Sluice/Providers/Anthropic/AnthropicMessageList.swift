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
/// - Prompt-cache breakpoints (``ChatMessage/cacheControl``, ``ChatMessage/cacheBreakpoints``) become
///   `cache_control` on the marked block. When a system message carries one, ``system`` is an array
///   of text blocks (one per non-empty text part) instead of one string. A breakpoint on something
///   that sends no block throws ``SluiceError/Code/invalidRequest``.
struct AnthropicMessageList {
    /// The system prompt (a string, or text blocks when one carries a breakpoint), or `nil` when
    /// there was no system text.
    var system: JSONValue?
    /// The user and assistant turns, in order; ``writeMessages(_:)`` writes them as the `messages` array.
    private var turns: [Turn] = []
    /// The breakpoints written, in prompt order (system, then messages).
    var breakpoints: [CacheControl] = []

    /// The OpenAI role that means what `system` means for newer models.
    static let developerRole = ChatMessage.Role("developer")

    init(_ chatMessages: [ChatMessage]) throws {
        var systemTexts: [String] = []
        var systemBlocks: [JSONValue] = []
        var systemBreakpoints: [CacheControl] = []
        // Without breakpoints (the common case) nothing below does extra work.
        let marked = chatMessages.contains { $0.cacheControl != nil || !$0.cacheBreakpoints.isEmpty }
        for (position, message) in chatMessages.enumerated() {
            var turn: Turn
            switch message.role {
            case .system, Self.developerRole:
                let text = message.text
                if !text.isEmpty { systemTexts.append(text) }
                if marked {
                    let blocks = try Self.systemBlocks(message, position: position)
                    systemBlocks += blocks
                    systemBreakpoints += blocks.compactMap(Self.breakpoint)
                }
                continue
            case .user:
                turn = Turn(role: "user")
                turn.blocks = try Self.contentBlocks(
                    message.content, position: position, breakpoints: message.cacheBreakpoints)
                try Self.markLast(&turn.blocks, message, position: position)
            case .assistant:
                turn = Turn(role: "assistant")
                turn.leading = message.thinking.map { .value(Self.thinkingBlock($0)) }
                turn.blocks = try Self.contentBlocks(
                    message.content, position: position, breakpoints: message.cacheBreakpoints)
                for call in message.toolCalls {
                    turn.blocks.append(.value(try Self.toolUseBlock(call, position: position)))
                }
                // Thinking blocks cannot carry cache_control: the mark goes on the last text or tool use.
                try Self.markLast(&turn.blocks, message, position: position)
            case .tool:
                turn = Turn(role: "user")
                turn.leading = [.value(try Self.toolResultBlock(message, position: position))]
                try Self.markLast(&turn.leading, message, position: position)
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
        if !systemBreakpoints.isEmpty {
            system = .array(systemBlocks)
        } else {
            system = systemTexts.isEmpty ? nil : .string(systemTexts.joined(separator: "\n\n"))
        }
        guard marked else { return }
        breakpoints = systemBreakpoints
        for turn in turns {
            for block in turn.leading + turn.blocks { breakpoints += Self.breakpoints(in: block.json) }
        }
    }

    /// Writes the `messages` array, `{"role": …, "content": [blocks]}` a turn, building no value for
    /// the array or a message.
    func writeMessages(_ writer: inout JSONWriter) {
        writer.writeArray(turns) { writer, turn in
            writer.writeObject { message in
                message.member("role", .string(turn.role))
                // Most turns have no leading blocks: their blocks are written as they are, not copied.
                let blocks = turn.leading.isEmpty ? turn.blocks : turn.leading + turn.blocks
                message.member("content") { $0.writeArray(blocks) { $1.write(to: &$0) } }
            }
        }
    }

    /// One message being built.
    private struct Turn {
        var role: String
        /// Blocks that go first: `tool_result` blocks in a user message, thinking blocks in an
        /// assistant message.
        var leading: [Block] = []
        var blocks: [Block] = []

        var isEmpty: Bool { leading.isEmpty && blocks.isEmpty }
    }

    /// A content block: a plain text one is kept as its text (written without building an object),
    /// any other as its JSON.
    enum Block {
        /// `{"type": "text", "text": …}`.
        case text(String)
        case value(JSONValue)

        var json: JSONValue {
            switch self {
            case .text(let text): ["type": "text", "text": .string(text)]
            case .value(let value): value
            }
        }

        func write(to writer: inout JSONWriter) {
            switch self {
            case .text(let text):
                writer.bytes.append(contentsOf: #"{"type":"text","text":"#.utf8)
                writer.write(text)
                writer.bytes.append(UInt8(ascii: "}"))
            case .value(let value):
                writer.write(value)
            }
        }
    }

    // MARK: Blocks

    static func contentBlocks(
        _ parts: [ContentPart], position: Int, breakpoints: [Int: CacheControl] = [:]
    ) throws -> [Block] {
        try checkPartIndices(breakpoints, count: parts.count, position: position)
        var blocks: [Block] = []
        blocks.reserveCapacity(parts.count)
        for (index, part) in parts.enumerated() {
            var block: Block
            switch part {
            case .text(let text):
                guard !text.isEmpty else {
                    if breakpoints[index] != nil {
                        throw cannotCarry("message \(position), part \(index) is an empty text part, which is not sent")
                    }
                    continue
                }
                block = .text(text)
            case .image(let source):
                block = .value(try imageBlock(source, position: position))
            }
            if let control = breakpoints[index] { block = .value(marked(block.json, control)) }
            blocks.append(block)
        }
        return blocks
    }

    // MARK: Cache breakpoints

    /// A system message's non-empty text parts as text blocks, with its breakpoints; images are
    /// dropped, so a breakpoint on one is refused.
    static func systemBlocks(_ message: ChatMessage, position: Int) throws -> [JSONValue] {
        let breakpoints = message.cacheBreakpoints
        for (index, _) in breakpoints where index >= 0 && index < message.content.count {
            if case .image = message.content[index] {
                throw cannotCarry(
                    "message \(position), part \(index) is an image in a system message, which is not sent")
            }
        }
        let texts = message.content.map { part -> ContentPart in
            if case .image = part { .text("") } else { part }
        }
        var blocks = try contentBlocks(texts, position: position, breakpoints: breakpoints)
        try markLast(&blocks, message, position: position)
        return blocks.map(\.json)
    }

    /// Puts the message's ``ChatMessage/cacheControl`` on the last of `blocks` (the message's own).
    static func markLast(_ blocks: inout [Block], _ message: ChatMessage, position: Int) throws {
        guard let control = message.cacheControl else { return }
        guard let last = blocks.indices.last else {
            let reason =
                message.thinking.isEmpty
                ? "sends no block (its text is empty)"
                : "sends only thinking blocks, which cannot carry one"
            throw cannotCarry("message \(position) \(reason)")
        }
        blocks[last] = .value(marked(blocks[last].json, control))
    }

    static func checkPartIndices(_ breakpoints: [Int: CacheControl], count: Int, position: Int) throws {
        for index in breakpoints.keys.sorted() where index < 0 || index >= count {
            throw cannotCarry("message \(position) has no part \(index) (it has \(count))")
        }
    }

    /// `block` with `"cache_control"` set.
    static func marked(_ block: JSONValue, _ control: CacheControl) -> JSONValue {
        guard case .object(var object) = block else { return block }
        object["cache_control"] = control.json
        return .object(object)
    }

    /// The breakpoint a written block carries, if any.
    static func breakpoint(_ block: JSONValue) -> CacheControl? {
        guard case .object(let object) = block, case .object(let control)? = object["cache_control"] else {
            return nil
        }
        var result = CacheControl()
        if case .string(let type)? = control["type"] { result.type = type }
        if case .string(let ttl)? = control["ttl"] { result.ttl = CacheControl.TTL(ttl) }
        return result
    }

    /// The breakpoints of a block and of the blocks in its `content` (a tool result's), in order.
    static func breakpoints(in block: JSONValue) -> [CacheControl] {
        var found = breakpoint(block).map { [$0] } ?? []
        if case .object(let object) = block, case .array(let inner)? = object["content"] {
            for child in inner { found += breakpoints(in: child) }
        }
        return found
    }

    static func cannotCarry(_ detail: String) -> SluiceError {
        SluiceError(.invalidRequest, "a prompt-cache breakpoint (cacheControl) has nothing to mark: \(detail)")
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
        if hasImages || !message.cacheBreakpoints.isEmpty {
            let blocks = try contentBlocks(message.content, position: position, breakpoints: message.cacheBreakpoints)
            block["content"] = .array(blocks.map(\.json))
        } else {
            block["content"] = .string(message.text)
        }
        if message.isError { block["is_error"] = true }
        return .object(block)
    }
}
