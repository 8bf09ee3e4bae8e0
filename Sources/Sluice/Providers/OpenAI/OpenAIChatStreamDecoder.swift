/// Decodes the server-sent events of a streamed OpenAI chat completion into ``ChatStreamEvent``s.
///
/// Per `chat.completion.chunk` (see ``OpenAIChatChunk``), in this order:
/// - ``ChatStreamEvent/started(id:model:)`` once, on the first chunk;
/// - ``ChatStreamEvent/textDelta(_:)`` for non-empty `delta.content` (and `delta.refusal`, which is
///   the reply's text when the model refuses);
/// - per tool-call fragment, ``ChatStreamEvent/toolCallStarted(index:id:name:)`` the first time its
///   index carries an `id` or a `name`, then ``ChatStreamEvent/toolCallArgumentsDelta(index:fragment:)``
///   for a non-empty `function.arguments` piece;
/// - ``ChatStreamEvent/finished(_:)`` for a `finish_reason` (normalised to `refusal` when the model
///   refused);
/// - ``ChatStreamEvent/usage(_:)`` when the chunk has `usage` (the last chunk with
///   `stream_options.include_usage`; every chunk on servers that report usage continuously).
///
/// `data: [DONE]` sets ``isComplete``; events after it are ignored, and so are events with empty
/// data. Only choice 0 is read. An `{"error": …}` chunk or an `event: error` event throws
/// ``SluiceError/Code/streamError`` with ``SluiceError/providerError`` filled in; data that is not a
/// chunk throws ``SluiceError/Code/decodingFailed`` naming the event's number (1-based, counting every
/// event this decoder was given). Events with another `event:` name, which OpenAI does not send, pass
/// on as ``ChatStreamEvent/providerEvent(name:data:)``.
///
/// The hot path allocates only what the events carry: each chunk is read in one pass with
/// ``JSONReader`` and the identity fields are read only until ``ChatStreamEvent/started(id:model:)``
/// has gone out.
struct OpenAIChatStreamDecoder: ChatStreamDecoder {
    private(set) var isComplete = false
    private var started = false
    private var refused = false
    private var eventNumber = 0
    /// Tool-call indices that have had their ``ChatStreamEvent/toolCallStarted(index:id:name:)``.
    private var startedToolCalls: [Int] = []

    mutating func decode(_ event: ServerSentEvent, emit: (ChatStreamEvent) throws -> Void) throws {
        eventNumber += 1
        if isComplete { return }
        if let name = event.event, name != "message" {
            if name == "error" {
                throw OpenAIErrorDecoder.streamError(eventData: event.data, eventNumber: eventNumber)
            }
            let data = (try? JSONValue(parsing: event.data)) ?? .string(event.data)
            try emit(.providerEvent(name: name, data: data))
            return
        }
        if event.data.utf8.count == 6, OpenAIChatChunk.isDone(event.data) {
            isComplete = true
            return
        }
        if event.data.isEmpty { return }

        let chunk: OpenAIChatChunk
        do {
            chunk = try OpenAIChatChunk.decode(event.data, readingIdentity: !started)
        } catch let error as SluiceError {
            throw SluiceError(
                .decodingFailed, "OpenAI stream event #\(eventNumber) is not a chat completion chunk: \(error.message)",
                cause: error)
        }
        if let error = chunk.error {
            throw OpenAIErrorDecoder.streamError(error.details, eventNumber: eventNumber)
        }
        if !started {
            started = true
            try emit(.started(id: chunk.id ?? "", model: chunk.model ?? ""))
        }
        if let choice = chunk.choices.first(where: { $0.index == 0 }) {
            try emitChoice(choice, emit: emit)
        }
        if let usage = chunk.usage {
            try emit(.usage(usage.sluiceUsage))
        }
    }

    private mutating func emitChoice(_ choice: OpenAIChatChunk.Choice, emit: (ChatStreamEvent) throws -> Void) throws {
        let delta = choice.delta
        if let reasoning = delta.reasoning, !reasoning.isEmpty {
            try emit(.thinkingDelta(index: 0, fragment: reasoning))
        }
        if let content = delta.content, !content.isEmpty {
            try emit(.textDelta(content))
        }
        if let refusal = delta.refusal, !refusal.isEmpty {
            refused = true
            try emit(.textDelta(refusal))
        }
        for call in delta.toolCalls {
            if call.id != nil || call.name != nil, !startedToolCalls.contains(call.index) {
                startedToolCalls.append(call.index)
                try emit(.toolCallStarted(index: call.index, id: call.id ?? "", name: call.name ?? ""))
            }
            if let arguments = call.arguments, !arguments.isEmpty {
                try emit(.toolCallArgumentsDelta(index: call.index, fragment: arguments))
            }
        }
        if let reason = choice.finishReason {
            try emit(.finished(OpenAIChatChunk.finishReason(reason, refused: refused)))
        }
    }
}
