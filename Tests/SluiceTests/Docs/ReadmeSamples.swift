import Logging
import Sluice

// The Swift samples of README.md that need only the Sluice module, each inside a function that gives
// it what the README leaves to the reader (a key, a request, a logger). This file compiling is what
// keeps the README's code compiling; `DocumentationSamplesTests` checks that the samples are here line
// for line. Change them together. The functions are compiled, not run.

enum ReadmeSamples {
    /// "Chat, streaming and embeddings".
    static func tour(prompts: [String]) async throws {
        try await withLLMClient(.fromEnvironment()) { client in          // OPENAI_API_KEY or ANTHROPIC_API_KEY
            let reply = try await client.chat(ChatRequest(
                model: "gpt-4o-mini",
                messages: [.system("Be brief."), .user("What is a sluice?")],
                maxOutputTokens: 200))
            print(reply.text, reply.usage?.totalTokens ?? 0, reply.finishReason ?? .stop)

            // Streaming is scoped: leaving the closure ends the transfer.
            let streamed = try await client.streamChat(ChatRequest(model: "gpt-4o-mini", messages: [.user("Count to 5")])) { stream in
                for try await event in stream {
                    if case .textDelta(let text) = event { print(text, terminator: "") }
                }
                return try await stream.finalResponse()
            }

            // Many calls at once, results in input order, one failure never loses the rest.
            let results = await client.chatBatch(prompts.map { ChatRequest(model: "gpt-4o-mini", messages: [.user($0)]) })

            let vectors = try await client.embed(EmbeddingsRequest(model: "text-embedding-3-small", inputs: ["a", "b"]))
            print(streamed.text, results.count, vectors.embeddings.count)
        }
    }

    /// "Limits, retries and timeouts".
    static func limits(key: String, otherKey: String, client: LLMClient, request: ChatRequest) async throws -> ChatResponse {
        var configuration = LLMClient.Configuration.openAI(apiKey: key)
        configuration.rateLimits = RateLimitMiddleware.Configuration(keys: [          // a key pool
            APIKey(key, label: "primary", limits: RateLimits(requestsPerMinute: 500, tokensPerMinute: 200_000)),
            APIKey(otherKey, label: "backup", limits: RateLimits(requestsPerMinute: 500, tokensPerMinute: 200_000)),
        ])
        configuration.concurrency = ConcurrencyLimits(maxConcurrentRequests: 64, maxConcurrentRequestsPerKey: 32)
        configuration.retryPolicy = try RetryPolicy(maxAttempts: 4)
        configuration.timeouts = TimeoutPolicy(total: .seconds(120), firstToken: .seconds(30), idle: .seconds(20))

        var options = CallOptions()                       // per call
        options.timeouts = TimeoutPolicy(total: .seconds(5))
        options.rateLimitWaitPolicy = .failFast
        let reply = try await client.chat(request, options: options)
        _ = configuration
        return reply
    }

    /// "What a server can send".
    static func hostile(configuration: inout LLMClient.Configuration) throws {
        configuration.retryPolicy = try RetryPolicy(maxServerDelay: .seconds(30))
        configuration.streamLimits = StreamLimits(maxBytes: 8 << 20, maxEventBytes: 256 << 10)
        configuration.timeouts.firstByte = .seconds(10)
    }

    /// "Hooks, usage and cost".
    static func observe(
        client: LLMClient, request: ChatRequest, configuration: inout LLMClient.Configuration, logger: Logger
    ) async throws -> ChatResponse {
        let (reply, usage) = try await withUsageTracking {         // every call inside, child tasks too
            try await client.chat(request)
        }
        print(usage.totals.inputTokens, usage.totals.outputTokens, usage.cost ?? "unpriced model")

        configuration.eventHandlers = [
            LoggingEventHandler(logger: logger),                    // swift-log
            MetricsEventHandler(),                                  // swift-metrics
            TracingEventHandler(),                                  // swift-distributed-tracing, GenAI attributes
        ]
        let events = EventStream(capacity: 1_024)                   // an async sequence that never blocks a call
        try await withEventHandler(events) { _ = try await client.chat(request) }
        return reply
    }

    /// "The transport".
    static func transportAlone(key: String, json: String, handle: ([UInt8]) -> Void) async throws {
        let transport = try CurlTransport()
        let response = try await transport.send(
            ClientRequest(method: .post, url: "http://127.0.0.1:8080/v1/chat/completions",
                          headers: ["authorization": "Bearer \(key)", "content-type": "application/json"],
                          body: Array(json.utf8)))
        for try await chunk in response.body {   // or: try await response.body.collect(upTo: 1 << 20)
            handle(chunk)
        }
        await transport.shutdown()
    }
}
