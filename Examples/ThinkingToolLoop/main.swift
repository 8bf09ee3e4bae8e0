// An agent tool loop with extended thinking on: the model reasons, calls a tool, gets the result
// and answers; each reply goes back with its signed thinking blocks unmodified.
//
//     swift run ExampleThinkingToolLoop
//
// Runs against the mock LLM server started in-process on 127.0.0.1 (its Anthropic route signs the
// thinking and checks it on the next turn), or against Anthropic when ANTHROPIC_API_KEY is set.
import Sluice
import SluiceMockServer

let weatherTool = ToolDefinition(
    name: "get_weather",
    description: "The current weather in a city",
    parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]
)

func run(_ configuration: LLMClient.Configuration, model: String) async throws {
    print("Using \(configuration)")  // the description never shows the key
    try await withLLMClient(configuration) { client in
        var request = ChatRequest(
            model: model, messages: [.user("What is the weather in Paris?")], tools: [weatherTool],
            maxOutputTokens: 4_000)
        request.thinking = .enabled(budgetTokens: 2_000)

        for turn in 1...4 {
            // Streamed turns work the same: the final response holds the same blocks.
            let reply = try await client.chat(request)
            print("\nturn \(turn): \(reply.thinking.count) thinking block(s), \(reply.toolCalls.count) tool call(s)")
            print("  thinking: \(reply.thinkingText.prefix(120))")
            if !reply.text.isEmpty { print("  text: \(reply.text)") }
            guard !reply.toolCalls.isEmpty else { break }
            // The whole loop: the reply as it came (thinking first, signatures intact), then the results.
            request.messages.append(reply.asMessage)
            for call in reply.toolCalls {
                print("  tool: \(call.name)(\(call.arguments))")
                request.messages.append(.tool(callID: call.id, "18 °C and sunny"))
            }
        }

        // Without its thinking block, the assistant turn is refused with the provider's message.
        var stripped = request
        if let index = stripped.messages.lastIndex(where: { $0.role == .assistant }) {
            stripped.messages[index].thinking = []
            do {
                _ = try await client.chat(stripped)
            } catch let error as SluiceError {
                print("\nDropping the thinking block fails with a typed error:\n  \(error.code): \(error.message)")
            }
        }
    }
}

// Anthropic when its key is in the environment, else the embedded mock server.
if let configuration = try? LLMClient.Configuration.fromEnvironment(), configuration.adapter.provider == .anthropic {
    try await run(configuration, model: "claude-sonnet-4-5")
} else {
    try await MockLLMServer.withRunning { server in
        try await run(.anthropic(apiKey: "sk-ant-mock", baseURL: server.baseURL), model: "claude-test")
    }
}
