import SluiceMockServer
import Testing

// The Swift samples of the doc comments in Sources/SluiceMockServer, each inside a function whose
// parameters supply what the sample leaves to the reader (the one that needs the Sluice client is in
// IntegrationTests/SymbolSamples.swift). This file compiling is what keeps those samples compiling;
// `DocumentationSamplesTests` checks that they are here line for line. Change them together. The
// functions are compiled, not run.

enum MockServerSymbolSamples {
    // MARK: Admin

    /// MockAdminAccess
    static func adminAccess() -> MockServerConfiguration {
        var configuration = MockServerConfiguration()
        configuration.admin = MockAdminAccess(token: "admin-secret")
        return configuration
    }

    // MARK: Faults

    /// MockFault
    static func enqueueFaults(server: MockLLMServer) {
        server.enqueue([
            .fault(.rateLimited(retryAfter: .both(.milliseconds(1500)))),
            .fault(.dropConnection(afterTokens: 3)),
            .success,
        ])
    }

    /// MockFault.RetryAfter
    static func retryAfter() -> [MockFault] {
        let throttled = MockFault.rateLimited(retryAfter: .milliseconds(250))  // only retry-after-ms: 250
        let overloaded = MockFault.serverError(503, retryAfter: .seconds(2))   // only retry-after: 2
        return [throttled, overloaded]
    }

    /// MockFault.named
    static func namedFault() -> MockFault? {
        let drop = MockFault.named("drop", settings: .init(afterTokens: 3))  // dropConnection(afterTokens: 3)
        return drop
    }

    /// MockFaultPlan
    static func faultPlan() -> MockServerConfiguration {
        var configuration = MockServerConfiguration()
        configuration.faults = MockFaultPlan(seed: 42, [
            .rate(0.05, .rateLimited()),
            .rate(0.02, .serverError(503, shouldRetry: true)),
            .rate(0.01, .dropConnection(afterTokens: 2)),
        ])
        return configuration
    }

    /// MockLatency
    static func latency() -> MockServerConfiguration {
        var configuration = MockServerConfiguration()
        configuration.latency = MockLatency(head: .milliseconds(50), perToken: .milliseconds(20))
        return configuration
    }

    /// MockOutcome
    static func outcomes(server: MockLLMServer) {
        server.enqueue([
            .fault(.serverError(503)),
            MockOutcome(latency: MockLatency(perToken: .milliseconds(200)), replyTokens: 50),
            .success,
        ])
    }

    // MARK: Limits

    /// MockRateLimitReporting
    static func rateLimitReporting() -> MockServerConfiguration {
        var configuration = MockServerConfiguration()
        configuration.rateLimitReporting = MockRateLimitReporting(replyJitter: .milliseconds(50), remainingUnit: 1_000)
        configuration.rateLimitReporting = MockRateLimitReporting(handling: .inOrder)
        configuration.rateLimitReporting = MockRateLimitReporting(sendsHeaders: false)
        return configuration
    }

    /// MockRateLimits
    static func rateLimits() -> [MockRateLimits] {
        let openAI = MockRateLimits(requestsPerMinute: 60, tokensPerMinute: 40_000)
        let bursty = MockRateLimits(requestsPerMinute: 600, requestBurst: 20)
        let anthropic = MockRateLimits(requestsPerMinute: 50, inputTokensPerMinute: 30_000, outputTokensPerMinute: 8_000)
        return [openAI, bursty, anthropic]
    }

    // MARK: Replies

    /// MockReplyGenerator
    static func replyGenerator(content: String) {
        let expected = MockReplyGenerator.reply(to: "Hello", tokens: 5)
        #expect(content == expected)
    }

    /// MockTokenEstimator
    static func tokenEstimator() -> [Int] {
        let prompt = MockTokenEstimator.chatPromptTokens(messageContents: ["You are terse.", "Hi"])
        // (4 + 4) + (1 + 4) + 3 == 16
        let input = MockTokenEstimator.messagesPromptTokens(system: "You are terse.", messageContents: ["Hi"])
        // 4 + (1 + 4) + 3 == 12
        return [prompt, input]
    }

    // MARK: Scripts

    /// MockScript
    static func script() throws -> MockScript {
        let script = MockScript(rules: [
            MockRule(name: "flaky", match: MockMatch(message: try MockPattern("flaky")),
                     replies: [MockReply(status: 503, times: 2), MockReply(text: "ok")]),
        ])
        return script
    }

    // MARK: Server

    /// MockAPIKey
    static func apiKey() -> MockAPIKey {
        let key = MockAPIKey(name: "tenant-a", secret: "sk-test-a",
                             limits: MockRateLimits(requestsPerMinute: 60, tokensPerMinute: 10_000))
        return key
    }

    /// MockAPIKey.anonymousName
    static func anonymousName() -> String {
        let id = MockAPIKey.anonymousName(forSecret: "sk-whatever")  // "key-1a2b3c4d"
        return id
    }

    /// MockLLMServer
    static func server() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration()) { server in
            // POST \(server.baseURL)/v1/chat/completions with "Authorization: Bearer sk-test"
            // POST \(server.baseURL)/v1/messages with "x-api-key: sk-test", "anthropic-version: 2023-06-01"
            #expect(server.stats.requests == 1)
        }
    }

    /// MockLLMServer.enqueue
    static func enqueue(server: MockLLMServer) {
        server.enqueue([.fault(.serverError(503)), .success])
        server.enqueue([.fault(.rateLimited())], forKey: "tenant-b")
    }

    /// MockLLMServer.addRules
    static func addRules(server: MockLLMServer) {
        server.addRules([MockRule(name: "down", match: MockMatch(key: "tenant-b"), reply: MockReply(status: 503))])
    }

    /// MockServerClock
    static func serverClock() -> MockServerConfiguration {
        let clock = MockServerClock.manual()
        var configuration = MockServerConfiguration()
        configuration.clock = clock
        // ... exhaust a key's bucket, then:
        clock.advance(by: .seconds(1))
        return configuration
    }

    /// MockServerConfiguration
    static func configuration() -> MockServerConfiguration {
        var configuration = MockServerConfiguration()
        configuration.keys = [MockAPIKey(name: "a", secret: "sk-a",
                                         limits: MockRateLimits(requestsPerMinute: 60))]
        configuration.acceptsUnknownKeys = false
        configuration.latency = MockLatency(firstToken: .milliseconds(100), perToken: .milliseconds(10))
        configuration.faults = MockFaultPlan(seed: 7, [.rate(0.1, .serverError(503))])
        return configuration
    }

    /// MockServerStats
    static func stats(server: MockLLMServer) {
        let stats = server.stats
        #expect(stats[key: "tenant-a"].rateLimited == 3)
        #expect(stats.peakInFlight <= 8)
        #expect(stats.inFlight == 0)
    }
}
