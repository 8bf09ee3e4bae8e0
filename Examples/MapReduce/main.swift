// Map-reduce over documents: concurrent map calls under the limits, then a streamed reduce.
//
//     swift run ExampleMapReduce
//
// Runs against the mock LLM server started in-process on 127.0.0.1, or against OpenAI or Anthropic
// when OPENAI_API_KEY or ANTHROPIC_API_KEY is set.
import Sluice
import SluiceMockServer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

func run(_ base: LLMClient.Configuration, model: String) async throws {
    let documents = [
        "Sluice gates control water flow in rivers and canals by raising or lowering a gate.",
        "A canal lock raises and lowers boats between stretches of water at different levels.",
        "Weirs are low dams across a river that raise the water level upstream.",
        "Spillways release surplus water from a dam so that it does not overtop.",
        "Culverts carry a stream under a road, railway or embankment.",
        "Millraces lead water from a river to a water wheel and back.",
    ]
    var configuration = base
    // The limits every call passes, maps and reduce alike: rate budget per key, and at most three
    // requests in flight at once (a permit is held until a response body ends).
    configuration.limit(RateLimits(requestsPerMinute: 60, tokensPerMinute: 20_000))
    configuration.concurrency = ConcurrencyLimits(maxConcurrentRequests: 3)

    try await withLLMClient(configuration) { client in
        // Map: one call per document, concurrently; results come back in input order, and one
        // failure never loses the others.
        let requests = documents.map { document in
            let messages: [ChatMessage] = [.system("Summarise in eight words."), .user(document)]
            return ChatRequest(model: model, messages: messages, maxOutputTokens: 30)
        }
        var summaries: [String] = []
        for (index, result) in await client.chatBatch(requests, maxConcurrency: 6).enumerated() {
            switch result {
            case .success(let reply):
                summaries.append(reply.text)
                print("map \(index + 1): \(reply.text)")
            case .failure(let error):
                print("map \(index + 1) failed: \(error.code)")  // reduce over what succeeded
            }
        }

        // Reduce: one streamed call over the summaries, consumed as an async sequence of events.
        let reduce = ChatRequest(
            model: model,
            messages: [.system("Combine these notes into one paragraph."), .user(summaries.joined(separator: "\n"))],
            maxOutputTokens: 120
        )
        print("\nreduce: ", terminator: "")
        let reply = try await client.streamChat(reduce) { stream in
            for try await case .textDelta(let text) in stream {
                print(text, terminator: "")
                fflush(nil)
            }
            return try await stream.finalResponse()
        }
        print("\n(\(reply.usage?.totalTokens ?? 0) tokens)")
    }
}

// A real provider when its key is in the environment, else the embedded mock server.
if let configuration = try? LLMClient.Configuration.fromEnvironment() {
    let model = configuration.adapter.provider == .anthropic ? "claude-haiku-4-5" : "gpt-4o-mini"
    try await run(configuration, model: model)
} else {
    let mock = MockServerConfiguration(replyTokens: 16, latency: MockLatency(perToken: .milliseconds(15)))
    try await MockLLMServer.withRunning(mock) { server in
        try await run(.openAI(apiKey: "sk-mock", baseURL: server.baseURL + "/v1"), model: "gpt-4o-mini")
        print("mock server: \(server.stats.requests) requests, at most \(server.stats.peakInFlight) at once")
    }
}
