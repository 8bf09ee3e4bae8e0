import Sluice
import SluiceRedis
import Testing

// The code of the article "Sharing limits across processes", word for word: compiled here, and
// checked against the article by the test below.

func makeClient(apiKey: String, redisURL: String) throws -> LLMClient {
    var storeConfiguration = try RedisRateLimitStore.Configuration(url: redisURL)
    storeConfiguration.failurePolicy = .fallBackToLocal(share: 0.25)  // four replicas
    let store = RedisRateLimitStore(configuration: storeConfiguration)

    var configuration = LLMClient.Configuration.anthropic(apiKey: apiKey)
    configuration.rateLimits = RateLimitMiddleware.Configuration(
        keys: [
            APIKey(
                apiKey, label: "anthropic-main",
                limits: RateLimits(requestsPerMinute: 4_000, inputTokensPerMinute: 2_000_000, outputTokensPerMinute: 400_000))
        ],
        store: store)
    configuration.concurrency = ConcurrencyLimits(maxConcurrentRequestsPerKey: 64)
    configuration.concurrencyStore = store.concurrencyPermits
    return try LLMClient(configuration)
}

func storeConfiguration(redisURL: String) throws -> RedisRateLimitStore.Configuration {
    var configuration = try RedisRateLimitStore.Configuration(url: redisURL)
    configuration.failurePolicy = .failClosed
    configuration.keyPrefix = "billing-service:limits"
    configuration.onEvent = { event in
        if event.kind == .fallbackEntered || event.kind == .connectionLost { print("rate-limit store: \(event)") }
    }
    return configuration
}

@Suite("Article: Sharing limits across processes")
struct SharingLimitsArticleTests {
    @Test("the article's code is the code compiled here, and builds a client with a Redis store")
    func articleCode() throws {
        try ArticleCode.expectInSync(article: "SharingLimitsAcrossProcesses.md", count: 2)
        let client = try makeClient(apiKey: "sk-article", redisURL: "redis://127.0.0.1:6399/0")
        _ = client
        let configuration = try storeConfiguration(redisURL: "redis://user:secret-marker@127.0.0.1:6399/2")
        #expect(configuration.failurePolicy == .failClosed)
        #expect(configuration.redis.database == 2)
        #expect(!String(describing: configuration.redis).contains("secret-marker"))
    }
}
