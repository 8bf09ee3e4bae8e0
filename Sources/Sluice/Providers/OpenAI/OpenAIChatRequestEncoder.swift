/// Writes a ``ChatRequest`` as an OpenAI `POST /chat/completions` body.
///
/// The body's keys come in a fixed order: `model`, `messages`, `tools`, `tool_choice`,
/// `temperature`, `top_p`, the max-tokens field, `stop`, `seed`, `response_format`,
/// `reasoning_effort`, `user`,
/// `metadata` (keys sorted), `stream`, `stream_options`; then ``ChatRequest/extraFields`` in their
/// own order, replacing a key already written in place. Fields the request leaves unset are not
/// written. Doubles are written in Swift's shortest round-tripping form (`0.7`, not `0.69999…`).
/// A message's ``ChatMessage/thinking`` blocks are not written (OpenAI does not take reasoning back),
/// nor is ``ChatRequest/thinking``.
struct OpenAIChatRequestEncoder: Sendable {
    var maxTokensField: OpenAIAdapter.MaxTokensField
    var includeStreamUsage: Bool

    /// The body as compact JSON bytes, written straight from the request (no ``JSONObject`` built
    /// for the body or a message).
    ///
    /// - Throws: ``SluiceError/Code/invalidRequest`` for a temperature or top-p that is NaN or infinite.
    func encode(_ request: ChatRequest, stream: Bool) throws -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 512)
        try writer.writeObject(overriddenBy: request.extraFields) { body in
            body.member("model", .string(request.model))
            body.member("messages") { $0.writeArray(request.messages, Self.writeMessage) }
            if !request.tools.isEmpty {
                body.member("tools", .array(request.tools.map(Self.tool)))
            }
            if let choice = request.toolChoice {
                body.member("tool_choice", Self.toolChoice(choice))
            }
            if let temperature = request.temperature {
                body.member("temperature", try Self.number(temperature, field: "temperature"))
            }
            if let topP = request.topP {
                body.member("top_p", try Self.number(topP, field: "topP"))
            }
            if let maxOutputTokens = request.maxOutputTokens {
                body.member(maxTokensField.name, .number(JSONNumber(maxOutputTokens)))
            }
            if !request.stopSequences.isEmpty {
                body.member("stop", .array(request.stopSequences.map { .string($0) }))
            }
            if let seed = request.seed {
                body.member("seed", .number(JSONNumber(seed)))
            }
            if let format = request.responseFormat {
                body.member("response_format", Self.responseFormat(format))
            }
            if let effort = request.reasoningEffort {
                body.member("reasoning_effort", .string(effort.rawValue))
            }
            if let user = request.user {
                body.member("user", .string(user))
            }
            if !request.metadata.isEmpty {
                let sorted = request.metadata.sorted { $0.key < $1.key }
                body.member("metadata", .object(JSONObject(sorted.map { ($0.key, JSONValue.string($0.value)) })))
            }
            if stream {
                body.member("stream", true)
                if includeStreamUsage {
                    body.member("stream_options", ["include_usage": true])
                }
            }
        }
        return writer.bytes
    }

    // MARK: Parts

    static func writeMessage(_ writer: inout JSONWriter, _ message: ChatMessage) {
        writer.writeObject { object in
            object.member("role", .string(message.role.rawValue))
            if message.content.isEmpty {
                // OpenAI requires content unless an assistant message has tool calls; then it is null.
                object.member("content", message.toolCalls.isEmpty ? "" : .null)
            } else if message.content.count == 1, case .text(let text) = message.content[0] {
                object.member("content", .string(text))
            } else {
                object.member("content", .array(message.content.map(contentPart)))
            }
            if let name = message.name {
                object.member("name", .string(name))
            }
            if !message.toolCalls.isEmpty {
                object.member("tool_calls", .array(message.toolCalls.map(toolCall)))
            }
            if let toolCallID = message.toolCallID {
                object.member("tool_call_id", .string(toolCallID))
            }
        }
    }

    static func contentPart(_ part: ContentPart) -> JSONValue {
        switch part {
        case .text(let text):
            return ["type": "text", "text": .string(text)]
        case .image(let source):
            var image = JSONObject()
            switch source {
            case .url(let url, let detail):
                image["url"] = .string(url)
                if let detail { image["detail"] = .string(detail) }
            case .base64(let data, let mediaType):
                image["url"] = .string("data:\(mediaType);base64,\(data)")
            }
            return ["type": "image_url", "image_url": .object(image)]
        }
    }

    static func toolCall(_ call: ToolCall) -> JSONValue {
        [
            "id": .string(call.id),
            "type": "function",
            "function": ["name": .string(call.name), "arguments": .string(call.arguments)],
        ]
    }

    static func tool(_ tool: ToolDefinition) -> JSONValue {
        var function = JSONObject()
        function["name"] = .string(tool.name)
        if let description = tool.description { function["description"] = .string(description) }
        function["parameters"] = tool.parameters
        if let strict = tool.strict { function["strict"] = .bool(strict) }
        return ["type": "function", "function": .object(function)]
    }

    static func toolChoice(_ choice: ToolChoice) -> JSONValue {
        switch choice {
        case .auto: return "auto"
        case .none: return "none"
        case .required: return "required"
        case .tool(let name): return ["type": "function", "function": ["name": .string(name)]]
        }
    }

    static func responseFormat(_ format: ResponseFormat) -> JSONValue {
        switch format {
        case .text:
            return ["type": "text"]
        case .jsonObject:
            return ["type": "json_object"]
        case .jsonSchema(let name, let schema, let strict):
            var jsonSchema = JSONObject()
            jsonSchema["name"] = .string(name)
            jsonSchema["schema"] = schema
            if let strict { jsonSchema["strict"] = .bool(strict) }
            return ["type": "json_schema", "json_schema": .object(jsonSchema)]
        }
    }

    static func number(_ value: Double, field: String) throws -> JSONValue {
        guard let number = JSONNumber(value) else {
            throw SluiceError(.invalidRequest, "ChatRequest.\(field) must be a finite number, not \(value)")
        }
        return .number(number)
    }
}
