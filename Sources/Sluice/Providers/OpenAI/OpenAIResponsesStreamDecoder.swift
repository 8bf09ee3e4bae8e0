/// Decodes the server-sent events of a streamed OpenAI Responses API reply into
/// ``ResponsesStreamEvent``s.
///
/// Each event's `data` is one JSON object whose `type` names it (the `event:` line repeats it):
/// `response.created`, `response.in_progress`, `response.output_item.added`,
/// `response.output_text.delta` / `.done`, `response.function_call_arguments.delta` / `.done`,
/// `response.reasoning_summary_text.delta`, `response.output_item.done`, and the terminal
/// `response.completed`, `response.incomplete` and `response.failed` (which set ``isComplete``; events
/// after them are ignored). Other types (`response.content_part.added`, annotations, types added
/// later) are skipped.
///
/// An `error` event (`code`, `message`, `param` at the top, or in an `error` object as some compatible
/// servers send them) throws ``SluiceError/Code/streamError`` with ``SluiceError/providerError``; data
/// that is not JSON, or a known field of the wrong type, throws ``SluiceError/Code/decodingFailed``
/// naming the event's number (1-based). Indices saturate like token counts.
struct OpenAIResponsesStreamDecoder: ResponsesStreamDecoder {
    private(set) var isComplete = false
    private var eventNumber = 0

    /// The fields of one event's data that Sluice reads.
    private struct Payload {
        var type = ""
        var response: ResponsesResponse?
        var item: ResponsesOutputItem?
        var outputIndex = 0
        var contentIndex = 0
        var summaryIndex = 0
        var delta = ""
        var text: String?
        var arguments: String?
        var error = OpenAIChatChunk.APIError()
    }

    mutating func decode(_ event: ServerSentEvent, emit: (ResponsesStreamEvent) throws -> Void) throws {
        eventNumber += 1
        if isComplete || event.data.isEmpty { return }
        let payload = try OpenAIFieldPathError.decoding("OpenAI Responses stream event #\(eventNumber)") {
            try JSONReader.read(event.data) { try Self.payload(from: &$0) }
        }
        let type = payload.type.isEmpty ? (event.event ?? "") : payload.type
        switch type {
        case "error":
            throw OpenAIErrorDecoder.streamError(payload.error.details, eventNumber: eventNumber)
        case "response.created", "response.in_progress", "response.completed", "response.incomplete",
            "response.failed":
            guard let response = payload.response else {
                throw SluiceError(
                    .decodingFailed, "OpenAI Responses stream event #\(eventNumber) (\(type)) has no response")
            }
            switch type {
            case "response.created": try emit(.created(response))
            case "response.in_progress": try emit(.inProgress(response))
            case "response.completed":
                isComplete = true
                try emit(.completed(response))
            case "response.incomplete":
                isComplete = true
                try emit(.incomplete(response))
            default:
                isComplete = true
                try emit(.failed(response))
            }
        case "response.output_item.added", "response.output_item.done":
            // An item of a type Sluice does not model is skipped with its event.
            guard let item = payload.item else { return }
            try emit(
                type == "response.output_item.added"
                    ? .outputItemAdded(outputIndex: payload.outputIndex, item: item)
                    : .outputItemDone(outputIndex: payload.outputIndex, item: item))
        case "response.output_text.delta":
            try emit(
                .outputTextDelta(
                    outputIndex: payload.outputIndex, contentIndex: payload.contentIndex, delta: payload.delta))
        case "response.output_text.done":
            try emit(
                .outputTextDone(
                    outputIndex: payload.outputIndex, contentIndex: payload.contentIndex, text: payload.text ?? ""))
        case "response.function_call_arguments.delta":
            try emit(.functionCallArgumentsDelta(outputIndex: payload.outputIndex, delta: payload.delta))
        case "response.function_call_arguments.done":
            try emit(.functionCallArgumentsDone(outputIndex: payload.outputIndex, arguments: payload.arguments ?? ""))
        case "response.reasoning_summary_text.delta":
            try emit(
                .reasoningSummaryDelta(
                    outputIndex: payload.outputIndex, summaryIndex: payload.summaryIndex, delta: payload.delta))
        default:
            return
        }
    }

    private static func payload(from reader: inout JSONReader) throws -> Payload {
        var payload = Payload()
        try reader.readFields { key, reader in
            switch key {
            case "type": payload.type = try reader.readStringOrNull() ?? ""
            case "response":
                if try reader.readNullIfPresent() { return }
                payload.response = try OpenAIResponsesDecoder.decode(from: &reader)
            case "item":
                if try reader.readNullIfPresent() { return }
                payload.item = try OpenAIResponsesDecoder.decodeItem(from: &reader)
            case "output_index": payload.outputIndex = try reader.readTokenCount() ?? 0
            case "content_index": payload.contentIndex = try reader.readTokenCount() ?? 0
            case "summary_index": payload.summaryIndex = try reader.readTokenCount() ?? 0
            case "delta": payload.delta = try reader.readStringOrNull() ?? ""
            case "text": payload.text = try reader.readStringOrNull()
            case "arguments": payload.arguments = try reader.readStringOrNull()
            case "error":
                // Compatible servers that nest the error (`{"type":"error","error":{…}}`).
                if try reader.readNullIfPresent() { return }
                payload.error = try OpenAIChatChunk.APIError.decode(from: &reader)
            case "message": payload.error.message = try reader.readStringOrNull()
            case "code":
                if try reader.readNullIfPresent() { return }
                payload.error.code = try reader.readStringOrNumberText()
            case "param":
                if try reader.readNullIfPresent() { return }
                payload.error.param = try reader.readStringOrNumberText()
            default:
                break
            }
        }
        return payload
    }
}
