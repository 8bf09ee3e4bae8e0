/// A request to OpenAI's Responses API (`POST /v1/responses`).
///
/// Use it for what the Responses API offers over chat completions: reasoning items that carry a
/// reasoning model's state from one turn to the next, `previous_response_id` (the server keeps the
/// conversation), `instructions` apart from the input, and typed semantic stream events. Run it with
/// ``LLMClient/createResponse(_:options:)`` or ``LLMClient/streamResponse(_:options:_:)``; it goes
/// through the same layers as a chat call (rate limits, retries, timeouts, hooks, usage).
///
/// ```swift
/// var request = ResponsesRequest(model: "gpt-5-mini", input: "Write a haiku about rivers.")
/// request.instructions = "Answer in English."
/// request.maxOutputTokens = 200
/// let reply = try await client.createResponse(request)
/// print(reply.outputText)
/// ```
///
/// Only ``OpenAIAdapter`` speaks this API; other adapters throw ``SluiceError/Code/unsupported``.
public struct ResponsesRequest: Sendable, Hashable {
    public var model: String
    /// The input: a plain string, or items (messages, function calls and their outputs, reasoning).
    public var input: ResponsesInput
    /// A system (developer) message inserted before the input; not carried over by
    /// ``previousResponseID``.
    public var instructions: String?
    /// Function tools, sent in the Responses format (`{"type":"function","name":…}`, not nested as in
    /// chat completions).
    public var tools: [ToolDefinition]
    public var toolChoice: ToolChoice?
    /// Reasoning effort and summary, for reasoning models; `nil` sends nothing.
    public var reasoning: ResponsesReasoning?
    /// Continues the conversation of a stored response: its input and output come first.
    public var previousResponseID: String?
    /// Whether the server keeps the response (for ``previousResponseID``); `nil` sends nothing (the
    /// server's default, `true` on OpenAI).
    public var store: Bool?
    /// The most tokens the reply may have, reasoning included. The rate limiter reserves it.
    public var maxOutputTokens: Int?
    /// Up to 16 string pairs kept with the response.
    public var metadata: [String: String]
    public var temperature: Double?
    public var topP: Double?
    /// Whether the model may call several functions in one turn; `nil` sends nothing.
    public var parallelToolCalls: Bool?
    /// Extra output to include (`include`), such as `reasoning.encrypted_content` to pass reasoning
    /// back with `store` off.
    public var include: [String]
    /// Fields merged into the request body last, overriding what the adapter wrote.
    public var extraFields: JSONObject

    public init(
        model: String,
        input: ResponsesInput,
        instructions: String? = nil,
        tools: [ToolDefinition] = [],
        toolChoice: ToolChoice? = nil,
        reasoning: ResponsesReasoning? = nil,
        previousResponseID: String? = nil,
        store: Bool? = nil,
        maxOutputTokens: Int? = nil,
        metadata: [String: String] = [:],
        temperature: Double? = nil,
        topP: Double? = nil,
        parallelToolCalls: Bool? = nil,
        include: [String] = [],
        extraFields: JSONObject = [:]
    ) {
        self.model = model
        self.input = input
        self.instructions = instructions
        self.tools = tools
        self.toolChoice = toolChoice
        self.reasoning = reasoning
        self.previousResponseID = previousResponseID
        self.store = store
        self.maxOutputTokens = maxOutputTokens
        self.metadata = metadata
        self.temperature = temperature
        self.topP = topP
        self.parallelToolCalls = parallelToolCalls
        self.include = include
        self.extraFields = extraFields
    }
}

/// The input of a ``ResponsesRequest``: a string (one user message) or a list of items.
///
/// Both literals work: `"Hello"` and `[.user("Hello"), .functionCallOutput(callID: id, output: "18°C")]`.
public enum ResponsesInput: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
    case text(String)
    case items([ResponsesInputItem])

    public init(stringLiteral value: String) { self = .text(value) }
    public init(arrayLiteral elements: ResponsesInputItem...) { self = .items(elements) }

    /// The input as items: a string becomes one user message.
    public var items: [ResponsesInputItem] {
        switch self {
        case .text(let text): [.user(text)]
        case .items(let items): items
        }
    }
}

/// One input item of a ``ResponsesRequest``.
///
/// Build a tool loop's next turn from a reply with ``ResponsesResponse/nextInput(_:)``: the reply's
/// reasoning and function calls, then one ``functionCallOutput(_:)`` per call.
public enum ResponsesInputItem: Sendable, Hashable {
    /// A message: `user`, `system`, `developer`, or `assistant` (earlier output passed back).
    case message(role: ChatMessage.Role, content: [ContentPart])
    /// A function call the model made earlier, passed back with its output.
    case functionCall(ResponsesFunctionCall)
    /// The result of a function call, by the call's ``ResponsesFunctionCall/callID``.
    case functionCallOutput(ResponsesFunctionCallOutput)
    /// A reasoning item of an earlier reply, passed back unchanged (reasoning models need it beside
    /// their function calls when the conversation is not kept with ``ResponsesRequest/previousResponseID``).
    case reasoning(ResponsesReasoningItem)
    /// Any other item, sent as it is (escape hatch for item types Sluice does not model).
    case raw(JSONValue)

    /// A user message with one text part.
    public static func user(_ text: String) -> ResponsesInputItem { .message(role: .user, content: [.text(text)]) }
    /// A developer message (the Responses API's system role).
    public static func developer(_ text: String) -> ResponsesInputItem {
        .message(role: ChatMessage.Role("developer"), content: [.text(text)])
    }
    /// An assistant message (earlier output text passed back).
    public static func assistant(_ text: String) -> ResponsesInputItem {
        .message(role: .assistant, content: [.text(text)])
    }
    /// The output of the function call `callID`.
    public static func functionCallOutput(callID: String, output: String) -> ResponsesInputItem {
        .functionCallOutput(ResponsesFunctionCallOutput(callID: callID, output: output))
    }
}

/// A function call's result, sent back as a `function_call_output` item.
public struct ResponsesFunctionCallOutput: Sendable, Hashable {
    /// The ``ResponsesFunctionCall/callID`` of the call answered.
    public var callID: String
    /// The result text (often JSON).
    public var output: String

    public init(callID: String, output: String) {
        self.callID = callID
        self.output = output
    }
}

/// Reasoning settings (`reasoning`): how hard the model thinks, and whether it summarises its
/// reasoning.
public struct ResponsesReasoning: Sendable, Hashable {
    public var effort: ReasoningEffort?
    /// `auto`, `concise` or `detailed`; `nil` sends none (no summary).
    public var summary: String?

    public init(effort: ReasoningEffort? = nil, summary: String? = nil) {
        self.effort = effort
        self.summary = summary
    }
}
