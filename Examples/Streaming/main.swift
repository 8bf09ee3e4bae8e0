// Streaming a reply to the terminal: tokens as they arrive, then the usage.
//
//     swift run ExampleStreaming
//
// Runs against the mock LLM server started in-process on 127.0.0.1 (30 tokens, 40 ms apart), or
// against OpenAI or Anthropic when OPENAI_API_KEY or ANTHROPIC_API_KEY is set.
import Sluice
import SluiceMockServer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whole milliseconds, for display.
func milliseconds(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000
}

func run(_ configuration: LLMClient.Configuration, model: String) async throws {
    let request = ChatRequest(
        model: model,
        messages: [.user("Write four short lines about water finding its way.")],
        maxOutputTokens: 120
    )
    let clock = ContinuousClock()
    let start = clock.now

    try await withLLMClient(configuration) { client in
        // The stream is scoped: when the closure returns (or throws) the transfer ends, so leaving
        // the loop early never leaves a connection streaming.
        let reply = try await client.streamChat(request) { stream in
            var firstToken: Duration?
            for try await event in stream {
                switch event {
                case .textDelta(let text):
                    if firstToken == nil { firstToken = clock.now - start }
                    print(text, terminator: "")
                    fflush(nil)  // show each token as it arrives
                case .finished(let reason):
                    print("\n\n[finished: \(reason)]")
                default:
                    break  // .started, .usage, tool calls, provider events
                }
            }
            let total = milliseconds(clock.now - start)
            print("[first token after \(milliseconds(firstToken ?? .zero)) ms, whole reply after \(total) ms]")
            // The reply accumulated from the events: text, finish reason and usage.
            return try await stream.finalResponse()
        }
        if let usage = reply.usage {
            print("[usage: \(usage.inputTokens) input + \(usage.outputTokens) output = \(usage.totalTokens) tokens]")
        }
    }
}

// A real provider when its key is in the environment, else the embedded mock server.
if let configuration = try? LLMClient.Configuration.fromEnvironment() {
    let model = configuration.adapter.provider == .anthropic ? "claude-haiku-4-5" : "gpt-4o-mini"
    try await run(configuration, model: model)
} else {
    var mock = MockServerConfiguration(replyTokens: 30)
    mock.latency = MockLatency(firstToken: .milliseconds(200), perToken: .milliseconds(40))
    try await MockLLMServer.withRunning(mock) { server in
        try await run(.openAI(apiKey: "sk-mock", baseURL: server.baseURL + "/v1"), model: "gpt-4o-mini")
    }
}
