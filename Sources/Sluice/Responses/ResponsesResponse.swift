/// A reply from OpenAI's Responses API: its status, output items and usage.
///
/// ```swift
/// let reply = try await client.createResponse(request)
/// switch reply.status {
/// case .completed: print(reply.outputText)
/// case .incomplete: print("cut short:", reply.incompleteReason ?? "?")
/// default: print("status", reply.status)
/// }
/// ```
///
/// Output items Sluice does not model (web search calls, images, …) are skipped when decoding.
public struct ResponsesResponse: Sendable, Hashable {
    /// The response id (`resp_…`), for ``ResponsesRequest/previousResponseID``.
    public var id: String
    public var model: String
    public var status: ResponsesStatus
    /// Why an ``ResponsesStatus/incomplete`` response stopped (`max_output_tokens`, `content_filter`).
    public var incompleteReason: String?
    /// What went wrong for a ``ResponsesStatus/failed`` response.
    public var error: ProviderErrorDetails?
    /// The output items in order.
    public var output: [ResponsesOutputItem]
    public var usage: Usage?
    /// `created_at`, in seconds since 1970 (saturated to `Int` range).
    public var createdAt: Int?
    /// The request id from the response headers (`x-request-id`).
    public var requestID: String?
    /// The status and headers of the HTTP answer this reply was decoded from (`nil` for a reply
    /// built by hand).
    public var responseHead: HTTPResponseHead?

    public init(
        id: String = "",
        model: String = "",
        status: ResponsesStatus = .completed,
        incompleteReason: String? = nil,
        error: ProviderErrorDetails? = nil,
        output: [ResponsesOutputItem] = [],
        usage: Usage? = nil,
        createdAt: Int? = nil,
        requestID: String? = nil
    ) {
        self.id = id
        self.model = model
        self.status = status
        self.incompleteReason = incompleteReason
        self.error = error
        self.output = output
        self.usage = usage
        self.createdAt = createdAt
        self.requestID = requestID
    }

    /// The text of every `output_text` part of every message item, joined (the SDKs' `output_text`).
    public var outputText: String {
        var text = ""
        for case .message(let message) in output { text += message.text }
        return text
    }

    /// The function calls in the output, in order.
    public var functionCalls: [ResponsesFunctionCall] {
        output.compactMap { if case .functionCall(let call) = $0 { call } else { nil } }
    }

    /// The output as input items, to send back in the next turn when the conversation is not kept on
    /// the server: messages as assistant messages, function calls and reasoning items unchanged.
    public var outputAsInput: [ResponsesInputItem] {
        output.map { item in
            switch item {
            case .message(let message): .message(role: .assistant, content: [.text(message.text)])
            case .functionCall(let call): .functionCall(call)
            case .reasoning(let reasoning): .reasoning(reasoning)
            }
        }
    }

    /// The next turn's input items for a tool loop without ``ResponsesRequest/previousResponseID``:
    /// this reply's output (``outputAsInput``), then the function results.
    ///
    /// ```swift
    /// let results = reply.functionCalls.map { ResponsesFunctionCallOutput(callID: $0.callID, output: run($0)) }
    /// request.input = .items(request.input.items + reply.nextInput(results))
    /// ```
    public func nextInput(_ results: [ResponsesFunctionCallOutput]) -> [ResponsesInputItem] {
        outputAsInput + results.map { .functionCallOutput($0) }
    }
}

/// A response's `status`: an open set of values, compared by their wire text.
public struct ResponsesStatus: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let completed = ResponsesStatus("completed")
    /// The reply stopped early; see ``ResponsesResponse/incompleteReason``.
    public static let incomplete = ResponsesStatus("incomplete")
    /// The model failed; see ``ResponsesResponse/error``.
    public static let failed = ResponsesStatus("failed")
    public static let inProgress = ResponsesStatus("in_progress")
    public static let queued = ResponsesStatus("queued")
    public static let cancelled = ResponsesStatus("cancelled")
}

/// One output item of a ``ResponsesResponse``.
public enum ResponsesOutputItem: Sendable, Hashable {
    /// An assistant message with its text.
    case message(ResponsesOutputMessage)
    /// A function call: run it and send its output back.
    case functionCall(ResponsesFunctionCall)
    /// The model's reasoning: a summary (when asked for) and its encrypted state (when included).
    case reasoning(ResponsesReasoningItem)
}

/// An assistant `message` output item.
public struct ResponsesOutputMessage: Sendable, Hashable {
    public var id: String
    /// The text of each `output_text` part (a `refusal` part's text counts as a part too).
    public var parts: [String]
    /// Whether one of the parts is a refusal.
    public var refused: Bool

    public init(id: String = "", parts: [String] = [], refused: Bool = false) {
        self.id = id
        self.parts = parts
        self.refused = refused
    }

    /// The parts joined.
    public var text: String { parts.joined() }
}

/// A `function_call` item: the call's id to answer, the function name and its JSON arguments.
public struct ResponsesFunctionCall: Sendable, Hashable {
    /// The item id (`fc_…`); may be empty in an item you build.
    public var id: String
    /// The id a ``ResponsesFunctionCallOutput`` answers (`call_…`).
    public var callID: String
    public var name: String
    /// The arguments exactly as the model wrote them: JSON text, possibly invalid.
    public var arguments: String

    public init(id: String = "", callID: String, name: String, arguments: String) {
        self.id = id
        self.callID = callID
        self.name = name
        self.arguments = arguments
    }

    /// The arguments parsed; throws ``SluiceError/Code/decodingFailed`` when the model wrote invalid JSON.
    public func parsedArguments() throws -> JSONValue {
        try ToolCall(id: callID, name: name, arguments: arguments).parsedArguments()
    }
}

/// A `reasoning` item: summary texts and, when asked for with `include`, the encrypted reasoning
/// state. Pass it back unchanged.
public struct ResponsesReasoningItem: Sendable, Hashable {
    public var id: String
    /// The text of each `summary_text` part.
    public var summary: [String]
    /// `encrypted_content`, when the request included `reasoning.encrypted_content`.
    public var encryptedContent: String?

    public init(id: String, summary: [String] = [], encryptedContent: String? = nil) {
        self.id = id
        self.summary = summary
        self.encryptedContent = encryptedContent
    }
}
