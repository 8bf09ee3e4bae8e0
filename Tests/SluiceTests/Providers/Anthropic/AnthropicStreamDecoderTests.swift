import Testing

@testable import Sluice

@Suite("AnthropicStreamDecoder")
struct AnthropicStreamDecoderTests {
    typealias Fixture = AnthropicFixture

    /// A text reply as Anthropic streams it, with a ping and cache usage.
    static let textTranscript = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1nZ","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":10,"cache_read_input_tokens":100,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: ping
        data: {"type": "ping"}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"! How can I help?"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    static let textEvents: [ChatStreamEvent] = [
        .started(id: "msg_1nZ", model: "claude-sonnet-4-5"),
        .usage(Usage(inputTokens: 135, outputTokens: 1, cachedInputTokens: 100, cacheCreationInputTokens: 10)),
        .providerEvent(name: "ping", data: ["type": "ping"]),
        .textDelta("Hello"),
        .textDelta("! How can I help?"),
        .usage(Usage(inputTokens: 135, outputTokens: 15, cachedInputTokens: 100, cacheCreationInputTokens: 10)),
        .finished(FinishReason(normalized: "stop", raw: "end_turn")),
    ]

    @Test("a text stream gives started, usage, ping, text deltas, cumulative usage and finished, then completes")
    func textStream() throws {
        let run = Fixture.run(Self.textTranscript)
        #expect(run.error == nil)
        #expect(run.events == Self.textEvents)
        #expect(run.isComplete)
    }

    @Test("the stream decodes the same when the bytes arrive in small pieces", arguments: [1, 7, 64])
    func chunked(size: Int) {
        let run = Fixture.run(Self.textTranscript, chunkSize: size)
        #expect(run.error == nil)
        #expect(run.events == Self.textEvents)
        #expect(run.isComplete)
    }

    /// Text, then two tool calls with their input in fragments.
    static let toolTranscript = [
        Fixture.event(
            "message_start",
            #"{"type":"message_start","message":{"id":"msg_t","model":"claude-test","content":[],"usage":{"input_tokens":472,"output_tokens":2}}}"#
        ),
        Fixture.event(
            "content_block_start",
            #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
        Fixture.event(
            "content_block_delta",
            #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay, checking."}}"#),
        Fixture.event("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
        Fixture.event(
            "content_block_start",
            #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{}}}"#
        ),
        Fixture.event(
            "content_block_delta",
            #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}"#),
        Fixture.event(
            "content_block_delta",
            #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"San Fra"}}"#
        ),
        Fixture.event(
            "content_block_delta",
            #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ncisco, CA\"}"}}"#
        ),
        Fixture.event("content_block_stop", #"{"type":"content_block_stop","index":1}"#),
        Fixture.event(
            "content_block_start",
            #"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_02","name":"get_time","input":{}}}"#
        ),
        Fixture.event(
            "content_block_delta",
            #"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{}"}}"#),
        Fixture.event("content_block_stop", #"{"type":"content_block_stop","index":2}"#),
        Fixture.event(
            "message_delta",
            #"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}"#
        ),
        Fixture.event("message_stop", #"{"type":"message_stop"}"#),
    ].joined()

    @Test("tool_use blocks give tool calls numbered among tool calls, with input_json_delta fragments")
    func toolStream() throws {
        let run = Fixture.run(Self.toolTranscript)
        #expect(run.error == nil)
        #expect(
            run.events == [
                .started(id: "msg_t", model: "claude-test"),
                .usage(Usage(inputTokens: 472, outputTokens: 2)),
                .textDelta("Okay, checking."),
                .toolCallStarted(index: 0, id: "toolu_01", name: "get_weather"),
                .toolCallArgumentsDelta(index: 0, fragment: #"{"location": "San Fra"#),
                .toolCallArgumentsDelta(index: 0, fragment: #"ncisco, CA"}"#),
                .toolCallStarted(index: 1, id: "toolu_02", name: "get_time"),
                .toolCallArgumentsDelta(index: 1, fragment: "{}"),
                .usage(Usage(inputTokens: 472, outputTokens: 89)),
                .finished(FinishReason(normalized: "tool_calls", raw: "tool_use")),
            ])
        #expect(run.isComplete)
        let arguments = run.events.compactMap { event -> String? in
            if case .toolCallArgumentsDelta(index: 0, fragment: let fragment) = event { fragment } else { nil }
        }.joined()
        #expect(try JSONValue(parsing: arguments) == ["location": "San Francisco, CA"])
    }

    @Test("a thinking block's text and signature deltas become thinking events; its stop is not passed on")
    func thinking() throws {
        let start = #"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#
        let thinking =
            #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me"}}"#
        let signature =
            #"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}"#
        let stop = #"{"type":"content_block_stop","index":0}"#
        let run = Fixture.run(
            Fixture.event("content_block_start", start) + Fixture.event("content_block_delta", thinking)
                + Fixture.event("content_block_delta", signature) + Fixture.event("content_block_stop", stop))
        #expect(run.error == nil)
        #expect(
            run.events == [
                .thinkingDelta(index: 0, fragment: ""),
                .thinkingDelta(index: 0, fragment: "Let me"),
                .thinkingSignatureDelta(index: 0, fragment: "EqQB"),
            ])
        #expect(run.events.allSatisfy { $0.isContent })
        #expect(!run.isComplete)
    }

    @Test("message_delta usage that repeats the input counts replaces those of message_start")
    func deltaUsageWithInput() {
        let run = Fixture.run(
            Fixture.event(
                "message_start",
                #"{"type":"message_start","message":{"id":"m","model":"x","usage":{"input_tokens":10,"output_tokens":1}}}"#
            )
                + Fixture.event(
                    "message_delta",
                    #"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"input_tokens":12,"cache_read_input_tokens":3,"output_tokens":4096}}"#
                ))
        #expect(
            run.events.suffix(2) == [
                .usage(Usage(inputTokens: 15, outputTokens: 4096, cachedInputTokens: 3)),
                .finished(FinishReason(normalized: "length", raw: "max_tokens")),
            ])
    }

    @Test("an error event mid-stream throws streamError with the provider's type, after what came before")
    func errorEvent() throws {
        let transcript =
            Fixture.event(
                "message_start",
                #"{"type":"message_start","message":{"id":"m","model":"x","usage":{"input_tokens":5}}}"#)
            + Fixture.event(
                "content_block_delta",
                #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#)
            + Fixture.event(
                "error", #"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#)
            + Fixture.event("content_block_delta", "never decoded")
        let run = Fixture.run(transcript)
        #expect(run.events == [.started(id: "m", model: "x"), .usage(Usage(inputTokens: 5)), .textDelta("Hi")])
        let error = try #require(run.error as? SluiceError)
        #expect(error.code == .streamError)
        #expect(error.providerError == ProviderErrorDetails(type: "overloaded_error", message: "Overloaded"))
        #expect(error.message == "Anthropic sent an error at event 3 of the stream: overloaded_error: Overloaded")
        #expect(!run.isComplete)
    }

    @Test("an unknown event type passes through as a provider event and never fails the stream")
    func unknownEvent() {
        let run = Fixture.run(
            Fixture.event("content_block_citation", #"{"type":"content_block_citation","x":[1,2]}"#)
                + Fixture.event("future_event", "not json at all")
                + Fixture.event("message_stop", #"{"type":"message_stop"}"#))
        #expect(run.error == nil)
        #expect(
            run.events == [
                .providerEvent(name: "content_block_citation", data: ["type": "content_block_citation", "x": [1, 2]]),
                .providerEvent(name: "future_event", data: "not json at all"),
            ])
        #expect(run.isComplete)
    }

    @Test("an event without an event name is dispatched on its payload's type")
    func payloadTypeFallback() {
        let run = Fixture.run(
            Fixture.event(nil, #"{"index":0,"delta":{"type":"text_delta","text":"x"},"type":"content_block_delta"}"#)
                + Fixture.event(nil, #"{"type":"message_stop"}"#) + Fixture.event(nil, #"{"hello":1}"#))
        #expect(run.error == nil)
        #expect(run.events == [.textDelta("x"), .providerEvent(name: "message", data: ["hello": 1])])
        #expect(run.isComplete)
    }

    @Test(
        "a known event with malformed JSON or a missing field fails with decodingFailed naming the event",
        arguments: [
            (
                "content_block_delta",
                #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"#, "unterminated"
            ),
            (
                "content_block_delta", #"{"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}}"#,
                "without an index"
            ),
            (
                "content_block_start",
                #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","input":{}}}"#,
                "without an id"
            ),
            ("message_start", #"{"type":"message_start"}"#, "without a message"),
            ("message_delta", #"{"type":"message_delta","usage":{"output_tokens":12"#, "end"),
            ("ping", "", "end"),
        ]
    )
    func malformed(name: String, data: String, mentions: String) throws {
        let transcript = Fixture.event("ping", #"{"type":"ping"}"#) + Fixture.event(name, data)
        let run = Fixture.run(transcript)
        let error = try #require(run.error as? SluiceError)
        #expect(error.code == .decodingFailed)
        #expect(error.message.hasPrefix("Anthropic stream event 2 (\(name)):"))
        #expect(error.message.contains(mentions))
        #expect(error.message.count < 300)
    }

    @Test("the decoder is not complete before message_stop")
    func incomplete() {
        let run = Fixture.run(
            Fixture.event(
                "message_delta",
                #"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}"#))
        #expect(run.error == nil)
        #expect(!run.isComplete)
        #expect(
            run.events == [
                .usage(Usage(outputTokens: 3)), .finished(FinishReason(normalized: "stop", raw: "end_turn")),
            ])
    }
}
