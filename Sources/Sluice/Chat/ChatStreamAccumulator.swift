/// Folds stream events into a ``ChatResponse``: the reply so far at any point, the final one at the end.
///
/// ```swift
/// var accumulator = ChatStreamAccumulator(provider: .openAI)
/// for event in events { accumulator.apply(event) }
/// let reply = accumulator.response
/// ```
///
/// Tool-call argument fragments are concatenated per tool-call index; usage events replace the usage
/// so far (providers report it cumulatively).
public struct ChatStreamAccumulator: Sendable {
    private var id = ""
    private var model = ""
    private var text = ""
    private var toolCalls: [Int: ToolCall] = [:]
    private var finishReason: FinishReason?
    private var usage: Usage?
    /// The provider's request id, when the caller knows it (from the response headers).
    public var requestID: String?
    public let provider: Provider
    /// How many events have been applied.
    public private(set) var eventCount = 0

    public init(provider: Provider, requestID: String? = nil) {
        self.provider = provider
        self.requestID = requestID
    }

    public mutating func apply(_ event: ChatStreamEvent) {
        eventCount += 1
        switch event {
        case .started(let id, let model):
            self.id = id
            self.model = model
        case .textDelta(let delta):
            text += delta
        case .toolCallStarted(let index, let id, let name):
            var call = toolCalls[index] ?? ToolCall(id: id, name: name, arguments: "")
            if !id.isEmpty { call.id = id }
            if !name.isEmpty { call.name = name }
            toolCalls[index] = call
        case .toolCallArgumentsDelta(let index, let fragment):
            toolCalls[index, default: ToolCall(id: "", name: "", arguments: "")].arguments += fragment
        case .usage(let usage):
            self.usage = usage
        case .finished(let reason):
            finishReason = reason
        case .providerEvent:
            break
        }
    }

    /// Whether a finish event has arrived.
    public var isFinished: Bool { finishReason != nil }

    /// The reply as accumulated so far.
    public var response: ChatResponse {
        ChatResponse(
            id: id,
            model: model,
            text: text,
            toolCalls: toolCalls.sorted { $0.key < $1.key }.map(\.value),
            finishReason: finishReason,
            usage: usage,
            requestID: requestID,
            provider: provider
        )
    }
}
