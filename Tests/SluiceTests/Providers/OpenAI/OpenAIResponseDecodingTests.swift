import Testing

@testable import Sluice

@Suite("OpenAIAdapter response decoding")
struct OpenAIResponseDecodingTests {
    let adapter = OpenAIAdapter()

    func decode(_ json: String, headers: HTTPHeaders = [:]) throws -> ChatResponse {
        try adapter.decodeChatResponse(Array(json.utf8), headers: headers)
    }

    @Test("a text completion gives id, model, text, finish reason, usage and the x-request-id")
    func text() throws {
        let response = try decode(
            #"""
            {
              "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
              "object": "chat.completion",
              "created": 1741569952,
              "model": "gpt-4.1-2025-04-14",
              "choices": [
                {
                  "index": 0,
                  "message": {
                    "role": "assistant",
                    "content": "Hello! How can I assist you today?",
                    "refusal": null,
                    "annotations": []
                  },
                  "logprobs": null,
                  "finish_reason": "stop"
                }
              ],
              "usage": {
                "prompt_tokens": 19,
                "completion_tokens": 10,
                "total_tokens": 29,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {
                  "reasoning_tokens": 0, "audio_tokens": 0,
                  "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0
                }
              },
              "service_tier": "default",
              "system_fingerprint": "fp_50cad350e4"
            }
            """#,
            headers: ["x-request-id": "req_abc123"])
        #expect(response.id == "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT")
        #expect(response.model == "gpt-4.1-2025-04-14")
        #expect(response.text == "Hello! How can I assist you today?")
        #expect(response.toolCalls.isEmpty)
        #expect(response.finishReason == .stop)
        #expect(
            response.usage
                == Usage(inputTokens: 19, outputTokens: 10, cachedInputTokens: 0, reasoningTokens: 0))
        #expect(response.requestID == "req_abc123")
        #expect(response.provider == .openAI)
    }

    @Test("tool calls decode with id, name and arguments text, finish reason tool_calls, content null")
    func toolCalls() throws {
        let response = try decode(
            #"""
            {"id": "chatcmpl-abc", "object": "chat.completion", "created": 1699896916, "model": "gpt-4o-mini",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_abc123", "type": "function",
                 "function": {"name": "get_current_weather", "arguments": "{\n\"location\": \"Boston, MA\"\n}"}},
                {"id": "call_def456", "type": "function",
                 "function": {"name": "get_time", "arguments": "{}"}}]},
              "logprobs": null, "finish_reason": "tool_calls"}],
             "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99}}
            """#)
        #expect(response.text == "")
        #expect(
            response.toolCalls == [
                ToolCall(
                    id: "call_abc123", name: "get_current_weather", arguments: "{\n\"location\": \"Boston, MA\"\n}"),
                ToolCall(id: "call_def456", name: "get_time", arguments: "{}"),
            ])
        #expect(try response.toolCalls[0].parsedArguments() == ["location": "Boston, MA"])
        #expect(response.finishReason == .toolCalls)
        #expect(response.usage == Usage(inputTokens: 82, outputTokens: 17))
    }

    @Test("a refusal is the reply's text and normalises the finish reason to refusal")
    func refusal() throws {
        let response = try decode(
            #"""
            {"id": "chatcmpl-r", "object": "chat.completion", "model": "gpt-4o-2024-08-06",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": null,
               "refusal": "I'm sorry, I can't help with that request."}, "finish_reason": "stop"}]}
            """#)
        #expect(response.text == "I'm sorry, I can't help with that request.")
        #expect(response.finishReason?.matches(.refusal) == true)
        #expect(response.finishReason?.raw == "stop")
        #expect(response.usage == nil)
    }

    @Test("cached prompt tokens and reasoning tokens are reported")
    func cachedAndReasoningUsage() throws {
        let response = try decode(
            #"""
            {"id": "chatcmpl-o", "model": "o4-mini-2025-04-16",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": "42"}, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 2006, "completion_tokens": 300, "total_tokens": 2306,
                       "prompt_tokens_details": {"cached_tokens": 1920},
                       "completion_tokens_details": {"reasoning_tokens": 256}}}
            """#)
        #expect(
            response.usage
                == Usage(inputTokens: 2006, outputTokens: 300, cachedInputTokens: 1920, reasoningTokens: 256))
    }

    @Test(
        "finish reasons normalise; unknown values are other with the raw word kept",
        arguments: [
            ("stop", FinishReason.stop),
            ("length", .length),
            ("tool_calls", .toolCalls),
            ("function_call", FinishReason(normalized: "tool_calls", raw: "function_call")),
            ("content_filter", .contentFilter),
            ("eos_token", FinishReason(normalized: "other", raw: "eos_token")),
        ])
    func finishReasons(raw: String, expected: FinishReason) throws {
        let response = try decode(
            #"{"id":"x","model":"m","choices":[{"index":0,"message":{"content":"a"},"finish_reason":"\#(raw)"}]}"#)
        #expect(response.finishReason == expected)
    }

    @Test("choice 0 is read even when it is not first; null finish reason is nil")
    func choiceZero() throws {
        let response = try decode(
            #"{"id":"x","model":"m","choices":[{"index":1,"message":{"content":"second"},"finish_reason":"stop"},{"index":0,"message":{"content":"first"},"finish_reason":null}]}"#
        )
        #expect(response.text == "first")
        #expect(response.finishReason == nil)
    }

    @Test("compatible-server shapes: content parts, object arguments, legacy function_call")
    func compatibleShapes() throws {
        let parts = try decode(
            #"{"id":"x","model":"m","choices":[{"index":0,"message":{"content":[{"type":"text","text":"Hel"},{"type":"text","text":"lo"}]},"finish_reason":"stop"}]}"#
        )
        #expect(parts.text == "Hello")
        let objectArguments = try decode(
            #"{"id":"x","model":"m","choices":[{"index":0,"message":{"content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":{"a":1}}}]},"finish_reason":"tool_calls"}]}"#
        )
        #expect(objectArguments.toolCalls == [ToolCall(id: "c1", name: "f", arguments: #"{"a":1}"#)])
        let legacy = try decode(
            #"{"id":"x","model":"m","choices":[{"index":0,"message":{"content":null,"function_call":{"name":"f","arguments":"{}"}},"finish_reason":"function_call"}]}"#
        )
        #expect(legacy.toolCalls == [ToolCall(id: "", name: "f", arguments: "{}")])
        #expect(legacy.finishReason?.matches(.toolCalls) == true)
    }

    @Test("a 2xx body holding only an error object throws that error, typed")
    func errorInSuccessBody() throws {
        let error = try #require(throws: SluiceError.self) {
            try decode(#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#)
        }
        #expect(error.code == .apiError)
        #expect(error.providerError?.code == "rate_limit_exceeded")
        #expect(error.message.contains("Rate limit reached"))
    }

    @Test(
        "malformed bodies throw decodingFailed naming what and where, with a short excerpt",
        arguments: [
            (#"{"id":"x","choices":[{"index":0,"message":{"content":42}}]}"#, "choices[0].message.content"),
            (
                #"{"id":"x","choices":[{"index":0,"message":{"tool_calls":[{"id":"c","function":{"name":7}}]}}]}"#,
                "choices[0].message.tool_calls[0].function.name"
            ),
            (#"{"id":"x","usage":{"prompt_tokens":--1}}"#, "usage"),
            (#"{"id":"x","choices":[{"index":0,"message":{"content":"unterminated}}]}"#, "unterminated string"),
            (#"<html>502</html>"#, "byte offset 0"),
            ("", "end"),
        ])
    func malformed(body: String, mentions: String) throws {
        let error = try #require(throws: SluiceError.self) { try decode(body) }
        #expect(error.code == .decodingFailed)
        #expect(error.message.hasPrefix("OpenAI chat completion: "))
        #expect(error.message.contains(mentions), "\(error.message)")
        #expect(error.message.utf8.count < 300)
    }

    @Test("a decoding error never dumps a long body")
    func longBodyNotDumped() throws {
        let long = String(repeating: "abcdefghij", count: 10_000)
        let error = try #require(throws: SluiceError.self) {
            try decode(#"{"id":"x","choices":[{"index":0,"message":{"content":"\#(long)"}}],"usage":[}"#)
        }
        #expect(error.code == .decodingFailed)
        #expect(error.message.utf8.count < 300)
    }
}
