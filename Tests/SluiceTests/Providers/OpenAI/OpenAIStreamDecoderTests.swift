import Testing

@testable import Sluice

@Suite("OpenAIAdapter stream decoding")
struct OpenAIStreamDecoderTests {
    /// Parses an SSE transcript and decodes every event; returns the events, whether the decoder saw
    /// the end, and the error that stopped it, if any.
    func run(_ transcript: String) -> (events: [ChatStreamEvent], complete: Bool, error: SluiceError?) {
        var decoder = OpenAIAdapter().makeStreamDecoder()
        var events: [ChatStreamEvent] = []
        do {
            for event in try ServerSentEventParser.events(in: Array(transcript.utf8)) {
                try decoder.decode(event) { events.append($0) }
            }
        } catch {
            return (events, decoder.isComplete, error as? SluiceError)
        }
        return (events, decoder.isComplete, nil)
    }

    static let contentTranscript = #"""
        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":" world"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}

        data: [DONE]


        """#

    @Test("a content stream: started once, text deltas, finished, usage from the last chunk, [DONE] completes")
    func content() {
        let result = run(Self.contentTranscript)
        #expect(result.error == nil)
        #expect(result.complete)
        #expect(
            result.events == [
                .started(id: "chatcmpl-123", model: "gpt-4o-mini"),
                .textDelta("Hello"),
                .textDelta(" world"),
                .finished(.stop),
                .usage(Usage(inputTokens: 9, outputTokens: 2, cachedInputTokens: 0, reasoningTokens: 0)),
            ])
    }

    @Test("without [DONE] the decoder is not complete")
    func incomplete() {
        let cut = Self.contentTranscript.replacingOccurrences("data: [DONE]", with: "")
        let result = run(cut)
        #expect(result.error == nil)
        #expect(!result.complete)
    }

    @Test("tool-call fragments over several chunks: started per index, argument pieces in order")
    func toolCallFragments() {
        let transcript = #"""
            data: {"id":"chatcmpl-t","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}]}

            data: {"id":"chatcmpl-t","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]},"logprobs":null,"finish_reason":null}]}

            data: {"id":"chatcmpl-t","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\": \"Paris\"}"}}]},"logprobs":null,"finish_reason":null}]}

            data: {"id":"chatcmpl-t","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]},"logprobs":null,"finish_reason":null}]}

            data: {"id":"chatcmpl-t","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","function":{"arguments":"{}"}}]},"logprobs":null,"finish_reason":null}]}

            data: {"id":"chatcmpl-t","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}

            data: [DONE]


            """#
        let result = run(transcript)
        #expect(result.error == nil)
        #expect(result.complete)
        #expect(
            result.events == [
                .started(id: "chatcmpl-t", model: "gpt-4o"),
                .toolCallStarted(index: 0, id: "call_a", name: "get_weather"),
                .toolCallArgumentsDelta(index: 0, fragment: #"{"ci"#),
                .toolCallArgumentsDelta(index: 0, fragment: #"ty": "Paris"}"#),
                .toolCallStarted(index: 1, id: "call_b", name: "get_time"),
                .toolCallArgumentsDelta(index: 1, fragment: "{}"),
                .finished(.toolCalls),
            ])
    }

    @Test("a refusal streams as text and finishes as refusal")
    func refusal() {
        let transcript = #"""
            data: {"id":"c","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":""},"finish_reason":null}]}

            data: {"id":"c","model":"m","choices":[{"index":0,"delta":{"refusal":"I can't help with that."},"finish_reason":null}]}

            data: {"id":"c","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

            data: [DONE]


            """#
        let result = run(transcript)
        #expect(result.events.dropFirst().first == .textDelta("I can't help with that."))
        #expect(result.events.last == .finished(FinishReason(normalized: "refusal", raw: "stop")))
    }

    @Test("an error chunk mid-stream throws streamError with the provider's details, after earlier events")
    func errorChunk() throws {
        let transcript = #"""
            data: {"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}

            data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}

            data: {"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"never"},"finish_reason":null}]}


            """#
        let result = run(transcript)
        #expect(result.events == [.started(id: "c", model: "m"), .textDelta("Hel")])
        let error = try #require(result.error)
        #expect(error.code == .streamError)
        #expect(error.providerError?.type == "server_error")
        #expect(error.providerError?.code == nil)
        #expect(error.message.contains("event #2"))
        #expect(error.message.contains("The server had an error"))
    }

    @Test("an `event: error` event is an error even without the error wrapper")
    func errorEvent() throws {
        let transcript = """
            data: {"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}

            event: error
            data: {"message":"upstream overloaded","type":"overloaded_error","code":529}


            """
        let error = try #require(run(transcript).error)
        #expect(error.code == .streamError)
        #expect(error.providerError?.code == "529")
        #expect(error.providerError?.message == "upstream overloaded")

        let plain = try #require(run("event: error\ndata: something broke\n\n").error)
        #expect(plain.code == .streamError)
        #expect(plain.providerError?.message == "something broke")
    }

    @Test("a malformed JSON chunk throws decodingFailed with the event number")
    func malformedChunk() throws {
        let transcript = """
            data: {"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}

            data: {"id":"c","choices":[{"index":0,"delta":{"content":"b"

            """
        let result = run(transcript)
        let error = try #require(result.error)
        #expect(error.code == .decodingFailed)
        #expect(error.message.contains("event #2"), "\(error.message)")
        #expect(result.events == [.started(id: "c", model: "m"), .textDelta("a")])
    }

    @Test("a chunk whose field has the wrong type throws decodingFailed")
    func wrongType() throws {
        let error = try #require(run(#"data: {"id":"c","choices":[{"index":0,"delta":{"content":5}}]}"# + "\n\n").error)
        #expect(error.code == .decodingFailed)
        #expect(error.message.contains("event #1"))
    }

    @Test("usage chunks without choices (or with null choices) and other event names pass through")
    func usageAndOtherEvents() {
        let transcript = #"""
            data: {"id":"c","model":"m","choices":null,"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}

            event: message
            data: {"id":"c","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"length"}]}

            event: ping
            data: {"t":1}

            data:

            data: [DONE]

            data: {"ignored": "after done"}


            """#
        let result = run(transcript)
        #expect(result.error == nil)
        #expect(result.complete)
        #expect(
            result.events == [
                .started(id: "c", model: "m"),
                .usage(Usage(inputTokens: 3, outputTokens: 4)),
                .textDelta("x"),
                .finished(.length),
                .providerEvent(name: "ping", data: ["t": 1]),
            ])
    }

    @Test("only choice 0 is read when a chunk carries several choices")
    func onlyChoiceZero() {
        let result = run(
            #"data: {"id":"c","model":"m","choices":[{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"content":"mine"}}]}"#
                + "\n\n")
        #expect(result.events == [.started(id: "c", model: "m"), .textDelta("mine")])
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, with replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
