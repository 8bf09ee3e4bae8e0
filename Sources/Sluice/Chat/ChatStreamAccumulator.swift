/// Folds stream events into a ``ChatResponse``: the reply so far at any point, the final one at the end.
///
/// ```swift
/// var accumulator = ChatStreamAccumulator(provider: .openAI)
/// for event in events { accumulator.apply(event) }
/// let reply = accumulator.response
/// ```
///
/// Tool-call argument fragments are concatenated per tool-call index, thinking text and signature
/// fragments per thinking index; usage events replace the usage so far (providers report it
/// cumulatively). ``ChatResponse/blocks`` keeps the order in which blocks first appeared: text that
/// follows a thinking block or a tool call starts a new text block.
public struct ChatStreamAccumulator: Sendable {
    private var id = ""
    private var model = ""
    private var text = ""
    private var toolCalls: [Int: ToolCall] = [:]
    private var thinking: [Int: ThinkingBlock] = [:]
    /// The blocks in order of first appearance; a text block holds where it starts in `text`.
    private var order: [Slot] = []
    private var finishReason: FinishReason?
    private var usage: Usage?
    /// The provider's request id, when the caller knows it (from the response headers).
    public var requestID: String?
    /// The status and headers of the answer the stream is read from, when the caller knows them.
    public var responseHead: HTTPResponseHead?
    public let provider: Provider
    /// How many events have been applied.
    public private(set) var eventCount = 0

    /// A block of the reply, by where its content is kept.
    private enum Slot: Sendable {
        /// Text from this UTF-8 offset of `text` to the next text slot's.
        case text(utf8Offset: Int)
        case thinking(Int)
        case toolCall(Int)
    }

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
            if case .text? = order.last {} else { order.append(.text(utf8Offset: text.utf8.count)) }
            text += delta
        case .toolCallStarted(let index, let id, let name):
            if toolCalls[index] == nil { order.append(.toolCall(index)) }
            var call = toolCalls[index] ?? ToolCall(id: id, name: name, arguments: "")
            if !id.isEmpty { call.id = id }
            if !name.isEmpty { call.name = name }
            toolCalls[index] = call
        case .toolCallArgumentsDelta(let index, let fragment):
            if toolCalls[index] == nil { order.append(.toolCall(index)) }
            toolCalls[index, default: ToolCall(id: "", name: "", arguments: "")].arguments += fragment
        case .thinkingDelta(let index, let fragment):
            if thinking[index] == nil { order.append(.thinking(index)) }
            thinking[index, default: ThinkingBlock(text: "", signature: nil)].text += fragment
        case .thinkingSignatureDelta(let index, let fragment):
            if thinking[index] == nil { order.append(.thinking(index)) }
            var block = thinking[index] ?? ThinkingBlock(text: "", signature: nil)
            block.signature = (block.signature ?? "") + fragment
            thinking[index] = block
        case .redactedThinking(let index, let data):
            if thinking[index] == nil { order.append(.thinking(index)) }
            thinking[index] = .redacted(data: data)
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
            provider: provider,
            blocks: blocks,
            responseHead: responseHead
        )
    }

    /// The blocks in order; text slots cut `text` at their offsets.
    private var blocks: [ReplyBlock] {
        let textStarts = order.compactMap { if case .text(let offset) = $0 { offset } else { nil } }
        var nextText = 0
        var blocks: [ReplyBlock] = []
        blocks.reserveCapacity(order.count)
        let utf8 = text.utf8
        for slot in order {
            switch slot {
            case .text(let start):
                nextText += 1
                let end = nextText < textStarts.count ? textStarts[nextText] : utf8.count
                let from = utf8.index(utf8.startIndex, offsetBy: start)
                let to = utf8.index(utf8.startIndex, offsetBy: end)
                if from < to { blocks.append(.text(String(decoding: utf8[from..<to], as: UTF8.self))) }
            case .thinking(let index):
                if let block = thinking[index] { blocks.append(.thinking(block)) }
            case .toolCall(let index):
                if let call = toolCalls[index] { blocks.append(.toolCall(call)) }
            }
        }
        return blocks
    }
}
