import Testing

@testable import Sluice

/// OpenAI-compatible reasoning servers (DeepSeek, vLLM, OpenRouter) send the model's reasoning beside
/// the content: `reasoning_content` (or `reasoning`), in the message and in stream deltas.
@Suite("OpenAI-compatible reasoning content")
struct OpenAIReasoningContentTests {
    @Test("a reply's reasoning_content becomes its thinking block, first; the text and tool calls are unchanged")
    func reply() throws {
        let body = #"""
            {"id":"r1","model":"deepseek-reasoner","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant",
             "reasoning_content":"The user greets; answer briefly.","content":"Hello!"}}],
             "usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14}}
            """#
        let reply = try OpenAIAdapter().decodeChatResponse(Array(body.utf8), headers: [:])
        #expect(reply.text == "Hello!")
        #expect(reply.thinkingText == "The user greets; answer briefly.")
        #expect(reply.blocks == [.thinking(ThinkingBlock(text: "The user greets; answer briefly.", signature: nil)), .text("Hello!")])
        // The message keeps it; the OpenAI encoder leaves thinking out of what it sends.
        #expect(reply.asMessage.thinking.count == 1)
    }

    @Test("reasoning of another shape (an object), or null, is skipped, never fatal")
    func otherShapes() throws {
        for reasoning in [#"{"effort":"high"}"#, "null", "42"] {
            let body = #"{"id":"r","model":"m","choices":[{"index":0,"message":{"role":"assistant","reasoning":"#
                + reasoning + #","content":"ok"}}]}"#
            let reply = try OpenAIAdapter().decodeChatResponse(Array(body.utf8), headers: [:])
            #expect(reply.text == "ok")
            #expect(reply.thinking.isEmpty)
        }
    }

    @Test("streamed reasoning_content arrives as thinking deltas before the text, and accumulates into one block")
    func stream() throws {
        let transcript = #"""
            data: {"id":"s","model":"deepseek-reasoner","choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":"Think"}}]}

            data: {"id":"s","model":"deepseek-reasoner","choices":[{"index":0,"delta":{"reasoning_content":"ing."}}]}

            data: {"id":"s","model":"deepseek-reasoner","choices":[{"index":0,"delta":{"content":"Hi"}}]}

            data: {"id":"s","model":"deepseek-reasoner","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

            data: [DONE]


            """#
        var decoder = OpenAIAdapter().makeStreamDecoder()
        var events: [ChatStreamEvent] = []
        for event in try ServerSentEventParser.events(in: Array(transcript.utf8)) {
            try decoder.decode(event) { events.append($0) }
        }
        let thinking = events.compactMap { event -> String? in
            if case .thinkingDelta(_, let fragment) = event { fragment } else { nil }
        }
        #expect(thinking == ["Think", "ing."])
        #expect(events.filter(\.isContent).count == 3)
        var accumulator = ChatStreamAccumulator(provider: .openAI)
        for event in events { accumulator.apply(event) }
        let reply = accumulator.response
        #expect(reply.thinkingText == "Thinking.")
        #expect(reply.text == "Hi")
    }
}
