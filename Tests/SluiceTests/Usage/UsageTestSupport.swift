import Sluice

/// A synthetic event, as a layer would emit it, for feeding handlers without a client.
func usageTestEvent(
    _ kind: ClientEvent.Kind,
    call: UInt64 = 1,
    model: String = "gpt-4o-mini",
    key: KeyID? = KeyID(rawValue: "key-a"),
    usage: Usage? = nil,
    waited: Duration? = nil,
    instant: Duration = .zero
) -> ClientEvent {
    var event = ClientEvent(
        kind: kind,
        callID: call,
        provider: .openAI,
        model: model,
        operation: .chat,
        attempt: 1,
        keyID: key,
        instant: instant
    )
    event.usage = usage
    event.waited = waited
    return event
}

/// Canned OpenAI chat completion bodies for end-to-end tests.
enum UsageTestBodies {
    static func completion(model: String = "gpt-4o-mini", input: Int = 10, output: Int = 5) -> [UInt8] {
        Array(
            """
            {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"\(model)","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":\(input),"completion_tokens":\(output),"total_tokens":\(input + output)}}
            """.utf8
        )
    }

    static let serverError = Array(#"{"error":{"message":"boom","type":"server_error","param":null,"code":null}}"#.utf8)

    static let streamChunks = """
        data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}],"usage":null}

        data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":1}}}


        """
}
