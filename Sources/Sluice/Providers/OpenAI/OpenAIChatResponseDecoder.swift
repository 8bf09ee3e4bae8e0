/// Decodes an OpenAI `chat.completion` object (the body of a non-streaming reply) with
/// ``JSONReader``, reading only the fields a ``ChatResponse`` holds:
///
/// ```text
/// {"id":"chatcmpl-…","object":"chat.completion","created":…,"model":"gpt-4o-mini-2024-07-18",
///  "choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null,
///              "tool_calls":[{"id":"call_…","type":"function","function":{"name":"…","arguments":"{…}"}}]},
///              "logprobs":null,"finish_reason":"stop"}],
///  "usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,
///           "prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}
/// ```
///
/// Leniencies for compatible servers: `content` may also be an array of `{"type":"text","text":…}`
/// parts (joined), a tool call's `arguments` may be a JSON object (kept as its compact text), and the
/// legacy `function_call` becomes a tool call with an empty id. Only the choice with `index` 0 (or
/// the first) is read. A 2xx body that holds an `error` object and no choices throws that error.
enum OpenAIChatResponseDecoder {
    /// What one choice says.
    struct Choice {
        var index: Int?
        var text: String?
        var refusal: String?
        /// `message.reasoning_content` (or `reasoning`) from OpenAI-compatible reasoning servers.
        var reasoning: String?
        var toolCalls: [ToolCall] = []
        var finishReason: String?
    }

    static func decode(_ body: [UInt8], requestID: String? = nil) throws -> ChatResponse {
        try OpenAIFieldPathError.decoding("OpenAI chat completion") {
            try JSONReader.read(body) { reader in try decode(from: &reader, requestID: requestID) }
        }
    }

    static func decode(from reader: inout JSONReader, requestID: String? = nil) throws -> ChatResponse {
        // Fields gathered into locals and the response built once at the end: a response captured
        // by the reading closures would be copied out whole.
        var id = ""
        var model = ""
        var usage: Usage?
        var chosen: Choice?
        var error: OpenAIChatChunk.APIError?
        try reader.readFields { key, reader in
            switch key {
            case "id": id = try reader.readStringOrNull() ?? ""
            case "model": model = try reader.readStringOrNull() ?? ""
            case "choices":
                if try reader.readNullIfPresent() { return }
                try reader.readElements { _, reader in
                    let choice = try decodeChoice(from: &reader)
                    if chosen == nil || (chosen?.index != 0 && choice.index == 0) { chosen = choice }
                }
            case "usage":
                if try reader.readNullIfPresent() { return }
                usage = try OpenAIChatChunk.Usage.decode(from: &reader).sluiceUsage
            case "error":
                if try reader.readNullIfPresent() { return }
                error = try OpenAIChatChunk.APIError.decode(from: &reader)
            default:
                break
            }
        }
        guard let chosen else {
            if let error { throw OpenAIErrorDecoder.error(status: nil, details: error.details, requestID: nil) }
            return ChatResponse(id: id, model: model, usage: usage, requestID: requestID, provider: .openAI)
        }
        let refused = chosen.refusal != nil && (chosen.text ?? "").isEmpty
        var response = ChatResponse(
            id: id, model: model, text: (refused ? chosen.refusal : chosen.text) ?? "", toolCalls: chosen.toolCalls,
            finishReason: chosen.finishReason.map { OpenAIChatChunk.finishReason($0, refused: refused) }, usage: usage,
            requestID: requestID, provider: .openAI)
        if let reasoning = chosen.reasoning, !reasoning.isEmpty {
            // Reasoning first, as the model produced it; it has no signature and is never sent back.
            response.blocks = [.thinking(ThinkingBlock(text: reasoning, signature: nil))] + response.blocks
        }
        return response
    }

    static func decodeChoice(from reader: inout JSONReader) throws -> Choice {
        var choice = Choice()
        try reader.readFields { key, reader in
            switch key {
            case "index": choice.index = try reader.readIntOrNull()
            case "finish_reason": choice.finishReason = try reader.readStringOrNull()
            case "message":
                if try reader.readNullIfPresent() { return }
                try reader.readFields { key, reader in
                    switch key {
                    case "content": choice.text = try readContent(from: &reader)
                    case "refusal": choice.refusal = try reader.readStringOrNull()
                    case "reasoning_content", "reasoning":
                        if try reader.peekKind() == .string { choice.reasoning = try reader.readString() }
                    case "tool_calls":
                        if try reader.readNullIfPresent() { return }
                        try reader.readElements { _, reader in
                            choice.toolCalls.append(try decodeToolCall(from: &reader))
                        }
                    case "function_call":
                        // The deprecated single function call, from servers that still send it.
                        if try reader.readNullIfPresent() { return }
                        var call = ToolCall(id: "", name: "", arguments: "")
                        try decodeFunction(from: &reader, into: &call)
                        choice.toolCalls.append(call)
                    default:
                        break
                    }
                }
            default:
                break
            }
        }
        return choice
    }

    /// A string, `null`, or an array of text parts (joined; other part types are skipped).
    static func readContent(from reader: inout JSONReader) throws -> String? {
        switch try reader.peekKind() {
        case .null:
            try reader.readNull()
            return nil
        case .array:
            var text = ""
            try reader.readElements { _, reader in
                try reader.readFields { key, reader in
                    if key == "text" { text += try reader.readStringOrNull() ?? "" }
                }
            }
            return text
        default:
            return try reader.readString()
        }
    }

    static func decodeToolCall(from reader: inout JSONReader) throws -> ToolCall {
        var call = ToolCall(id: "", name: "", arguments: "")
        try reader.readFields { key, reader in
            switch key {
            case "id": call.id = try reader.readStringOrNull() ?? ""
            case "function":
                if try reader.readNullIfPresent() { return }
                try decodeFunction(from: &reader, into: &call)
            default:
                break
            }
        }
        return call
    }

    /// `{"name": …, "arguments": …}`; arguments sent as an object are kept as compact JSON text.
    static func decodeFunction(from reader: inout JSONReader, into call: inout ToolCall) throws {
        try reader.readFields { key, reader in
            switch key {
            case "name": call.name = try reader.readStringOrNull() ?? ""
            case "arguments":
                switch try reader.peekKind() {
                case .string: call.arguments = try reader.readString()
                case .null: try reader.readNull()
                default: call.arguments = try reader.readValue().description
                }
            default:
                break
            }
        }
    }
}
