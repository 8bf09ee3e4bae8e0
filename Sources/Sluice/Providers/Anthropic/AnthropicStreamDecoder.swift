/// Decodes one streamed Anthropic message: the server-sent events of `POST /v1/messages` with
/// `"stream": true`.
///
/// A stream runs `message_start`, then for each content block `content_block_start`, any number of
/// `content_block_delta` and `content_block_stop`, then `message_delta` (stop reason and output
/// tokens) and `message_stop`; `ping` may come anywhere, and `error` ends a stream that failed:
///
/// ```text
/// event: message_start
/// data: {"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-5","usage":{"input_tokens":25,"output_tokens":1}}}
///
/// event: content_block_delta
/// data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}
/// ```
///
/// The events it emits, per SSE event (dispatched on the `event` name, or the payload's `type` when
/// the event has no name):
/// - `message_start` → ``ChatStreamEvent/started(id:model:)``, then ``ChatStreamEvent/usage(_:)``
///   with the input tokens (cache reads and writes included) and the output tokens so far.
/// - `content_block_start` of a `text` block → nothing, or its text when it is not empty; of a
///   `tool_use` block → ``ChatStreamEvent/toolCallStarted(index:id:name:)``. The index counts tool
///   calls, not content blocks: the first `tool_use` block is tool call 0 even when a text block
///   came before it, as OpenAI numbers them; of a `thinking` block →
///   ``ChatStreamEvent/thinkingDelta(index:fragment:)`` with its initial text (often empty), then
///   ``ChatStreamEvent/thinkingSignatureDelta(index:fragment:)`` if it already carries a signature; of
///   a `redacted_thinking` block → ``ChatStreamEvent/redactedThinking(index:data:)``. Thinking indices
///   count thinking blocks, as tool-call indices count tool calls. Other blocks (`server_tool_use`, …)
///   → ``ChatStreamEvent/providerEvent(name:data:)``.
/// - `content_block_delta`: `text_delta` → ``ChatStreamEvent/textDelta(_:)``; `input_json_delta` of a
///   tool call → ``ChatStreamEvent/toolCallArgumentsDelta(index:fragment:)`` (empty fragments are left
///   out); `thinking_delta` and `signature_delta` of a thinking block →
///   ``ChatStreamEvent/thinkingDelta(index:fragment:)`` and
///   ``ChatStreamEvent/thinkingSignatureDelta(index:fragment:)`` (empty fragments left out); every
///   other delta (`citations_delta`, a JSON delta of a server tool block, a thinking delta of a block
///   that is not a thinking block) → ``ChatStreamEvent/providerEvent(name:data:)``.
/// - `content_block_stop` → nothing for text, tool calls and thinking, a provider event for other
///   blocks.
/// - `message_delta` → ``ChatStreamEvent/usage(_:)`` (cumulative: the delta's output tokens with the
///   input tokens of `message_start`, or of the delta when it repeats them), then
///   ``ChatStreamEvent/finished(_:)`` with the stop reason mapped by
///   ``AnthropicAdapter/finishReason(_:)``.
/// - `message_stop` → nothing; ``isComplete`` becomes `true`.
/// - `ping` and any event type this decoder does not know → ``ChatStreamEvent/providerEvent(name:data:)``
///   with the payload (an unknown event whose data is not JSON is passed as a JSON string), so a new
///   event type never fails a stream.
/// - `error` → throws ``SluiceError/Code/streamError`` with ``SluiceError/providerError`` holding the
///   error's type (`overloaded_error`, `api_error`, …) and message. The code stays `streamError` even
///   for `overloaded_error`, because the reply had already begun; the type says why.
///
/// - Throws: ``SluiceError/Code/decodingFailed`` when a known event's payload is not JSON or lacks a
///   field it must have (an index, a tool call's id and name, a redacted thinking block's data), or a
///   thinking or signature field that is not a string, naming the event's number (counted from 1)
///   and type.
///
/// It reads only the fields it needs with ``JSONReader``; a text or argument delta costs the string it
/// emits and nothing else.
struct AnthropicStreamDecoder: ChatStreamDecoder {
    private(set) var isComplete = false
    /// How many events this decoder has been given.
    private(set) var eventNumber = 0
    /// The usage reported so far (`message_start`, updated by each `message_delta`).
    private(set) var usage = AnthropicUsage()
    /// The content blocks started so far.
    private var blocks: [Block] = []
    /// How many tool calls have started.
    private var toolCallCount = 0
    /// How many thinking blocks (redacted ones included) have started.
    private var thinkingCount = 0

    init() {}

    /// What a content block is, by its index in the message.
    private struct Block {
        enum Kind {
            case text
            case toolCall(Int)
            case thinking(Int)
            case redactedThinking
            case other
        }

        var index: Int
        var kind: Kind
    }

    mutating func decode(_ event: ServerSentEvent, emit: (ChatStreamEvent) throws -> Void) throws {
        eventNumber += 1
        let name: String
        if let eventName = event.event {
            name = eventName
        } else {
            name = try read(event, "an event without a name") { reader in try Self.readType(&reader) } ?? "message"
        }
        switch name {
        case "content_block_delta": try contentBlockDelta(event, emit)
        case "message_start": try messageStart(event, emit)
        case "content_block_start": try contentBlockStart(event, emit)
        case "content_block_stop": try contentBlockStop(event, emit)
        case "message_delta": try messageDelta(event, emit)
        case "message_stop":
            try read(event, name) { reader in try reader.skipValue() }
            isComplete = true
        case "error": throw try streamError(event)
        case "ping": try emit(.providerEvent(name: name, data: try value(event, name)))
        default:
            let data = (try? JSONValue(parsing: event.data)) ?? .string(event.data)
            try emit(.providerEvent(name: name, data: data))
        }
    }

    // MARK: Events

    private mutating func messageStart(_ event: ServerSentEvent, _ emit: (ChatStreamEvent) throws -> Void) throws {
        let (id, model, usage) = try read(event, "message_start") { reader -> (String, String, AnthropicUsage?) in
            var id = "", model = ""
            var usage: AnthropicUsage?
            var sawMessage = false
            try reader.readObject { key, reader in
                guard key == "message" else { return }
                sawMessage = true
                try reader.readObject { key, reader in
                    switch key {
                    case "id": id = try reader.readStringOrNull() ?? ""
                    case "model": model = try reader.readStringOrNull() ?? ""
                    case "usage":
                        if try reader.readNullIfPresent() { return }
                        usage = try AnthropicUsage.decode(from: &reader)
                    default: break
                    }
                }
            }
            guard sawMessage else { throw reader.error("message_start without a message object", at: 0) }
            return (id, model, usage)
        }
        try emit(.started(id: id, model: model))
        if let usage {
            self.usage = usage
            try emit(.usage(usage.usage))
        }
    }

    private mutating func contentBlockStart(
        _ event: ServerSentEvent,
        _ emit: (ChatStreamEvent) throws -> Void
    ) throws {
        let name = "content_block_start"
        let start = try read(event, name) {
            reader -> (index: Int, kind: BlockType, id: String?, name: String?, text: String?, signature: String?) in
            var index: Int?
            var kind = BlockType.other
            var id: String?, toolName: String?, text: String?, thinking: String?, signature: String?
            var data: String?
            var mismatched = false
            try reader.readObject { key, reader in
                switch key {
                case "index": index = try reader.readInt()
                case "content_block":
                    try reader.readObject { key, reader in
                        switch key {
                        case "type": kind = try BlockType(Self.readTag(&reader))
                        case "id": id = try reader.readStringOrNull()
                        case "name": toolName = try reader.readStringOrNull()
                        case "text": text = try reader.readStringOrNull()
                        // Strings in thinking blocks; other block types may use these keys otherwise.
                        case "thinking": thinking = try reader.readStringIfString(mismatched: &mismatched)
                        case "signature": signature = try reader.readStringIfString(mismatched: &mismatched)
                        case "data": data = try reader.readStringIfString(mismatched: &mismatched)
                        default: break
                        }
                    }
                default: break
                }
            }
            guard let index else { throw reader.error("content_block_start without an index", at: 0) }
            switch kind {
            case .toolUse:
                if id == nil || toolName == nil {
                    throw reader.error("content_block_start of a tool_use block without an id or a name", at: 0)
                }
            case .redactedThinking:
                guard let data, !mismatched else {
                    throw reader.error("content_block_start of a redacted_thinking block without its data", at: 0)
                }
                text = data
            case .thinking:
                if mismatched {
                    throw reader.error(
                        "content_block_start of a thinking block with a field that is not a string", at: 0)
                }
                text = thinking
            case .text, .other:
                break
            }
            return (index, kind, id, toolName, text, signature)
        }
        switch start.kind {
        case .text:
            blocks.append(Block(index: start.index, kind: .text))
            if let text = start.text, !text.isEmpty { try emit(.textDelta(text)) }
        case .toolUse:
            let toolIndex = toolCallCount
            toolCallCount += 1
            blocks.append(Block(index: start.index, kind: .toolCall(toolIndex)))
            try emit(.toolCallStarted(index: toolIndex, id: start.id ?? "", name: start.name ?? ""))
        case .thinking:
            let thinkingIndex = thinkingCount
            thinkingCount += 1
            blocks.append(Block(index: start.index, kind: .thinking(thinkingIndex)))
            try emit(.thinkingDelta(index: thinkingIndex, fragment: start.text ?? ""))
            if let signature = start.signature, !signature.isEmpty {
                try emit(.thinkingSignatureDelta(index: thinkingIndex, fragment: signature))
            }
        case .redactedThinking:
            let thinkingIndex = thinkingCount
            thinkingCount += 1
            blocks.append(Block(index: start.index, kind: .redactedThinking))
            try emit(.redactedThinking(index: thinkingIndex, data: start.text ?? ""))
        case .other:
            blocks.append(Block(index: start.index, kind: .other))
            try emit(.providerEvent(name: name, data: try value(event, name)))
        }
    }

    private mutating func contentBlockDelta(
        _ event: ServerSentEvent,
        _ emit: (ChatStreamEvent) throws -> Void
    ) throws {
        let name = "content_block_delta"
        let delta = try read(event, name) { reader -> (index: Int, kind: DeltaType, text: String?) in
            var index: Int?
            var kind = DeltaType.other
            var text: String?, partialJSON: String?, thinking: String?, signature: String?
            var mismatched = false
            try reader.readObject { key, reader in
                switch key {
                case "index": index = try reader.readInt()
                case "delta":
                    try reader.readObject { key, reader in
                        switch key {
                        case "type": kind = try DeltaType(Self.readTag(&reader))
                        case "text": text = try reader.readStringOrNull()
                        case "partial_json": partialJSON = try reader.readStringOrNull()
                        case "thinking": thinking = try reader.readStringIfString(mismatched: &mismatched)
                        case "signature": signature = try reader.readStringIfString(mismatched: &mismatched)
                        default: break
                        }
                    }
                default: break
                }
            }
            guard let index else { throw reader.error("content_block_delta without an index", at: 0) }
            if mismatched, kind == .thinking || kind == .signature {
                throw reader.error("a thinking or signature delta whose text is not a string", at: 0)
            }
            switch kind {
            case .inputJSON: return (index, kind, partialJSON)
            case .thinking: return (index, kind, thinking)
            case .signature: return (index, kind, signature)
            case .text, .other: return (index, kind, text)
            }
        }
        switch delta.kind {
        case .text:
            if let text = delta.text, !text.isEmpty { try emit(.textDelta(text)) }
            return
        case .inputJSON:
            if case .toolCall(let toolIndex)? = block(delta.index)?.kind {
                if let fragment = delta.text, !fragment.isEmpty {
                    try emit(.toolCallArgumentsDelta(index: toolIndex, fragment: fragment))
                }
                return
            }
        case .thinking, .signature:
            if case .thinking(let thinkingIndex)? = block(delta.index)?.kind {
                if let fragment = delta.text, !fragment.isEmpty {
                    try emit(
                        delta.kind == .thinking
                            ? .thinkingDelta(index: thinkingIndex, fragment: fragment)
                            : .thinkingSignatureDelta(index: thinkingIndex, fragment: fragment))
                }
                return
            }
        case .other:
            break
        }
        try emit(.providerEvent(name: name, data: try value(event, name)))
    }

    private mutating func contentBlockStop(_ event: ServerSentEvent, _ emit: (ChatStreamEvent) throws -> Void) throws {
        let name = "content_block_stop"
        let index = try read(event, name) { reader -> Int in
            var index: Int?
            try reader.readObject { key, reader in
                if key == "index" { index = try reader.readInt() }
            }
            guard let index else { throw reader.error("content_block_stop without an index", at: 0) }
            return index
        }
        switch block(index)?.kind {
        case .text?, .toolCall?, .thinking?, .redactedThinking?: return
        case .other?, nil: try emit(.providerEvent(name: name, data: try value(event, name)))
        }
    }

    private mutating func messageDelta(_ event: ServerSentEvent, _ emit: (ChatStreamEvent) throws -> Void) throws {
        let (stopReason, deltaUsage) = try read(event, "message_delta") { reader -> (String?, AnthropicUsage?) in
            var stopReason: String?
            var usage: AnthropicUsage?
            try reader.readObject { key, reader in
                switch key {
                case "delta":
                    if try reader.readNullIfPresent() { return }
                    try reader.readObject { key, reader in
                        if key == "stop_reason" { stopReason = try reader.readStringOrNull() }
                    }
                case "usage":
                    if try reader.readNullIfPresent() { return }
                    usage = try AnthropicUsage.decode(from: &reader)
                default: break
                }
            }
            return (stopReason, usage)
        }
        if let deltaUsage {
            if let output = deltaUsage.outputTokens { usage.outputTokens = output }
            if let input = deltaUsage.inputTokens { usage.inputTokens = input }
            if let reads = deltaUsage.cacheReadInputTokens { usage.cacheReadInputTokens = reads }
            if let writes = deltaUsage.cacheCreationInputTokens { usage.cacheCreationInputTokens = writes }
            try emit(.usage(usage.usage))
        }
        if let stopReason { try emit(.finished(AnthropicAdapter.finishReason(stopReason))) }
    }

    private func streamError(_ event: ServerSentEvent) throws -> SluiceError {
        var details = try read(event, "error") { reader -> ProviderErrorDetails in
            var details = ProviderErrorDetails()
            try reader.readObject { key, reader in
                guard key == "error" else { return }
                if try reader.readNullIfPresent() { return }
                details = try AnthropicAdapter.decodeErrorObject(from: &reader)
            }
            return details
        }
        details.message = details.message.map { SecretRedaction.redact($0) }
        return SluiceError(
            .streamError,
            "Anthropic sent an error at event \(eventNumber) of the stream: \(AnthropicAdapter.summary(details))",
            providerError: details
        )
    }

    // MARK: Helpers

    private func block(_ index: Int) -> Block? {
        var position = blocks.count
        while position > 0 {
            position -= 1
            if blocks[position].index == index { return blocks[position] }
        }
        return nil
    }

    /// Runs `body` over the event's data, adding the event's number and type to a decoding error.
    private func read<Result>(
        _ event: ServerSentEvent,
        _ name: String,
        _ body: (inout JSONReader) throws -> Result
    ) throws -> Result {
        do {
            return try JSONReader.read(event.data, body)
        } catch let error as SluiceError where error.code == .decodingFailed {
            throw SluiceError(
                .decodingFailed, "Anthropic stream event \(eventNumber) (\(name)): \(error.message)", cause: error)
        }
    }

    /// The whole payload, for a provider event.
    private func value(_ event: ServerSentEvent, _ name: String) throws -> JSONValue {
        try read(event, name) { reader in try reader.readValue() }
    }

    /// The top-level `type` of a payload, without building anything else.
    private static func readType(_ reader: inout JSONReader) throws -> String? {
        var type: String?
        try reader.readObject { key, reader in
            if key == "type" { type = try reader.readStringOrNull() }
        }
        return type
    }

    /// Reads a string and hands out its raw bytes (escapes not decoded) as a ``JSONKey``, to match a
    /// tag value such as a `type` against literals without allocating. A tag written with escapes
    /// matches no literal.
    ///
    /// - Important: The result is valid only inside the closure given to `JSONReader.read`.
    private static func readTag(_ reader: inout JSONReader) throws -> JSONKey {
        guard try reader.peekKind() == .string else { throw reader.error("expected a string") }
        let start = reader.offset
        try reader.skipValue()
        return JSONKey(UnsafeBufferPointer(rebasing: reader.input[(start + 1)..<(reader.offset - 1)]))
    }

    /// The content block types the decoder maps.
    private enum BlockType {
        case text, toolUse, thinking, redactedThinking, other

        init(_ tag: JSONKey) {
            switch tag {
            case "text": self = .text
            case "tool_use": self = .toolUse
            case "thinking": self = .thinking
            case "redacted_thinking": self = .redactedThinking
            default: self = .other
            }
        }
    }

    /// The delta types the decoder maps.
    private enum DeltaType {
        case text, inputJSON, thinking, signature, other

        init(_ tag: JSONKey) {
            switch tag {
            case "text_delta": self = .text
            case "input_json_delta": self = .inputJSON
            case "thinking_delta": self = .thinking
            case "signature_delta": self = .signature
            default: self = .other
            }
        }
    }
}
