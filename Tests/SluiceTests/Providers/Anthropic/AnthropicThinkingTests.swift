import Testing

@testable import Sluice

@Suite("Anthropic extended thinking")
struct AnthropicThinkingTests {
    typealias Fixture = AnthropicFixture

    static let signedThinking = ThinkingBlock(text: "The user wants weather.", signature: "EqQBCkgIARABGAIiQL")

    func decode(_ json: String) throws -> ChatResponse {
        try Fixture.adapter.decodeChatResponse(Array(json.utf8), headers: [:])
    }

    // MARK: Requests

    @Test("thinking is sent as enabled with its budget, adaptive or disabled")
    func thinkingSetting() throws {
        var request = ChatRequest(model: "claude-test", messages: [.user("Hi")], maxOutputTokens: 16_000)
        request.thinking = .enabled(budgetTokens: 10_000)
        #expect(try Fixture.body(request)["thinking"] == ["type": "enabled", "budget_tokens": 10_000])
        #expect(try Fixture.body(request)["max_tokens"] == 16_000)
        request.thinking = .adaptive
        #expect(try Fixture.body(request)["thinking"] == ["type": "adaptive"])
        request.thinking = ThinkingConfiguration(mode: .adaptive, budgetTokens: 5_000)
        #expect(try Fixture.body(request)["thinking"] == ["type": "adaptive"])
        request.thinking = .disabled
        #expect(try Fixture.body(request)["thinking"] == ["type": "disabled"])
        request.thinking = nil
        #expect(try Fixture.body(request)["thinking"] == nil)
    }

    @Test("without maxOutputTokens, max_tokens is the default plus the thinking budget")
    func maxTokensIncludesBudget() throws {
        var request = ChatRequest(model: "claude-test", messages: [.user("Hi")])
        request.thinking = .enabled(budgetTokens: 8_000)
        #expect(try Fixture.body(request)["max_tokens"] == .number(JSONNumber(4_096 + 8_000)))
        request.thinking = .enabled(budgetTokens: .max)
        #expect(try Fixture.body(request)["max_tokens"] == .number(JSONNumber(Int.max)))
    }

    @Test("a thinking budget below 1 is refused before sending", arguments: [0, -5, Int.min])
    func badBudget(budget: Int) {
        var request = ChatRequest(model: "claude-test", messages: [.user("Hi")], maxOutputTokens: 100)
        request.thinking = .enabled(budgetTokens: budget)
        #expect {
            try Fixture.body(request)
        } throws: { error in
            (error as? SluiceError)?.code == .invalidRequest
        }
    }

    @Test("the rate-limit estimate reserves the thinking budget when no max_tokens is set")
    func estimateReservesBudget() {
        var request = ChatRequest(model: "claude-test", messages: [.user("Hi")])
        request.thinking = .enabled(budgetTokens: 2_000)
        let configuration = LLMClient.Configuration.openAI(apiKey: "sk-test")
        let operation = ChatOperation(request: request)
        #expect(operation.tokenEstimate(configuration).maxOutput == configuration.assumedMaxOutputTokens + 2_000)
        request.maxOutputTokens = 3_000
        #expect(ChatOperation(request: request).tokenEstimate(configuration).maxOutput == 3_000)
    }

    @Test("an assistant turn sends its thinking blocks first and unmodified, then text and tool use")
    func thinkingGoesBackFirst() throws {
        let call = ToolCall(id: "toolu_01", name: "get_weather", arguments: #"{"city":"Paris"}"#)
        let messages = try Fixture.messages([
            .user("Weather in Paris?"),
            .assistant(
                "Let me check.", toolCalls: [call], thinking: [Self.signedThinking, .redacted(data: "EmwKAhgB")]),
            .tool(callID: "toolu_01", "18 C"),
        ])
        let expected = try JSONValue(
            parsing: #"""
                [{"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]},
                 {"role":"assistant","content":[
                   {"type":"thinking","thinking":"The user wants weather.","signature":"EqQBCkgIARABGAIiQL"},
                   {"type":"redacted_thinking","data":"EmwKAhgB"},
                   {"type":"text","text":"Let me check."},
                   {"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"city":"Paris"}}]},
                 {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01","content":"18 C"}]}]
                """#)
        #expect(messages == expected)
    }

    @Test("a thinking block without a signature is sent without one; thinking on a user message is not sent")
    func unsignedAndMisplaced() throws {
        let unsigned = ThinkingBlock(text: "hmm", signature: nil)
        let messages = try Fixture.messages([
            ChatMessage(role: .user, content: [.text("Hi")], thinking: [unsigned]),
            .assistant("", toolCalls: [], thinking: [unsigned]),
        ])
        #expect(messages?[0]?["content"] == [["type": "text", "text": "Hi"]])
        #expect(messages?[1]?["content"] == [["type": "thinking", "thinking": "hmm"]])
    }

    @Test("the OpenAI adapter sends reasoning_effort and drops thinking blocks")
    func openAI() throws {
        var request = ChatRequest(
            model: "o4-mini",
            messages: [.user("Hi"), .assistant("Hello", thinking: [Self.signedThinking])],
            reasoningEffort: .low)
        request.thinking = .enabled(budgetTokens: 1_024)
        let built = try OpenAIAdapter().chatRequest(request, stream: false, endpoint: Fixture.endpoint)
        let body = try JSONValue(parsing: try #require(built.body))
        #expect(body["reasoning_effort"] == "low")
        #expect(body["thinking"] == nil)
        #expect(body["messages"]?[1] == ["role": "assistant", "content": "Hello"])
        #expect(ReasoningEffort.minimal.rawValue == "minimal")
        #expect(ReasoningEffort.high.description == "high")
    }

    // MARK: Replies

    @Test("a reply's thinking, redacted thinking, text and tool use come back as ordered blocks")
    func replyBlocks() throws {
        let reply = try decode(
            #"""
            {"id":"msg_1","model":"claude-test","content":[
              {"type":"thinking","thinking":"The user wants weather.","signature":"EqQBCkgIARABGAIiQL"},
              {"type":"redacted_thinking","data":"EmwKAhgB"},
              {"type":"text","text":"Checking."},
              {"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"city":"Paris"}},
              {"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}
            ],"stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":90}}
            """#)
        let call = ToolCall(id: "toolu_01", name: "get_weather", arguments: #"{"city":"Paris"}"#)
        #expect(
            reply.blocks == [
                .thinking(Self.signedThinking), .thinking(.redacted(data: "EmwKAhgB")), .text("Checking."),
                .toolCall(call),
            ])
        #expect(reply.text == "Checking.")
        #expect(reply.toolCalls == [call])
        #expect(reply.thinkingText == "The user wants weather.")
        #expect(reply.thinking.map(\.isRedacted) == [false, true])
        let message = reply.asMessage
        #expect(message.role == .assistant)
        #expect(message.thinking == [Self.signedThinking, .redacted(data: "EmwKAhgB")])
        #expect(message.toolCalls == [call])
        #expect(message.text == "Checking.")
    }

    @Test("a thinking block without a signature is kept with a nil signature")
    func unsignedReply() throws {
        let reply = try decode(
            #"{"content":[{"type":"thinking","thinking":"hmm"},{"type":"text","text":"Hi"}],"stop_reason":"end_turn"}"#)
        #expect(reply.thinking == [ThinkingBlock(text: "hmm", signature: nil)])
    }

    @Test(
        "a malformed thinking block is a typed decoding error",
        arguments: [
            #"{"content":[{"type":"thinking","signature":"abc"}]}"#,
            #"{"content":[{"type":"thinking","thinking":42,"signature":"abc"}]}"#,
            #"{"content":[{"type":"thinking","thinking":"x","signature":["abc"]}]}"#,
            #"{"content":[{"type":"redacted_thinking"}]}"#,
            #"{"content":[{"type":"redacted_thinking","data":{"a":1}}]}"#,
        ]
    )
    func malformedReply(json: String) {
        #expect {
            try decode(json)
        } throws: { error in
            (error as? SluiceError)?.code == .decodingFailed
        }
    }

    @Test("other block types may use the thinking keys for other values: they are skipped, not fatal")
    func otherBlocksKeepTheirKeys() throws {
        let reply = try decode(
            #"{"content":[{"type":"future_block","data":{"a":1},"signature":7,"thinking":[1]},{"type":"text","text":"Hi"}]}"#
        )
        #expect(reply.blocks == [.text("Hi")])
        let start = #"{"type":"content_block_start","index":0,"content_block":{"type":"future_block","data":{"a":1}}}"#
        let delta = #"{"type":"content_block_delta","index":0,"delta":{"type":"future_delta","thinking":{}}}"#
        let run = Fixture.run(Fixture.event("content_block_start", start) + Fixture.event("content_block_delta", delta))
        #expect(run.error == nil)
        #expect(run.events.count == 2)
    }

    @Test("a huge thinking block decodes and goes back whole")
    func hugeThinking() throws {
        let text = String(repeating: "think ", count: 200_000)
        let reply = try decode(
            #"{"content":[{"type":"thinking","thinking":"\#(text)","signature":"sig"}],"stop_reason":"end_turn"}"#)
        #expect(reply.thinkingText.utf8.count == text.utf8.count)
        let messages = try Fixture.messages([.user("Hi"), reply.asMessage])
        #expect(messages?[1]?["content"]?[0]?["thinking"] == .string(text))
    }

    // MARK: Streams

    static let thinkingTranscript = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_t","model":"claude-test","usage":{"input_tokens":20,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user "}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"wants weather."}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCkgIARABGAIiQL"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"EmwKAhgB"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":1}

        event: content_block_start
        data: {"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"Checking."}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":2}

        event: content_block_start
        data: {"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\":\\"Paris\\"}"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":3}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":90}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    @Test("a streamed reply with thinking gives thinking events and accumulates the same blocks as a plain one")
    func streamedThinking() throws {
        let run = Fixture.run(Self.thinkingTranscript)
        #expect(run.error == nil)
        #expect(run.isComplete)
        #expect(
            Array(run.events[2..<7]) == [
                .thinkingDelta(index: 0, fragment: ""),
                .thinkingDelta(index: 0, fragment: "The user "),
                .thinkingDelta(index: 0, fragment: "wants weather."),
                .thinkingSignatureDelta(index: 0, fragment: "EqQBCkgIARABGAIiQL"),
                .redactedThinking(index: 1, data: "EmwKAhgB"),
            ])
        var accumulator = ChatStreamAccumulator(provider: .anthropic)
        for event in run.events { accumulator.apply(event) }
        let reply = accumulator.response
        let call = ToolCall(id: "toolu_01", name: "get_weather", arguments: #"{"city":"Paris"}"#)
        #expect(
            reply.blocks == [
                .thinking(Self.signedThinking), .thinking(.redacted(data: "EmwKAhgB")), .text("Checking."),
                .toolCall(call),
            ])
        #expect(reply.asMessage.thinking == [Self.signedThinking, .redacted(data: "EmwKAhgB")])
    }

    @Test("the stream decodes the same when the bytes arrive in small pieces", arguments: [1, 13])
    func chunked(size: Int) {
        #expect(
            Fixture.run(Self.thinkingTranscript, chunkSize: size).events == Fixture.run(Self.thinkingTranscript).events)
    }

    @Test(
        "a malformed thinking event is a typed decoding error",
        arguments: [
            #"{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking"}}"#,
            #"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":7}}"#,
            #"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","signature":{}}}"#,
        ]
    )
    func malformedStart(data: String) {
        let run = Fixture.run(Fixture.event("content_block_start", data))
        #expect((run.error as? SluiceError)?.code == .decodingFailed)
    }

    @Test("a thinking delta of a bad type is a typed error; one for a block that is not thinking passes on")
    func deltasElsewhere() throws {
        let textStart = #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#
        let stray = #"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"x"}}"#
        let run = Fixture.run(
            Fixture.event("content_block_start", textStart) + Fixture.event("content_block_delta", stray))
        #expect(run.error == nil)
        #expect(run.events == [.providerEvent(name: "content_block_delta", data: try JSONValue(parsing: stray))])
        let thinkingStart =
            #"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#
        let bad = #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":[1]}}"#
        let badRun = Fixture.run(
            Fixture.event("content_block_start", thinkingStart) + Fixture.event("content_block_delta", bad))
        #expect((badRun.error as? SluiceError)?.code == .decodingFailed)
    }

    @Test("a thinking stream cut at any byte gives events so far or a typed error, never a trap")
    func cutAnywhere() {
        let bytes = Array(Self.thinkingTranscript.utf8)
        for end in 0..<bytes.count {
            let run = Fixture.run(String(decoding: bytes[..<end], as: UTF8.self))
            if let error = run.error { #expect(error is SluiceError) }
            var accumulator = ChatStreamAccumulator(provider: .anthropic)
            for event in run.events { accumulator.apply(event) }
            #expect(accumulator.response.blocks.count <= 4)
        }
    }

    @Test("a thinking reply cut at any byte is a typed decoding error, never a trap")
    func replyCutAnywhere() {
        let reply = Array(
            #"{"content":[{"type":"thinking","thinking":"a\u00e9b","signature":"EqQB"},{"type":"redacted_thinking","data":"Em"}]}"#
                .utf8)
        for end in 0..<reply.count {
            #expect(throws: SluiceError.self) {
                try Fixture.adapter.decodeChatResponse(Array(reply[..<end]), headers: [:])
            }
        }
    }

    @Test("a stream cut before the signature keeps the thinking block with a nil signature")
    func cutBeforeSignature() {
        var accumulator = ChatStreamAccumulator(provider: .anthropic)
        accumulator.apply(.thinkingDelta(index: 0, fragment: "half a tho"))
        #expect(accumulator.response.thinking == [ThinkingBlock(text: "half a tho", signature: nil)])
    }
}
