import Testing

@testable import Sluice

@Suite("AnthropicAdapter replies")
struct AnthropicResponseTests {
    typealias Fixture = AnthropicFixture

    func decode(_ json: String, headers: HTTPHeaders = [:]) throws -> ChatResponse {
        try Fixture.adapter.decodeChatResponse(Array(json.utf8), headers: headers)
    }

    @Test("a text reply decodes id, model, text, stop reason, usage and the request-id header")
    func textReply() throws {
        let response = try decode(
            #"{"id":"msg_01XFD","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hello"},{"type":"text","text":", world"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":6}}"#,
            headers: ["request-id": "req_011CS"]
        )
        #expect(response.id == "msg_01XFD")
        #expect(response.model == "claude-sonnet-4-5")
        #expect(response.text == "Hello, world")
        #expect(response.toolCalls.isEmpty)
        #expect(response.finishReason == FinishReason(normalized: "stop", raw: "end_turn"))
        #expect(response.finishReason?.matches(.stop) == true)
        #expect(response.usage == Usage(inputTokens: 12, outputTokens: 6))
        #expect(response.requestID == "req_011CS")
        #expect(response.provider == .anthropic)
    }

    @Test("tool_use blocks become tool calls with the input as compact JSON; thinking blocks are kept in order")
    func toolUseReply() throws {
        let response = try decode(
            #"""
            {"id":"msg_2","model":"claude-test","content":[
              {"type":"thinking","thinking":"The user wants weather.","signature":"EqQB"},
              {"type":"text","text":"Let me check."},
              {"type":"tool_use","id":"toolu_01","name":"get_weather","input":{ "city" : "Paris", "units": ["c"] }},
              {"type":"tool_use","id":"toolu_02","name":"now","input":{}}
            ],"stop_reason":"tool_use","usage":{"input_tokens":100,"output_tokens":50}}
            """#
        )
        #expect(response.text == "Let me check.")
        #expect(
            response.toolCalls == [
                ToolCall(id: "toolu_01", name: "get_weather", arguments: #"{"city":"Paris","units":["c"]}"#),
                ToolCall(id: "toolu_02", name: "now", arguments: "{}"),
            ])
        #expect(try response.toolCalls[0].parsedArguments()["city"] == "Paris")
        #expect(response.finishReason?.matches(.toolCalls) == true)
        #expect(response.finishReason?.raw == "tool_use")
        #expect(response.thinking == [ThinkingBlock(text: "The user wants weather.", signature: "EqQB")])
        #expect(
            response.blocks == [
                .thinking(ThinkingBlock(text: "The user wants weather.", signature: "EqQB")),
                .text("Let me check."),
                .toolCall(response.toolCalls[0]),
                .toolCall(response.toolCalls[1]),
            ])
    }

    @Test(
        "blocks keep the reply's order whether or not text and tool calls alone would give it",
        arguments: [
            // Text then tool calls: what text and toolCalls derive.
            (#"[{"type":"text","text":"A"},{"type":"tool_use","id":"t1","name":"f","input":{}}]"#, "A|call t1"),
            // A tool call before the text, two text blocks, an empty one: each needs its own list.
            (#"[{"type":"tool_use","id":"t1","name":"f","input":{}},{"type":"text","text":"A"}]"#, "call t1|A"),
            (#"[{"type":"text","text":"A"},{"type":"text","text":"B"}]"#, "A|B"),
            (#"[{"type":"text","text":""},{"type":"text","text":"B"}]"#, "|B"),
            (#"[{"type":"text","text":"A"},{"type":"tool_use","id":"t1","name":"f","input":{}},{"type":"text","text":"B"}]"#,
             "A|call t1|B"),
            (#"[{"type":"text","text":"A"},{"type":"redacted_thinking","data":"x"}]"#, "A|redacted"),
            ("[]", ""),
        ]
    )
    func blockOrder(content: String, expected: String) throws {
        let response = try decode(#"{"id":"m","model":"x","content":\#(content)}"#)
        let described = response.blocks.map { block -> String in
            switch block {
            case .text(let text): text
            case .toolCall(let call): "call \(call.id)"
            case .thinking: "redacted"
            }
        }
        #expect(described.joined(separator: "|") == expected)
    }

    @Test(
        "stop reasons map to the neutral reasons and keep Anthropic's word",
        arguments: [
            ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"),
            ("refusal", "refusal"), ("pause_turn", "pause"), ("model_context_window_exceeded", "length"),
            ("something_new", "other"),
        ]
    )
    func stopReasons(raw: String, normalized: String) throws {
        let response = try decode(#"{"id":"m","model":"x","content":[],"stop_reason":"\#(raw)"}"#)
        #expect(response.finishReason == FinishReason(normalized: normalized, raw: raw))
    }

    @Test("pause_turn matches FinishReason.pause")
    func pause() throws {
        #expect(AnthropicAdapter.finishReason("pause_turn") == .pause)
    }

    @Test("input tokens count cache reads and writes too; the cache counts are kept apart")
    func cacheUsage() throws {
        let response = try decode(
            #"{"id":"m","model":"x","content":[],"stop_reason":null,"usage":{"input_tokens":100,"cache_creation_input_tokens":50,"cache_read_input_tokens":800,"output_tokens":20,"service_tier":"standard","server_tool_use":{"web_search_requests":0}}}"#
        )
        #expect(response.finishReason == nil)
        #expect(
            response.usage
                == Usage(inputTokens: 950, outputTokens: 20, cachedInputTokens: 800, cacheCreationInputTokens: 50))
        #expect(response.usage?.totalTokens == 970)
    }

    @Test("a reply without usage has nil usage")
    func noUsage() throws {
        #expect(try decode(#"{"id":"m","model":"x","content":[{"type":"text","text":"a"}]}"#).usage == nil)
    }

    @Test(
        "a malformed reply fails with decodingFailed saying what and where, with a short excerpt",
        arguments: [
            ("", "end"),
            ("<html>bad gateway</html>", "byte offset 0"),
            (#"[{"id":"m"}]"#, "expected a message object"),
            (#"{"id":"m","usage":"lots"}"#, "expected an object"),
            (#"{"id":"m","content":[{"type":"tool_use","name":"f","input":{}}]}"#, "content[0]"),
            (#"{"id":"m","content":[{"type":"text","text":"ok"}]} trailing"#, "after the JSON value"),
        ]
    )
    func malformed(body: String, mentions: String) throws {
        let error = try #require(throws: SluiceError.self) {
            try decode(body + String(repeating: " ", count: 0), headers: ["request-id": "req_9"])
        }
        #expect(error.code == .decodingFailed)
        #expect(error.message.hasPrefix("Anthropic message reply:"))
        #expect(error.message.contains(mentions))
        #expect(error.requestID == "req_9")
    }

    @Test("an excerpt in a decoding error is at most 40 bytes of a long body")
    func excerptCapped() throws {
        let long = #"{"id":"m","content":[{"type":"text","text":"\#(String(repeating: "x", count: 5000))"}],"usage":7}"#
        let error = try #require(throws: SluiceError.self) { try decode(long) }
        #expect(error.code == .decodingFailed)
        #expect(error.message.count < 200)
    }

    @Test("a 2xx body of the error shape throws the error it describes")
    func errorInSuccessBody() throws {
        let error = try #require(throws: SluiceError.self) {
            try decode(#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)
        }
        #expect(error.code == .overloaded)
        #expect(error.providerError?.type == "overloaded_error")
    }

    // MARK: Embeddings

    @Test("embeddings are unsupported, both the request and the decoding")
    func embeddingsUnsupported() throws {
        let requestError = try #require(throws: SluiceError.self) {
            try Fixture.adapter.embeddingsRequest(
                EmbeddingsRequest(model: "m", inputs: ["a"]), endpoint: Fixture.endpoint)
        }
        #expect(requestError.code == .unsupported)
        #expect(requestError.message.contains("Anthropic has no embeddings API"))
        let decodeError = try #require(throws: SluiceError.self) {
            try Fixture.adapter.decodeEmbeddingsResponse([], headers: [:])
        }
        #expect(decodeError.code == .unsupported)
    }
}
