import Sluice

// The Swift samples of the DocC articles that have no test file of their own (Getting started,
// Hooks, Hostile servers, Limits per key, Priorities and load shedding, Retries and timeouts), each
// inside a function that gives it what the article leaves to the reader. This file compiling is what
// keeps those samples compiling; `DocumentationSamplesTests` checks that they are here line for
// line. Change them together. The functions are compiled, not run.

enum ArticleSamples {
    // MARK: GettingStarted.md

    static func firstCall() async throws {
        try await withLLMClient(.fromEnvironment()) { client in
            let reply = try await client.chat("What is a sluice?", model: "gpt-4o-mini")
            print(reply.text)
        }
    }

    static func request(client: LLMClient) async throws {
        let reply = try await client.chat(ChatRequest(
            model: "gpt-4o-mini",
            messages: [.system("Answer in one sentence."), .user("Why do rivers meander?")],
            maxOutputTokens: 200))
        print(reply.text, reply.finishReason ?? .stop, reply.usage?.totalTokens ?? 0)
    }

    static func stream(client: LLMClient, request: ChatRequest) async throws -> ChatResponse {
        let final = try await client.streamChat(request) { stream in
            for try await event in stream {
                if case .textDelta(let text) = event { print(text, terminator: "") }
            }
            return try await stream.finalResponse()
        }
        return final
    }

    static func rawResponse(client: LLMClient, request: ChatRequest) async throws {
        do {
            let reply = try await client.chat(request)
            let head = reply.responseHead
            print(head?.status ?? 0, head?.requestID ?? "-", head?.headers["x-ratelimit-remaining-tokens"] ?? "-")
        } catch let error as SluiceError {
            print(error.code, error.responseHead?.headers["retry-after"] ?? "no retry-after")
        }
    }

    // MARK: Hooks.md

    struct MyHandler: ClientEventHandler {
        func handle(_ event: ClientEvent) {}
    }

    static func scopedHandler(client: LLMClient, request: ChatRequest) async throws -> ChatResponse {
        try await withEventHandler(MyHandler()) {
            try await client.chat(request)
        }
    }

    static func usage(client: LLMClient, requests: [ChatRequest]) async throws {
        let (answers, usage) = try await withUsageTracking {
            try await withThrowingTaskGroup(of: ChatResponse.self) { group in
                for request in requests { group.addTask { try await client.chat(request) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        print(answers.count, usage.totals.totalTokens, usage.cost.map { "\($0)" } ?? "unpriced")
    }

    // MARK: HostileServers.md

    static func hostile(key: String) throws -> LLMClient.Configuration {
        var configuration = LLMClient.Configuration.openAI(apiKey: key)
        configuration.retryPolicy = try RetryPolicy(maxServerDelay: .seconds(30))
        configuration.streamLimits = StreamLimits(maxBytes: 8 << 20, maxEventBytes: 256 << 10)
        configuration.timeouts.firstToken = .seconds(30)
        return configuration
    }

    // MARK: LimitsPerKey.md

    static func oneKey(key: String) -> LLMClient.Configuration {
        var configuration = LLMClient.Configuration.openAI(apiKey: key)
        configuration.limit(RateLimits(requestsPerMinute: 500, tokensPerMinute: 200_000))
        return configuration
    }

    static func keyPool(keyA: String, keyB: String, configuration: inout LLMClient.Configuration) {
        configuration.rateLimits = RateLimitMiddleware.Configuration(keys: [
            APIKey(keyA, label: "a", limits: RateLimits(requestsPerMinute: 500, tokensPerMinute: 200_000)),
            APIKey(keyB, label: "b", limits: RateLimits(requestsPerMinute: 200, tokensPerMinute: 80_000),
                   modelLimits: ["gpt-4o": RateLimits(requestsPerMinute: 100)]),
        ])
    }

    static func adaptiveConcurrency(key: String) throws -> LLMClient.Configuration {
        var configuration = LLMClient.Configuration.openAI(apiKey: key)
        configuration.concurrency = ConcurrencyLimits(
            adaptive: try AdaptiveConcurrency(initialLimit: 8, minimumLimit: 2, maximumLimit: 64))
        return configuration
    }

    // MARK: LoadShedding.md

    static func interactiveCall(client: LLMClient, request: ChatRequest) async throws -> ChatResponse {
        var options = CallOptions()
        options.priority = .interactive
        options.timeouts = TimeoutPolicy(total: .seconds(10))
        let reply = try await client.chat(request, options: options)
        return reply
    }

    static func boundedQueues(key: String) throws -> LLMClient.Configuration {
        var configuration = LLMClient.Configuration.openAI(apiKey: key)
        configuration.limit(RateLimits(requestsPerMinute: 500, tokensPerMinute: 200_000))
        configuration.rateLimits?.queue = try AdmissionQueuePolicy(maxWaiting: 200)
        var concurrency = ConcurrencyLimits(maxConcurrentRequests: 32)
        concurrency.queue = try AdmissionQueuePolicy(maxWaiting: 200)
        configuration.concurrency = concurrency
        return configuration
    }

    static func shed(client: LLMClient, request: ChatRequest, batch: CallOptions) async throws {
        do {
            _ = try await client.chat(request, options: batch)
        } catch let error as SluiceError where error.code == .loadShed {
            print("shed; try later")
        }
    }

    // MARK: RetriesAndTimeouts.md

    static func timeouts(
        client: LLMClient, request: ChatRequest, configuration: inout LLMClient.Configuration
    ) async throws -> ChatResponse {
        configuration.timeouts = TimeoutPolicy(total: .seconds(120), firstToken: .seconds(30), idle: .seconds(20))

        var options = CallOptions()
        options.timeouts = TimeoutPolicy(total: .seconds(5))     // one call
        options.retryPolicy = .disabled
        let reply = try await client.chat(request, options: options)
        return reply
    }

    static func attemptMiddleware(configuration: inout LLMClient.Configuration) {
        struct TenantHeader: ClientMiddleware {
            let tenant: String

            func intercept(_ request: ClientRequest, context: ClientContext, next: Next) async throws -> ClientResponse {
                var request = request
                request.headers.add(name: "x-tenant", value: tenant)
                return try await next(request, context)
            }
        }

        configuration.attemptMiddleware = [TenantHeader(tenant: "blue")]
    }
}
