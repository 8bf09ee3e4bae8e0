// A batch with bounded concurrency: collected in input order, then taken as each item completes.
//
//     swift run ExampleBatch
//
// Runs against the mock LLM server started in-process on 127.0.0.1 (which fails one call with a
// 400, to show a failure that loses nothing else), or against OpenAI or Anthropic when
// OPENAI_API_KEY or ANTHROPIC_API_KEY is set.
import Sluice
import SluiceMockServer

func run(_ configuration: LLMClient.Configuration, model: String, server: MockLLMServer?) async throws {
    // Replies of different lengths, so that they finish in a different order than they started.
    let lengths = [24, 4, 16, 2, 20, 8, 12, 6]
    let requests = lengths.enumerated().map { index, length in
        ChatRequest(model: model, messages: [.user("Item \(index): tell me about rivers.")], maxOutputTokens: length)
    }

    try await withLLMClient(configuration) { client in
        // 1. In input order: one result per request, its reply or its typed error. At most three
        //    calls are in flight; one failure never loses the rest.
        server?.enqueue(.httpError(status: 400))  // whichever call the mock admits first
        let results = await client.chatBatch(requests, maxConcurrency: 3)
        print("chatBatch, in input order:")
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let reply): print("  \(index): \(reply.usage?.outputTokens ?? 0) tokens: \(reply.text)")
            case .failure(let error): print("  \(index): failed: \(error.code) (HTTP \(error.status ?? 0))")
            }
        }

        // 2. As they complete, each tagged with its input index: handle results as soon as they
        //    are ready. Leaving the loop early cancels the items not yet done.
        print("\nchatBatchResults, as they complete:")
        var order: [Int] = []
        for await item in client.chatBatchResults(requests, maxConcurrency: 3) {
            order.append(item.index)
            let outcome = (try? item.result.get()).map { "\($0.usage?.outputTokens ?? 0) tokens" } ?? "failed"
            print("  item \(item.index) done: \(outcome)")
        }
        print("completion order: \(order.map(String.init).joined(separator: " "))")
    }
}

// A real provider when its key is in the environment, else the embedded mock server.
if let configuration = try? LLMClient.Configuration.fromEnvironment() {
    let model = configuration.adapter.provider == .anthropic ? "claude-haiku-4-5" : "gpt-4o-mini"
    try await run(configuration, model: model, server: nil)
} else {
    // The mock takes 25 ms per token, like a model generating the whole reply before answering.
    let mock = MockServerConfiguration(replyTokens: 24, latency: MockLatency(perToken: .milliseconds(25)))
    try await MockLLMServer.withRunning(mock) { server in
        try await run(.openAI(apiKey: "sk-mock", baseURL: server.baseURL + "/v1"), model: "gpt-4o-mini", server: server)
    }
}
