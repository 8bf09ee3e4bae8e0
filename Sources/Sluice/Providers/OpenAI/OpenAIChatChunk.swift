/// One `chat.completion.chunk` of an OpenAI-compatible streaming chat completion: the JSON in the
/// `data` of each server-sent event before the final `data: [DONE]`.
///
/// ```text
/// data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini",
///        "system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":" world"},
///        "logprobs":null,"finish_reason":null}]}
/// ```
///
/// The shapes a stream carries, in order:
/// - a first chunk whose delta has `role: "assistant"` (and usually `content: ""`);
/// - content chunks (`delta.content`), or `delta.refusal`, or tool-call fragments
///   (`delta.tool_calls[i]`: the first fragment of a call has `id`, `type` and `function.name`, later
///   ones only `index` and a piece of `function.arguments` to append);
/// - a chunk with `finish_reason` (`stop`, `length`, `tool_calls`, `content_filter`) and an empty delta;
/// - with `stream_options.include_usage`, a last chunk with `choices: []` and `usage` (other chunks
///   then carry `usage: null`);
/// - a server may instead send `{"error": {...}}` in the middle of a stream.
///
/// ``decode(_:)`` reads only these fields with ``JSONReader``; unknown fields (`service_tier`,
/// `obfuscation`, …) are skipped. Missing or `null` optional fields decode as `nil`; `choices` missing
/// or `null` decodes as empty (some compatible servers send the usage chunk that way).
struct OpenAIChatChunk: Sendable, Hashable {
    /// The completion's id, the same on every chunk of one stream.
    var id: String?
    /// Always `chat.completion.chunk` for OpenAI.
    var object: String?
    /// Unix time in seconds when the completion was created.
    var created: Int?
    /// The model that answered.
    var model: String?
    /// The backend configuration fingerprint.
    var systemFingerprint: String?
    /// The choices this chunk updates; empty in the usage-only last chunk.
    var choices: [Choice] = []
    /// Token usage for the whole request; only in the last chunk, with `include_usage`.
    var usage: Usage?
    /// An error the server reported inside the stream instead of a chunk.
    var error: APIError?

    /// An update to one choice (`n` > 1 gives several per chunk, told apart by ``index``).
    struct Choice: Sendable, Hashable {
        var index: Int = 0
        var delta = Delta()
        /// Why the choice finished (`stop`, `length`, `tool_calls`, `content_filter`), on its last chunk.
        var finishReason: String?
        /// Log probabilities as sent, when requested; `nil` when absent or `null`.
        var logprobs: JSONValue?
    }

    /// What a chunk adds to a choice's message.
    struct Delta: Sendable, Hashable {
        /// `assistant`, on the first chunk only.
        var role: String?
        /// Text to append to the message content.
        var content: String?
        /// Text to append to the refusal.
        var refusal: String?
        /// Reasoning text to append, from OpenAI-compatible servers that stream it (`reasoning_content`
        /// from DeepSeek, vLLM and others; `reasoning` from OpenRouter). OpenAI itself sends none.
        var reasoning: String?
        /// Tool-call fragments to merge by ``ToolCallDelta/index``.
        var toolCalls: [ToolCallDelta] = []
    }

    /// A fragment of one tool call. The first fragment of a call carries ``id``, ``type`` and
    /// ``name``; every fragment may carry a piece of ``arguments`` (JSON text) to append.
    struct ToolCallDelta: Sendable, Hashable {
        /// Which tool call of the message this fragment belongs to.
        var index: Int = 0
        var id: String?
        /// `function`.
        var type: String?
        /// `function.name`.
        var name: String?
        /// `function.arguments`: a piece of the arguments' JSON text.
        var arguments: String?
    }

    /// Token counts for the request.
    struct Usage: Sendable, Hashable {
        var promptTokens: Int?
        var completionTokens: Int?
        var totalTokens: Int?
        /// `prompt_tokens_details.cached_tokens`.
        var cachedTokens: Int?
        /// `completion_tokens_details.reasoning_tokens`.
        var reasoningTokens: Int?
    }

    /// The `error` object of a stream that failed mid-way.
    struct APIError: Sendable, Hashable {
        var message: String?
        var type: String?
        /// The error code; a number is kept as its text.
        var code: String?
        var param: String?
    }

    /// Whether an event's data is the `[DONE]` sentinel that ends an OpenAI stream.
    static func isDone(_ data: String) -> Bool {
        data == "[DONE]"
    }

    /// Decodes one chunk from its JSON text (an event's `data`).
    ///
    /// - Throws: ``SluiceError/Code/decodingFailed`` when the text is not JSON or a known field has
    ///   the wrong type.
    ///
    /// With `readingIdentity` off, the fields that are the same on every chunk of a stream (`id`,
    /// `object`, `created`, `model`, `system_fingerprint`) are skipped, not decoded: a stream decoder
    /// that already has them saves their allocations.
    static func decode(_ data: String, readingIdentity: Bool = true) throws -> OpenAIChatChunk {
        try JSONReader.read(data) { try decode(from: &$0, readingIdentity: readingIdentity) }
    }

    /// Decodes one chunk from its JSON bytes.
    static func decode(_ bytes: some Collection<UInt8>) throws -> OpenAIChatChunk {
        try JSONReader.read(bytes) { try decode(from: &$0) }
    }

    /// Decodes one chunk from the reader's next value (an object).
    static func decode(from reader: inout JSONReader, readingIdentity: Bool = true) throws -> OpenAIChatChunk {
        var chunk = OpenAIChatChunk()
        try reader.readObject { key, reader in
            switch key {
            case "id" where readingIdentity: chunk.id = try reader.readStringOrNull()
            case "object" where readingIdentity: chunk.object = try reader.readStringOrNull()
            case "created" where readingIdentity: chunk.created = try reader.readIntOrNull()
            case "model" where readingIdentity: chunk.model = try reader.readStringOrNull()
            case "system_fingerprint" where readingIdentity: chunk.systemFingerprint = try reader.readStringOrNull()
            case "choices":
                if try reader.readNullIfPresent() { return }
                try reader.readArray { reader in chunk.choices.append(try Choice.decode(from: &reader)) }
            case "usage":
                if try reader.readNullIfPresent() { return }
                chunk.usage = try Usage.decode(from: &reader)
            case "error":
                if try reader.readNullIfPresent() { return }
                chunk.error = try APIError.decode(from: &reader)
            default:
                break
            }
        }
        return chunk
    }
}

extension OpenAIChatChunk.Choice {
    static func decode(from reader: inout JSONReader) throws -> Self {
        var choice = Self()
        try reader.readObject { key, reader in
            switch key {
            case "index": choice.index = try reader.readIntOrNull() ?? 0
            case "delta":
                if try reader.readNullIfPresent() { return }
                choice.delta = try OpenAIChatChunk.Delta.decode(from: &reader)
            case "finish_reason": choice.finishReason = try reader.readStringOrNull()
            case "logprobs":
                if try reader.readNullIfPresent() { return }
                choice.logprobs = try reader.readValue()
            default:
                break
            }
        }
        return choice
    }
}

extension OpenAIChatChunk.Delta {
    static func decode(from reader: inout JSONReader) throws -> Self {
        var delta = Self()
        try reader.readObject { key, reader in
            switch key {
            case "content": delta.content = try reader.readStringOrNull()
            case "role": delta.role = try reader.readStringOrNull()
            case "refusal": delta.refusal = try reader.readStringOrNull()
            case "reasoning_content", "reasoning":
                // Only a string is reasoning text; another shape (an object some servers send) is skipped.
                if try reader.peekKind() == .string { delta.reasoning = (delta.reasoning ?? "") + (try reader.readString()) }
            case "tool_calls":
                if try reader.readNullIfPresent() { return }
                try reader.readArray { reader in
                    delta.toolCalls.append(try OpenAIChatChunk.ToolCallDelta.decode(from: &reader))
                }
            default:
                break
            }
        }
        return delta
    }
}

extension OpenAIChatChunk.ToolCallDelta {
    static func decode(from reader: inout JSONReader) throws -> Self {
        var call = Self()
        try reader.readObject { key, reader in
            switch key {
            case "index": call.index = try reader.readIntOrNull() ?? 0
            case "id": call.id = try reader.readStringOrNull()
            case "type": call.type = try reader.readStringOrNull()
            case "function":
                if try reader.readNullIfPresent() { return }
                try reader.readObject { key, reader in
                    switch key {
                    case "name": call.name = try reader.readStringOrNull()
                    case "arguments": call.arguments = try reader.readStringOrNull()
                    default: break
                    }
                }
            default:
                break
            }
        }
        return call
    }
}

extension OpenAIChatChunk.Usage {
    static func decode(from reader: inout JSONReader) throws -> Self {
        var usage = Self()
        try reader.readObject { key, reader in
            switch key {
            case "prompt_tokens": usage.promptTokens = try reader.readTokenCount()
            case "completion_tokens": usage.completionTokens = try reader.readTokenCount()
            case "total_tokens": usage.totalTokens = try reader.readTokenCount()
            case "prompt_tokens_details":
                if try reader.readNullIfPresent() { return }
                try reader.readObject { key, reader in
                    if key == "cached_tokens" { usage.cachedTokens = try reader.readTokenCount() }
                }
            case "completion_tokens_details":
                if try reader.readNullIfPresent() { return }
                try reader.readObject { key, reader in
                    if key == "reasoning_tokens" { usage.reasoningTokens = try reader.readTokenCount() }
                }
            default:
                break
            }
        }
        return usage
    }
}

extension OpenAIChatChunk.APIError {
    static func decode(from reader: inout JSONReader) throws -> Self {
        var error = Self()
        try reader.readObject { key, reader in
            switch key {
            case "message": error.message = try reader.readStringOrNull()
            case "type": error.type = try reader.readStringOrNull()
            case "code":
                if try reader.readNullIfPresent() { return }
                error.code = try reader.readStringOrNumberText()
            case "param":
                if try reader.readNullIfPresent() { return }
                error.param = try reader.readStringOrNumberText()
            default:
                break
            }
        }
        return error
    }
}

// MARK: - Mapping to Sluice's types

extension OpenAIChatChunk {
    /// The normalised finish reason for OpenAI's `finish_reason`: `stop`, `length`, `tool_calls` (and
    /// the legacy `function_call`), `content_filter`; anything else normalises to `other`. When the
    /// model refused (a `refusal` instead of content), the reason normalises to `refusal` whatever the
    /// raw value (OpenAI sends `stop`).
    static func finishReason(_ raw: String, refused: Bool = false) -> FinishReason {
        if refused { return FinishReason(normalized: FinishReason.refusal.normalized, raw: raw) }
        switch raw {
        case "stop": return .stop
        case "length": return .length
        case "tool_calls": return .toolCalls
        case "function_call": return FinishReason(normalized: FinishReason.toolCalls.normalized, raw: raw)
        case "content_filter": return .contentFilter
        default: return FinishReason(normalized: "other", raw: raw)
        }
    }
}

extension OpenAIChatChunk.Usage {
    /// The counts as a ``Sluice/Usage``; a missing count is 0.
    var sluiceUsage: Sluice.Usage {
        Sluice.Usage(
            inputTokens: promptTokens ?? 0,
            outputTokens: completionTokens ?? 0,
            cachedInputTokens: cachedTokens,
            reasoningTokens: reasoningTokens
        )
    }
}

extension OpenAIChatChunk.APIError {
    /// The fields as ``ProviderErrorDetails``, with key-like tokens in the message redacted.
    var details: ProviderErrorDetails {
        ProviderErrorDetails(type: type, code: code, param: param, message: message.map { SecretRedaction.redact($0) })
    }
}
