import Sluice
import Testing

@Suite("ChatStreamAccumulator")
struct ChatStreamAccumulatorTests {
    @Test("text deltas, tool-call fragments by index, usage and finish reason fold into one reply")
    func foldsEverything() {
        var accumulator = ChatStreamAccumulator(provider: .openAI, requestID: "req_9")
        let events: [ChatStreamEvent] = [
            .started(id: "chatcmpl-1", model: "gpt-4o-mini"),
            .textDelta("Checking "),
            .toolCallStarted(index: 1, id: "call_b", name: "get_time"),
            .toolCallStarted(index: 0, id: "call_a", name: "get_weather"),
            .toolCallArgumentsDelta(index: 0, fragment: #"{"city":"#),
            .toolCallArgumentsDelta(index: 1, fragment: #"{}"#),
            .toolCallArgumentsDelta(index: 0, fragment: #""Oslo"}"#),
            .textDelta("now."),
            .usage(Usage(inputTokens: 10, outputTokens: 1)),
            .providerEvent(name: "ping", data: [:]),
            .usage(Usage(inputTokens: 10, outputTokens: 7)),
            .finished(.toolCalls),
        ]
        for event in events { accumulator.apply(event) }
        let reply = accumulator.response
        #expect(reply.id == "chatcmpl-1")
        #expect(reply.model == "gpt-4o-mini")
        #expect(reply.text == "Checking now.")
        #expect(reply.toolCalls == [
            ToolCall(id: "call_a", name: "get_weather", arguments: #"{"city":"Oslo"}"#),
            ToolCall(id: "call_b", name: "get_time", arguments: "{}"),
        ])
        #expect(reply.usage == Usage(inputTokens: 10, outputTokens: 7))
        #expect(reply.finishReason == .toolCalls)
        #expect(reply.requestID == "req_9")
        #expect(accumulator.isFinished)
    }

    @Test("the snapshot mid-stream is the reply so far, without a finish reason")
    func snapshotSoFar() {
        var accumulator = ChatStreamAccumulator(provider: .anthropic)
        accumulator.apply(.textDelta("Hel"))
        accumulator.apply(.textDelta("lo"))
        #expect(accumulator.response.text == "Hello")
        #expect(accumulator.response.finishReason == nil)
        #expect(!accumulator.isFinished)
    }
}
