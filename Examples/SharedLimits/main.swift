// Shared limits: three replicas of a service share one key's limits through Redis.
//
//     SLUICE_REDIS_URL=redis://127.0.0.1:6379/0 swift run ExampleSharedLimits
//
// Needs a redis-server (default redis://127.0.0.1:6379/0; `scripts/shared-limits` starts one and
// runs this). Each replica is a client with a store of its own, as separate processes would have;
// they share the key through Redis. The mock LLM server, started in-process on 127.0.0.1, enforces
// the key's limit the way the provider would, and counts the 429s it had to send: none.
import Foundation
import Sluice
import SluiceMockServer
import SluiceRedis

let url = ProcessInfo.processInfo.environment["SLUICE_REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "redis://127.0.0.1:6379/0"
// 30 requests at once, then 5 a second: the provider's limit for this key, over every replica.
let limits = RateLimits(requestsPerMinute: 300, requestBurst: 30)
let mock = MockServerConfiguration(
    keys: [MockAPIKey(name: "shared", secret: "sk-shared", limits: MockRateLimits(requestsPerMinute: 300, requestBurst: 30))],
    acceptsUnknownKeys: false, replyTokens: 8)

try await MockLLMServer.withRunning(mock) { server in
    var stores: [RedisRateLimitStore] = []
    // One prefix for this run (every replica must use the same), so runs do not meet in Redis.
    let prefix = "sluice:example:\(UInt32.random(in: 0...UInt32.max))"
    let clock = ContinuousClock()
    let start = clock.now
    try await withThrowingTaskGroup(of: Void.self) { replicas in
        for replica in 1...3 {
            // What each replica configures: the same key (same label), the same limits, one Redis.
            var storeConfiguration = try RedisRateLimitStore.Configuration(url: url)
            storeConfiguration.keyPrefix = prefix
            storeConfiguration.failurePolicy = .failClosed  // this example wants Redis, not a fallback
            storeConfiguration.onEvent = { event in print("replica \(replica): \(event)") }
            let store = RedisRateLimitStore(configuration: storeConfiguration)
            stores.append(store)
            var configuration = LLMClient.Configuration.openAI(apiKey: "sk-shared", baseURL: server.baseURL + "/v1")
            configuration.rateLimits = RateLimitMiddleware.Configuration(
                keys: [APIKey("sk-shared", label: "shared", limits: limits)], store: store)
            replicas.addTask {
                try await withLLMClient(configuration) { client in
                    // 15 calls per replica, 45 in all: 30 at once, the rest at 5 a second.
                    try await withThrowingTaskGroup(of: Void.self) { calls in
                        for index in 1...15 {
                            let request = ChatRequest(
                                model: "gpt-4o-mini", messages: [.user("Replica \(replica), call \(index)")], maxOutputTokens: 8)
                            calls.addTask { _ = try await client.chat(request) }
                        }
                        try await calls.waitForAll()
                    }
                }
            }
        }
        try await replicas.waitForAll()
    }
    let elapsed = clock.now - start
    let key = server.stats[key: "shared"]
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    print("3 replicas × 15 calls in \(String(format: "%.1f", seconds)) s (ideally 3 s): "
        + "the server served \(key.requests) and answered \(key.rateLimited) with 429")
    for store in stores { await store.close() }
    if key.rateLimited > 0 { throw ExampleFailure("the replicas overran the key's limit") }
}

struct ExampleFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
