/// Decodes an OpenAI `response` object (the body of a non-streaming Responses API reply, and the
/// `response` of the stream's lifecycle events) with ``JSONReader``, reading only the fields a
/// ``ResponsesResponse`` holds:
///
/// ```text
/// {"id":"resp_…","object":"response","created_at":1741476542,"status":"completed","error":null,
///  "incomplete_details":null,"model":"gpt-4.1-…",
///  "output":[{"type":"reasoning","id":"rs_…","summary":[{"type":"summary_text","text":"…"}]},
///            {"type":"message","id":"msg_…","role":"assistant","status":"completed",
///             "content":[{"type":"output_text","text":"…","annotations":[]}]},
///            {"type":"function_call","id":"fc_…","call_id":"call_…","name":"…","arguments":"{…}"}],
///  "usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":0},"output_tokens":87,
///           "output_tokens_details":{"reasoning_tokens":0},"total_tokens":123}}
/// ```
///
/// Output items of other types, and content parts other than `output_text` and `refusal`, are
/// skipped. Token counts and `created_at` saturate (see ``JSONReader/readTokenCount()``); a known
/// field of the wrong type throws ``SluiceError/Code/decodingFailed`` naming the field.
enum OpenAIResponsesDecoder {
    static func decode(_ body: [UInt8], requestID: String? = nil) throws -> ResponsesResponse {
        try OpenAIFieldPathError.decoding("OpenAI response") {
            try JSONReader.read(body) { reader in
                var response = try decode(from: &reader)
                response.requestID = requestID
                return response
            }
        }
    }

    static func decode(from reader: inout JSONReader) throws -> ResponsesResponse {
        var response = ResponsesResponse()
        var status: String?
        var apiError: OpenAIChatChunk.APIError?
        try reader.readFields { key, reader in
            switch key {
            case "id": response.id = try reader.readStringOrNull() ?? ""
            case "model": response.model = try reader.readStringOrNull() ?? ""
            case "status": status = try reader.readStringOrNull()
            case "created_at": response.createdAt = try reader.readTokenCount()
            case "incomplete_details":
                if try reader.readNullIfPresent() { return }
                try reader.readFields { key, reader in
                    if key == "reason" { response.incompleteReason = try reader.readStringOrNull() }
                }
            case "error":
                if try reader.readNullIfPresent() { return }
                apiError = try OpenAIChatChunk.APIError.decode(from: &reader)
            case "output":
                if try reader.readNullIfPresent() { return }
                try reader.readElements { _, reader in
                    if let item = try decodeItem(from: &reader) { response.output.append(item) }
                }
            case "usage":
                if try reader.readNullIfPresent() { return }
                response.usage = try decodeUsage(from: &reader)
            default:
                break
            }
        }
        response.status = status.map(ResponsesStatus.init) ?? (apiError == nil ? .completed : .failed)
        response.error = apiError?.details
        return response
    }

    /// One output item, or `nil` for a type Sluice does not model.
    static func decodeItem(from reader: inout JSONReader) throws -> ResponsesOutputItem? {
        var type = ""
        var id = ""
        var callID = ""
        var name = ""
        var arguments = ""
        var parts: [String] = []
        var refused = false
        var summary: [String] = []
        var encrypted: String?
        try reader.readFields { key, reader in
            switch key {
            case "type": type = try reader.readStringOrNull() ?? ""
            case "id": id = try reader.readStringOrNull() ?? ""
            case "call_id": callID = try reader.readStringOrNull() ?? ""
            case "name": name = try reader.readStringOrNull() ?? ""
            case "arguments":
                switch try reader.peekKind() {
                case .string: arguments = try reader.readString()
                case .null: try reader.readNull()
                default: arguments = try reader.readValue().description
                }
            case "encrypted_content": encrypted = try reader.readStringOrNull()
            case "content":
                if try reader.readNullIfPresent() { return }
                try reader.readElements { _, reader in
                    try decodePart(from: &reader, into: &parts, refused: &refused)
                }
            case "summary":
                if try reader.readNullIfPresent() { return }
                try reader.readElements { _, reader in
                    try reader.readFields { key, reader in
                        if key == "text" { summary.append(try reader.readStringOrNull() ?? "") }
                    }
                }
            default:
                break
            }
        }
        switch type {
        case "message":
            return .message(ResponsesOutputMessage(id: id, parts: parts, refused: refused))
        case "function_call":
            return .functionCall(ResponsesFunctionCall(id: id, callID: callID, name: name, arguments: arguments))
        case "reasoning":
            return .reasoning(ResponsesReasoningItem(id: id, summary: summary, encryptedContent: encrypted))
        default:
            return nil
        }
    }

    /// A message content part: `output_text` (its `text`) or `refusal` (its `refusal`); others are skipped.
    static func decodePart(from reader: inout JSONReader, into parts: inout [String], refused: inout Bool) throws {
        var type = ""
        var text: String?
        var refusal: String?
        try reader.readFields { key, reader in
            switch key {
            case "type": type = try reader.readStringOrNull() ?? ""
            case "text": text = try reader.readStringOrNull()
            case "refusal": refusal = try reader.readStringOrNull()
            default: break
            }
        }
        switch type {
        case "output_text": parts.append(text ?? "")
        case "refusal":
            refused = true
            parts.append(refusal ?? "")
        default: break
        }
    }

    /// `usage`: `input_tokens` (cached ones included), `output_tokens` (reasoning included), and their
    /// details; counts saturate, a count of another type reads as missing (0).
    static func decodeUsage(from reader: inout JSONReader) throws -> Usage {
        var usage = Usage()
        try reader.readFields { key, reader in
            switch key {
            case "input_tokens": usage.inputTokens = try reader.readTokenCount() ?? 0
            case "output_tokens": usage.outputTokens = try reader.readTokenCount() ?? 0
            case "input_tokens_details":
                if try reader.readNullIfPresent() { return }
                try reader.readFields { key, reader in
                    if key == "cached_tokens" { usage.cachedInputTokens = try reader.readTokenCount() }
                }
            case "output_tokens_details":
                if try reader.readNullIfPresent() { return }
                try reader.readFields { key, reader in
                    if key == "reasoning_tokens" { usage.reasoningTokens = try reader.readTokenCount() }
                }
            default:
                break
            }
        }
        return usage
    }
}
