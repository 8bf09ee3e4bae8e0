import Sluice
import SluiceMockServer
import SluiceRedis

// The Swift samples of the doc comments in Sources/SluiceRedis, and of the one in
// Sources/SluiceMockServer that needs the Sluice client, each inside a function whose parameters
// supply what the sample leaves to the reader. This file compiling is what keeps those samples
// compiling; `DocumentationSamplesTests` (in Tests/SluiceTests) checks that they are here line for
// line. Change them together. The functions are compiled, not run.

enum IntegrationSymbolSamples {
    // MARK: SluiceMockServer

    /// MockLLMServer.withRunning
    static func withRunning(configuration: MockServerConfiguration) async throws -> ChatResponse {
        let reply = try await MockLLMServer.withRunning(configuration) { server in
            try await withLLMClient(.openAI(apiKey: "sk-test", baseURL: server.baseURL + "/v1")) { client in
                try await client.chat("Hello", model: "gpt-4o-mini")
            }
        }
        return reply
    }

    // MARK: SluiceRedis

    /// RedisCircuitBreakerStore
    static func redisBreakers(deployments: [Deployment]) throws -> LLMRouter {
        let breakers = RedisCircuitBreakerStore(configuration: try .init(url: "redis://127.0.0.1:6379/0"))
        let router = try LLMRouter(deployments, breakerStore: breakers)
        return router
    }

    /// RedisSpendBudgetStore
    static func redisBudgets(key: String) throws -> LLMClient.Configuration {
        let budgets = RedisSpendBudgetStore(configuration: try .init(url: "redis://127.0.0.1:6379/0"))
        var configuration = LLMClient.Configuration.openAI(apiKey: key)
        try configuration.setBudgets([SpendBudget("daily", window: .fixed(.seconds(86_400)), maxUSD: 50)])
        configuration.budgetStore = budgets
        return configuration
    }

    /// RESPParser
    static func respParser(bytes: [UInt8], handle: (RESPValue) -> Void) throws {
        var parser = RESPParser()
        parser.append(bytes)
        while let reply = try parser.next() { handle(reply) }
    }

    /// RESPValue
    static func respValue(connection: RedisConnection) async throws {
        let reply = try await connection.send(["GET", "greeting"])
        if case .bulkString(let bytes?) = reply { print(String(decoding: bytes, as: UTF8.self)) }
    }

    /// RedisClient
    static func redisClient() async throws -> RESPValue {
        let client = RedisClient(configuration: try RedisConfiguration(url: "redis://127.0.0.1:6379/0"))
        let pong = try await client.send(["PING"])
        await client.close()
        return pong
    }

    /// ConcurrencyPermitStore (in Sluice, but its store is SluiceRedis's)
    static func permitStore(key: String, sharedStore: RedisRateLimitStore) -> LLMClient.Configuration {
        var configuration = LLMClient.Configuration.anthropic(apiKey: key)
        configuration.concurrency = ConcurrencyLimits(maxConcurrentRequestsPerKey: 8)
        configuration.concurrencyStore = sharedStore.concurrencyPermits
        return configuration
    }

    /// RedisConcurrencyPermits
    static func concurrencyPermits(key: String) throws -> LLMClient.Configuration {
        let store = RedisRateLimitStore(configuration: try .init(url: "redis://127.0.0.1:6379/0"))
        var configuration = LLMClient.Configuration.anthropic(apiKey: key)
        configuration.concurrency = ConcurrencyLimits(maxConcurrentRequestsPerKey: 8)
        configuration.concurrencyStore = store.concurrencyPermits
        return configuration
    }

    /// RedisConfiguration
    static func redisConfiguration() throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: "redis://app:secret@127.0.0.1:6379/2")
        configuration.commandTimeout = .milliseconds(500)
        return configuration
    }

    /// RedisConfiguration.TLS
    static func redisTLS() throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: "rediss://app:secret@redis.internal:6380/0")
        configuration.tls?.caCertificateFile = "/etc/ssl/redis-ca.pem"
        return configuration
    }

    /// RedisConnection
    static func redisConnection() async throws -> RESPValue {
        let connection = try await RedisConnection.connect(to: RedisConfiguration(url: "redis://127.0.0.1:6379/0"))
        let pong = try await connection.send(["PING"])
        await connection.close()
        return pong
    }

    /// RedisRateLimitStore
    static func redisStore() throws -> RateLimitMiddleware.Configuration {
        let store = try RedisRateLimitStore(configuration: .init(url: "redis://127.0.0.1:6379/0"))
        var limits = RateLimitMiddleware.Configuration(keys: [APIKey("sk-…", limits: RateLimits(requestsPerMinute: 500))])
        limits.store = store
        return limits
    }
}
