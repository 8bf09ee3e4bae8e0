// A plain chat call, then a follow-up turn in the same conversation.
//
//     swift run ExampleChat
//
// Runs against the mock LLM server started in-process on 127.0.0.1, or against OpenAI or Anthropic
// when OPENAI_API_KEY or ANTHROPIC_API_KEY is set.
import Sluice
import SluiceMockServer

func run(_ configuration: LLMClient.Configuration, model: String) async throws {
    print("Using \(configuration)")  // the description never shows the key

    // `withLLMClient` shuts the client down when the closure ends, after the calls in flight.
    try await withLLMClient(configuration) { client in
        var conversation: [ChatMessage] = [
            .system("You are a terse assistant. Answer in one sentence."),
            .user("What is a sluice?"),
        ]
        let reply = try await client.chat(ChatRequest(model: model, messages: conversation, maxOutputTokens: 80))
        print("\nassistant: \(reply.text)")
        print(
            "  finish: \(reply.finishReason?.description ?? "-"), tokens: \(reply.usage?.inputTokens ?? 0) in"
                + " + \(reply.usage?.outputTokens ?? 0) out, request id: \(reply.requestID ?? "-")")

        // A conversation is just the messages so far: append the reply and ask again.
        conversation.append(.assistant(reply.text))
        conversation.append(.user("And how is it different from a weir?"))
        let followUp = try await client.chat(ChatRequest(model: model, messages: conversation, maxOutputTokens: 80))
        print("\nassistant: \(followUp.text)")

        // Errors are one typed `SluiceError`; its `code` says what happened.
        do {
            _ = try await client.chat(ChatRequest(model: model, messages: [.user("Hi")], maxOutputTokens: 0))
        } catch let error as SluiceError {
            print("\nA request the provider refuses fails with a typed error:\n  \(error.code): \(error.message)")
        }
    }
}

// A real provider when its key is in the environment, else the embedded mock server.
if let configuration = try? LLMClient.Configuration.fromEnvironment() {
    let model = configuration.adapter.provider == .anthropic ? "claude-haiku-4-5" : "gpt-4o-mini"
    try await run(configuration, model: model)
} else {
    try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 12)) { server in
        try await run(.openAI(apiKey: "sk-mock", baseURL: server.baseURL + "/v1"), model: "gpt-4o-mini")
    }
}
