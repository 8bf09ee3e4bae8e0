import Testing

@testable import Sluice

@Suite("OpenAIChatChunk")
struct OpenAIChatChunkTests {
    @Test("a content delta chunk decodes every known field")
    func contentDelta() throws {
        let chunk = try OpenAIChatChunk.decode(
            #"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":" world"},"logprobs":null,"finish_reason":null}]}"#
        )
        #expect(chunk.id == "chatcmpl-123")
        #expect(chunk.object == "chat.completion.chunk")
        #expect(chunk.created == 1_694_268_190)
        #expect(chunk.model == "gpt-4o-mini")
        #expect(chunk.systemFingerprint == "fp_44709d6fcb")
        #expect(chunk.choices == [.init(index: 0, delta: .init(content: " world"), finishReason: nil, logprobs: nil)])
        #expect(chunk.usage == nil)
        #expect(chunk.error == nil)
    }

    @Test("the first chunk carries the role, with unknown fields skipped")
    func roleChunk() throws {
        let chunk = try OpenAIChatChunk.decode(
            #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null,"annotations":[{"type":"x"}]},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"abc"}"#
        )
        #expect(chunk.systemFingerprint == nil)
        #expect(chunk.choices.first?.delta == .init(role: "assistant", content: "", refusal: nil))
        #expect(chunk.usage == nil)
    }

    @Test("tool-call fragments decode: the first with id, type and name, later ones with argument pieces")
    func toolCalls() throws {
        let first = try OpenAIChatChunk.decode(
            #"{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}"#
        )
        #expect(
            first.choices.first?.delta.toolCalls == [
                .init(index: 0, id: "call_abc", type: "function", name: "get_weather", arguments: "")
            ])
        #expect(first.choices.first?.delta.content == nil)
        let piece = try OpenAIChatChunk.decode(
            #"{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"location\": \"Par"}}]},"finish_reason":null}]}"#
        )
        #expect(piece.choices.first?.delta.toolCalls == [.init(index: 1, arguments: #"{"location": "Par"#)])
        let last = try OpenAIChatChunk.decode(
            #"{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#
        )
        #expect(last.choices.first?.finishReason == "tool_calls")
        #expect(last.choices.first?.delta == .init())
    }

    @Test("the usage-only final chunk has no choices and full usage")
    func usageChunk() throws {
        let chunk = try OpenAIChatChunk.decode(
            #"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":2,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}"#
        )
        #expect(chunk.choices.isEmpty)
        #expect(
            chunk.usage
                == .init(promptTokens: 9, completionTokens: 12, totalTokens: 21, cachedTokens: 4, reasoningTokens: 2))
        let nullChoices = try OpenAIChatChunk.decode(
            #"{"choices":null,"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":null}}"#
        )
        #expect(nullChoices.choices.isEmpty)
        #expect(nullChoices.usage == .init(promptTokens: 1, completionTokens: 2, totalTokens: 3))
    }

    @Test("an error object in the stream decodes, with a numeric code kept as text")
    func errorObject() throws {
        let chunk = try OpenAIChatChunk.decode(
            #"{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}"#
        )
        #expect(
            chunk.error
                == .init(message: "The server had an error while processing your request.", type: "server_error"))
        let numeric = try OpenAIChatChunk.decode(#"{"error":{"message":"m","type":"t","code":429,"param":"model"}}"#)
        #expect(numeric.error?.code == "429")
        #expect(numeric.error?.param == "model")
    }

    @Test("logprobs are kept as a JSON value when present")
    func logprobs() throws {
        let chunk = try OpenAIChatChunk.decode(
            #"{"choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":{"content":[{"token":"Hi","logprob":-0.01,"bytes":[72,105],"top_logprobs":[]}]},"finish_reason":null}]}"#
        )
        #expect(chunk.choices.first?.logprobs?["content"]?[0]?["token"] == "Hi")
    }

    @Test(
        "malformed chunks are decodingFailed errors",
        arguments: [
            #"{"id":"x","choices":[{"index":"zero"}]}"#, #"{"id":42}"#, #"{"choices":{}}"#, #"{"id":"x""#,
            "[DONE]", "", #"{"id":"x"} trailing"#, #"{"usage":{"prompt_tokens":1.}}"#,
        ]
    )
    func malformed(text: String) {
        let error = #expect(throws: SluiceError.self) { try OpenAIChatChunk.decode(text) }
        #expect(error?.code == .decodingFailed)
    }

    @Test("a whole SSE stream decodes into the assembled message until [DONE]")
    func wholeStream() throws {
        let stream = """
            data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}

            data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}],"usage":null}

            : keep-alive

            data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":", wörld"},"finish_reason":null}],"usage":null}

            data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}

            data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}

            data: [DONE]


            """
        var content = ""
        var finish: String?
        var usage: OpenAIChatChunk.Usage?
        var done = false
        let bytes = Array(stream.utf8)
        var parser = ServerSentEventParser()
        for start in stride(from: 0, to: bytes.count, by: 13) {
            try parser.parse(bytes[start..<min(bytes.count, start + 13)]) { event in
                if OpenAIChatChunk.isDone(event.data) {
                    done = true
                    return
                }
                let chunk = try OpenAIChatChunk.decode(event.data)
                for choice in chunk.choices {
                    content += choice.delta.content ?? ""
                    finish = choice.finishReason ?? finish
                }
                usage = chunk.usage ?? usage
            }
        }
        #expect(content == "Hello, wörld")
        #expect(finish == "stop")
        #expect(usage?.totalTokens == 8)
        #expect(done)
    }
}
