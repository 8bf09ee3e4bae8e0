/// Writes a ``ResponsesRequest`` as an OpenAI `POST /responses` body.
///
/// The body's keys come in a fixed order: `model`, `input`, `instructions`, `tools`, `tool_choice`,
/// `parallel_tool_calls`, `temperature`, `top_p`, `max_output_tokens`, `reasoning`,
/// `previous_response_id`, `store`, `include`, `metadata` (keys sorted), `stream`; then
/// ``ResponsesRequest/extraFields``, replacing a key already written in place. Unset fields are not
/// written.
///
/// Input: a ``ResponsesInput/text(_:)`` input is a string; items are an array. A message's content is
/// a string when it is one text part, else parts: `input_text` (`output_text` for an assistant
/// message) and `input_image` (a base64 image as a `data:` URL). Function tools are flat:
/// `{"type":"function","name":…,"description":…,"parameters":…,"strict":…}`; a named tool choice is
/// `{"type":"function","name":…}`.
enum OpenAIResponsesRequestEncoder {
    /// The body as compact JSON bytes.
    ///
    /// - Throws: ``SluiceError/Code/invalidRequest`` for a temperature or top-p that is NaN or
    ///   infinite, or a negative `max_output_tokens`.
    static func encode(_ request: ResponsesRequest, stream: Bool) throws -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 512)
        writer.write(.object(try body(request, stream: stream)))
        return writer.bytes
    }

    /// The body as an ordered JSON object.
    static func body(_ request: ResponsesRequest, stream: Bool) throws -> JSONObject {
        var body = JSONObject()
        body["model"] = .string(request.model)
        switch request.input {
        case .text(let text): body["input"] = .string(text)
        case .items(let items): body["input"] = .array(items.map(item))
        }
        if let instructions = request.instructions { body["instructions"] = .string(instructions) }
        if !request.tools.isEmpty { body["tools"] = .array(request.tools.map(tool)) }
        if let choice = request.toolChoice { body["tool_choice"] = toolChoice(choice) }
        if let parallel = request.parallelToolCalls { body["parallel_tool_calls"] = .bool(parallel) }
        if let temperature = request.temperature {
            body["temperature"] = try number(temperature, field: "temperature")
        }
        if let topP = request.topP { body["top_p"] = try number(topP, field: "topP") }
        if let maxOutputTokens = request.maxOutputTokens {
            guard maxOutputTokens >= 0 else {
                throw SluiceError(.invalidRequest, "ResponsesRequest.maxOutputTokens must not be negative")
            }
            body["max_output_tokens"] = .number(JSONNumber(maxOutputTokens))
        }
        if let reasoning = request.reasoning {
            var object = JSONObject()
            if let effort = reasoning.effort { object["effort"] = .string(effort.rawValue) }
            if let summary = reasoning.summary { object["summary"] = .string(summary) }
            body["reasoning"] = .object(object)
        }
        if let previous = request.previousResponseID { body["previous_response_id"] = .string(previous) }
        if let store = request.store { body["store"] = .bool(store) }
        if !request.include.isEmpty { body["include"] = .array(request.include.map { .string($0) }) }
        if !request.metadata.isEmpty {
            let sorted = request.metadata.sorted { $0.key < $1.key }
            body["metadata"] = .object(JSONObject(sorted.map { ($0.key, JSONValue.string($0.value)) }))
        }
        if stream { body["stream"] = true }
        for (key, value) in request.extraFields {
            body[key] = value
        }
        return body
    }

    // MARK: Items

    static func item(_ item: ResponsesInputItem) -> JSONValue {
        switch item {
        case .message(let role, let content):
            var object: JSONObject = ["type": "message", "role": .string(role.rawValue)]
            if content.count == 1, case .text(let text) = content[0] {
                object["content"] = .string(text)
            } else {
                object["content"] = .array(content.map { part($0, assistant: role == .assistant) })
            }
            return .object(object)
        case .functionCall(let call):
            var object: JSONObject = ["type": "function_call"]
            if !call.id.isEmpty { object["id"] = .string(call.id) }
            object["call_id"] = .string(call.callID)
            object["name"] = .string(call.name)
            object["arguments"] = .string(call.arguments)
            return .object(object)
        case .functionCallOutput(let result):
            return [
                "type": "function_call_output", "call_id": .string(result.callID), "output": .string(result.output),
            ]
        case .reasoning(let reasoning):
            var object: JSONObject = ["type": "reasoning", "id": .string(reasoning.id)]
            object["summary"] = .array(reasoning.summary.map { ["type": "summary_text", "text": .string($0)] })
            if let encrypted = reasoning.encryptedContent { object["encrypted_content"] = .string(encrypted) }
            return .object(object)
        case .raw(let value):
            return value
        }
    }

    static func part(_ part: ContentPart, assistant: Bool) -> JSONValue {
        switch part {
        case .text(let text):
            return ["type": assistant ? "output_text" : "input_text", "text": .string(text)]
        case .image(.url(let url, let detail)):
            return ["type": "input_image", "image_url": .string(url), "detail": .string(detail ?? "auto")]
        case .image(.base64(let data, let mediaType)):
            return ["type": "input_image", "image_url": .string("data:\(mediaType);base64,\(data)"), "detail": "auto"]
        }
    }

    static func tool(_ tool: ToolDefinition) -> JSONValue {
        var object: JSONObject = ["type": "function", "name": .string(tool.name)]
        if let description = tool.description { object["description"] = .string(description) }
        object["parameters"] = tool.parameters
        if let strict = tool.strict { object["strict"] = .bool(strict) }
        return .object(object)
    }

    static func toolChoice(_ choice: ToolChoice) -> JSONValue {
        switch choice {
        case .tool(let name): ["type": "function", "name": .string(name)]
        default: OpenAIChatRequestEncoder.toolChoice(choice)
        }
    }

    static func number(_ value: Double, field: String) throws -> JSONValue {
        guard let number = JSONNumber(value) else {
            throw SluiceError(.invalidRequest, "ResponsesRequest.\(field) must be a finite number, not \(value)")
        }
        return .number(number)
    }
}
