extension AnthropicAdapter {
    /// Decodes a message reply.
    ///
    /// ```json
    /// {"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5",
    ///  "content":[{"type":"text","text":"Let me check."},
    ///             {"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"city":"Paris"}}],
    ///  "stop_reason":"tool_use","stop_sequence":null,
    ///  "usage":{"input_tokens":120,"cache_read_input_tokens":800,"output_tokens":40}}
    /// ```
    ///
    /// `text` blocks are joined into ``ChatResponse/text``; each `tool_use` block becomes a
    /// ``ToolCall`` whose arguments are its `input` written back as compact JSON. `thinking` blocks
    /// (text and `signature`) and `redacted_thinking` blocks (`data`) become ``ThinkingBlock``s.
    /// ``ChatResponse/blocks`` lists all of them in order; other blocks (server tool blocks) are
    /// skipped. A `thinking` block without a `signature` is kept, its signature `nil` (see
    /// ``ThinkingBlock``). The stop reason is mapped by
    /// ``finishReason(_:)``; usage counts every prompt token as input (see ``AnthropicAdapter``). The
    /// request id comes from the `request-id` header.
    ///
    /// - Throws: ``SluiceError/Code/decodingFailed`` for a body that is not JSON, not an object, or a
    ///   known field of the wrong type (saying which and where, with at most a 40-byte excerpt); a
    ///   `tool_use` block without an id or name is malformed too, and so is a `thinking` block without
    ///   its `thinking` text or a `redacted_thinking` block without its `data`. A body of the error shape
    ///   (`"type":"error"`) throws the error it describes, as ``decodeError(status:headers:body:)``.
    public func decodeChatResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> ChatResponse {
        let requestID = headers[Self.requestIDHeader]
        var response = ChatResponse(requestID: requestID, provider: .anthropic)
        // `nil` while the blocks so far are what `text` and `toolCalls` derive (one text block, then
        // tool calls): the usual reply sets no array of its own.
        var blocks: [ReplyBlock]?
        var type: String?
        var errorDetails: ProviderErrorDetails?
        do {
            try JSONReader.read(body) { reader in
                guard try reader.peekKind() == .object else { throw reader.error("expected a message object") }
                try reader.readObject { key, reader in
                    switch key {
                    case "type": type = try reader.readStringOrNull()
                    case "id": response.id = try reader.readStringOrNull() ?? ""
                    case "model": response.model = try reader.readStringOrNull() ?? ""
                    case "content":
                        if try reader.readNullIfPresent() { return }
                        var blockIndex = 0
                        try reader.readArray { reader in
                            try Self.decodeContentBlock(
                                from: &reader, index: blockIndex, into: &response, blocks: &blocks)
                            blockIndex += 1
                        }
                    case "stop_reason":
                        response.finishReason = try reader.readStringOrNull().map(Self.finishReason)
                    case "usage":
                        if try reader.readNullIfPresent() { return }
                        response.usage = try AnthropicUsage.decode(from: &reader).usage
                    case "error":
                        if try reader.readNullIfPresent() { return }
                        errorDetails = try Self.decodeErrorObject(from: &reader)
                    default:
                        break
                    }
                }
            }
        } catch let error as SluiceError where error.code == .decodingFailed {
            throw SluiceError(
                .decodingFailed, "Anthropic message reply: \(error.message)", cause: error, requestID: requestID)
        }
        if type == "error" || errorDetails != nil {
            throw Self.providerError(status: nil, details: errorDetails ?? ProviderErrorDetails(), requestID: requestID)
        }
        if let blocks { response.blocks = blocks }
        return response
    }

    /// Throws ``SluiceError/Code/unsupported``: Anthropic has no embeddings API.
    public func decodeEmbeddingsResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> EmbeddingsResponse {
        throw Self.embeddingsUnsupported
    }

    /// One content block of a message, added to `response`.
    private static func decodeContentBlock(
        from reader: inout JSONReader,
        index: Int,
        into response: inout ChatResponse,
        blocks: inout [ReplyBlock]?
    ) throws {
        let start = reader.offset
        var type: String?
        var text: String?
        var id: String?
        var name: String?
        var input: JSONValue?
        var thinking: String?, signature: String?, data: String?
        var thinkingMismatched = false, dataMismatched = false
        try reader.readObject { key, reader in
            switch key {
            case "type": type = try reader.readStringOrNull()
            case "text": text = try reader.readStringOrNull()
            // Strings in thinking blocks; other block types may use these keys otherwise.
            case "thinking": thinking = try reader.readStringIfString(mismatched: &thinkingMismatched)
            case "signature": signature = try reader.readStringIfString(mismatched: &thinkingMismatched)
            case "data": data = try reader.readStringIfString(mismatched: &dataMismatched)
            case "id": id = try reader.readStringOrNull()
            case "name": name = try reader.readStringOrNull()
            case "input": input = try reader.readValue()
            default: break
            }
        }
        switch type {
        case "text":
            if let text {
                // A first, non-empty text block is what `text` derives; any other needs the array.
                let derivable = blocks == nil && !text.isEmpty && response.text.isEmpty && response.toolCalls.isEmpty
                if !derivable { append(.text(text), to: &blocks, response) }
                response.text += text
            }
        case "tool_use":
            guard let id, let name else {
                throw reader.error("content[\(index)] is a tool_use block without an id or a name", at: start)
            }
            let arguments = input.map { $0.isNull ? "{}" : $0.description } ?? "{}"
            let call = ToolCall(id: id, name: name, arguments: arguments)
            // Tool calls after the text are what `toolCalls` derives.
            if blocks != nil { append(.toolCall(call), to: &blocks, response) }
            response.toolCalls.append(call)
        case "thinking":
            guard let thinking, !thinkingMismatched else {
                throw reader.error(
                    "content[\(index)] is a thinking block without its thinking text (or a signature that is not a string)",
                    at: start)
            }
            append(.thinking(ThinkingBlock(text: thinking, signature: signature)), to: &blocks, response)
        case "redacted_thinking":
            guard let data, !dataMismatched else {
                throw reader.error("content[\(index)] is a redacted_thinking block without its data", at: start)
            }
            append(.thinking(.redacted(data: data)), to: &blocks, response)
        default:
            break
        }
    }

    /// Adds `block` to `blocks`, first filling them with the blocks `response` derives when they
    /// are still `nil` (its text and tool calls so far).
    private static func append(_ block: ReplyBlock, to blocks: inout [ReplyBlock]?, _ response: ChatResponse) {
        if blocks == nil { blocks = response.blocks }
        blocks?.append(block)
    }

    /// The neutral finish reason for an Anthropic `stop_reason`; ``FinishReason/raw`` keeps the word.
    ///
    /// | `stop_reason` | normalised |
    /// |---|---|
    /// | `end_turn`, `stop_sequence` | `stop` |
    /// | `max_tokens`, `model_context_window_exceeded` | `length` |
    /// | `tool_use` | `tool_calls` |
    /// | `refusal` | `refusal` |
    /// | `pause_turn` | `pause` |
    /// | anything else | `other` |
    public static func finishReason(_ stopReason: String) -> FinishReason {
        let normalized: String
        switch stopReason {
        case "end_turn", "stop_sequence": normalized = "stop"
        case "max_tokens", "model_context_window_exceeded": normalized = "length"
        case "tool_use": normalized = "tool_calls"
        case "refusal": normalized = "refusal"
        case "pause_turn": normalized = "pause"
        default: normalized = "other"
        }
        return FinishReason(normalized: normalized, raw: stopReason)
    }
}
