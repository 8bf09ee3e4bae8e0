/// One semantic event of a streamed Responses API reply, in the order the server sent it.
///
/// A reply starts with ``created(_:)``; each output item opens with ``outputItemAdded(outputIndex:item:)``,
/// grows by ``outputTextDelta(outputIndex:contentIndex:delta:)`` or
/// ``functionCallArgumentsDelta(outputIndex:delta:)`` and closes with
/// ``outputItemDone(outputIndex:item:)``; the reply ends with ``completed(_:)`` (with usage),
/// ``incomplete(_:)`` or ``failed(_:)``. An `error` event is thrown as
/// ``SluiceError/Code/streamError``. Event types Sluice does not model are skipped.
public enum ResponsesStreamEvent: Sendable, Hashable {
    /// `response.created`: the response as it starts (no output yet).
    case created(ResponsesResponse)
    /// `response.in_progress`.
    case inProgress(ResponsesResponse)
    /// `response.output_item.added`: an item began at this output index (a function call carries its
    /// name and call id; its arguments follow).
    case outputItemAdded(outputIndex: Int, item: ResponsesOutputItem)
    /// `response.output_text.delta`: text to append to the message at this output index.
    case outputTextDelta(outputIndex: Int, contentIndex: Int, delta: String)
    /// `response.output_text.done`: the whole text of that content part.
    case outputTextDone(outputIndex: Int, contentIndex: Int, text: String)
    /// `response.function_call_arguments.delta`: a fragment of the call's JSON arguments.
    case functionCallArgumentsDelta(outputIndex: Int, delta: String)
    /// `response.function_call_arguments.done`: the whole arguments text.
    case functionCallArgumentsDone(outputIndex: Int, arguments: String)
    /// `response.reasoning_summary_text.delta`: a fragment of a reasoning summary part.
    case reasoningSummaryDelta(outputIndex: Int, summaryIndex: Int, delta: String)
    /// `response.output_item.done`: the item, complete.
    case outputItemDone(outputIndex: Int, item: ResponsesOutputItem)
    /// `response.completed`: the final response, with usage.
    case completed(ResponsesResponse)
    /// `response.incomplete`: the final response, stopped early (see ``ResponsesResponse/incompleteReason``).
    case incomplete(ResponsesResponse)
    /// `response.failed`: the final response, with its ``ResponsesResponse/error``.
    case failed(ResponsesResponse)

    /// Whether the event carries content the model generated (text, a function call or its
    /// arguments, a reasoning summary): the first is the stream's first token, and the idle timeout
    /// counts from the latest.
    public var isContent: Bool {
        switch self {
        case .outputTextDelta, .functionCallArgumentsDelta, .reasoningSummaryDelta: true
        case .outputItemAdded(_, .functionCall): true
        default: false
        }
    }

    /// The final response of a terminal event (``completed(_:)``, ``incomplete(_:)``, ``failed(_:)``).
    public var finalResponse: ResponsesResponse? {
        switch self {
        case .completed(let response), .incomplete(let response), .failed(let response): response
        default: nil
        }
    }
}

/// Decodes one streamed Responses API reply's server-sent events into typed events.
///
/// ``OpenAIAdapter/makeResponsesStreamDecoder()`` returns one; the client drives it.
public protocol ResponsesStreamDecoder {
    /// Decodes one event, calling `emit` for each typed event it holds (zero or one).
    ///
    /// Throws ``SluiceError/Code/streamError`` for an `error` event (with
    /// ``SluiceError/providerError`` filled in) and ``SluiceError/Code/decodingFailed`` for a payload
    /// that is not what the API documents.
    mutating func decode(_ event: ServerSentEvent, emit: (ResponsesStreamEvent) throws -> Void) throws

    /// Whether a terminal event (`response.completed`, `response.incomplete`, `response.failed`) arrived.
    var isComplete: Bool { get }
}
