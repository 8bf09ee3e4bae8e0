import Foundation
import Logging
import Sluice

// The Swift samples of the doc comments in Sources/Sluice/Admission, Concurrency, RateLimit, Retry,
// Timeouts and Streaming (its limits), each inside a function whose parameters supply what the sample
// leaves to the reader. This file compiling is what keeps those samples compiling;
// `DocumentationSamplesTests` checks that they are here line for line. Change them together. The
// functions are compiled, not run.

enum LimitsSymbolSamples {
    // MARK: Admission

    /// AdmissionQueuePolicy
    static func admissionQueue() throws -> ConcurrencyLimits {
        var limits = ConcurrencyLimits(maxConcurrentRequestsPerKey: 8)
        limits.queue = try AdmissionQueuePolicy(maxWaiting: 100)
        return limits
    }

    /// CallPriority
    static func priority() -> CallOptions {
        var options = CallOptions()
        options.priority = .batch
        return options
    }

    // MARK: Concurrency

    /// AdaptiveConcurrency
    static func adaptive(key: String) throws -> LLMClient.Configuration {
        var configuration = LLMClient.Configuration.openAI(apiKey: key)
        configuration.concurrency = ConcurrencyLimits(
            adaptive: try AdaptiveConcurrency(initialLimit: 8, minimumLimit: 2, maximumLimit: 64))
        return configuration
    }

    /// ConcurrencyGauges
    static func gauges(middleware: ConcurrencyLimitMiddleware, keyID: KeyID) {
        let gauges = middleware.gauges
        print(gauges.inFlight, gauges.waiting, gauges.inFlightByKey[keyID] ?? 0)
    }

    /// ConcurrencyLimitMiddleware
    static func concurrencyLimiter() {
        let limiter = ConcurrencyLimitMiddleware(
            limits: ConcurrencyLimits(maxConcurrentRequests: 32, maxConcurrentRequestsPerKey: 8)
        )
        // … placed inside the rate limiter and outside the attempt timeout.
        print(limiter.gauges.inFlight, limiter.gauges.waiting)
    }

    /// ConcurrencyLimits
    static func concurrencyLimits(batchKey: String) -> ConcurrencyLimitMiddleware {
        var limits = ConcurrencyLimits(maxConcurrentRequests: 64, maxConcurrentRequestsPerKey: 16)
        limits.perKeyOverrides[KeyID(apiKey: batchKey)] = 4     // a key with a smaller allowance
        let middleware = ConcurrencyLimitMiddleware(limits: limits)
        return middleware
    }

    // MARK: RateLimit

    /// APIKey
    static func apiKey() -> APIKey {
        let key = APIKey(
            ProcessInfo.processInfo.environment["OPENAI_API_KEY"] ?? "",
            label: "primary",
            limits: RateLimits(requestsPerMinute: 500, tokensPerMinute: 200_000),
            modelLimits: ["gpt-4o": RateLimits(requestsPerMinute: 100, tokensPerMinute: 30_000)]
        )
        return key
    }

    /// InMemoryRateLimitStore
    static func inMemoryStore() -> InMemoryRateLimitStore {
        let store = InMemoryRateLimitStore(clock: SystemClock.shared)
        return store
    }

    /// RateLimitKeyPool
    static func keyPool(configuration: RateLimitMiddleware.Configuration, logger: Logger) {
        let limiter = RateLimitMiddleware(configuration: configuration, adapter: OpenAIAdapter(), clock: SystemClock.shared)
        for removed in limiter.pool.removedKeys { logger.warning("key \(removed.id) removed: \(removed.reason)") }
    }

    /// RateLimitMiddleware.Configuration
    static func rateLimitConfiguration(primaryKey: String, secondaryKey: String) -> RateLimitMiddleware.Configuration {
        var configuration = RateLimitMiddleware.Configuration(keys: [
            APIKey(primaryKey, label: "primary", limits: RateLimits(requestsPerMinute: 500, tokensPerMinute: 200_000)),
            APIKey(secondaryKey, label: "secondary", limits: RateLimits(requestsPerMinute: 500, tokensPerMinute: 200_000)),
        ])
        configuration.waitPolicy = .wait(atMost: .seconds(10))
        return configuration
    }

    /// RateLimitMiddleware
    static func rateLimiter(key: String) -> RateLimitMiddleware {
        let limiter = RateLimitMiddleware(
            configuration: .init(apiKey: key, limits: RateLimits(requestsPerMinute: 500, tokensPerMinute: 200_000)),
            adapter: OpenAIAdapter(),
            clock: SystemClock.shared
        )
        return limiter
    }

    /// RateLimitObservation
    static func observation(response: ClientResponse) {
        let observation = RateLimitObservation(headers: response.headers)
        let requests = observation?.limit.requests     // 500
        let tokens = observation?.remaining.tokens     // 39_120
        let retryAfter = observation?.retryAfter       // .milliseconds(1_250)
        _ = (requests, tokens, retryAfter)
    }

    /// RateLimitSafetyMargin
    static func safetyMargin(keys: [APIKey]) -> RateLimitMiddleware.Configuration {
        var configuration = RateLimitMiddleware.Configuration(keys: keys)
        configuration.safetyMargin = RateLimitSafetyMargin(fractionOfCapacity: 0.05, refillTime: .milliseconds(500))
        configuration.safetyMargin = .none      // trust the configured limits exactly
        return configuration
    }

    /// RateLimitSettlementPolicy
    static func settlement(keys: [APIKey]) -> RateLimitMiddleware.Configuration {
        var configuration = RateLimitMiddleware.Configuration(keys: keys)
        configuration.settlement = .refundUnusedOutput
        configuration.settlement = RateLimitSettlementPolicy { reserved, usage in
            TokenCharge(input: reserved.input, output: usage?.outputTokens ?? reserved.maxOutput)
        }
        return configuration
    }

    /// RateLimitStore
    static func store(keys: [APIKey]) -> RateLimitMiddleware.Configuration {
        let store = InMemoryRateLimitStore(clock: SystemClock.shared)
        var configuration = RateLimitMiddleware.Configuration(keys: keys)
        configuration.store = store
        return configuration
    }

    /// RateLimitWaitPolicy
    static func waitPolicy() -> CallOptions {
        var options = CallOptions()
        options.rateLimitWaitPolicy = .failFast
        options.rateLimitWaitPolicy = .wait(atMost: .seconds(2))
        return options
    }

    /// RateLimits
    static func rateLimits() -> [RateLimits] {
        let openAI = RateLimits(requestsPerMinute: 500, tokensPerMinute: 200_000)
        let anthropic = RateLimits(requestsPerMinute: 50, inputTokensPerMinute: 30_000, outputTokensPerMinute: 8_000)
        let smooth = RateLimits(requestsPerMinute: 600, requestBurst: 10)
        return [openAI, anthropic, smooth]
    }

    // MARK: Retry

    /// CallOptions.retryPolicy
    static func retryDisabled() -> CallOptions {
        var options = CallOptions()
        options.retryPolicy = .disabled
        return options
    }

    /// RetryBudget
    static func retryBudget(clock: any SluiceClock) -> RetryMiddleware {
        let budget = RetryBudget(ratio: 0.1, clock: clock)      // one per client, shared by its calls
        let retry = RetryMiddleware(policy: .default, budget: budget, clock: clock)
        return retry
    }

    /// RetryMiddleware
    static func retryMiddleware(clock: any SluiceClock) -> RetryMiddleware {
        let retry = RetryMiddleware(policy: .default, budget: RetryBudget(clock: clock), clock: clock)
        return retry
    }

    /// RetryPolicy.Jitter
    static func jitter() throws -> RetryPolicy {
        let policy = try RetryPolicy(jitter: .equal)
        return policy
    }

    /// RetryPolicy
    static func retryPolicy() throws -> (RetryPolicy, CallOptions) {
        let policy = try RetryPolicy(maxAttempts: 5, initialBackoff: .seconds(1), jitter: .equal)
        var options = CallOptions()
        options.retryPolicy = .disabled      // this call: one attempt only
        return (policy, options)
    }

    // MARK: Streaming limits

    /// CallOptions.streamLimits
    static func callStreamLimits() -> CallOptions {
        var options = CallOptions()
        options.streamLimits = StreamLimits(maxBytes: 1 << 20)
        return options
    }

    /// StreamLimits
    static func streamLimits(configuration: inout LLMClient.Configuration) -> CallOptions {
        configuration.streamLimits = StreamLimits(maxBytes: 8 << 20)   // every stream of the client
        var options = CallOptions()
        options.streamLimits = StreamLimits(maxEventBytes: 4 << 20)    // one call
        return options
    }

    // MARK: Timeouts

    /// AttemptTimeoutMiddleware
    static func attemptTimeout(clock: any SluiceClock) -> AttemptTimeoutMiddleware {
        let timeouts = AttemptTimeoutMiddleware(policy: TimeoutPolicy(idle: .seconds(30)), clock: clock)
        return timeouts
    }

    /// CallOptions.timeouts
    static func callTimeouts() -> CallOptions {
        var options = CallOptions()
        options.timeouts = TimeoutPolicy(total: .seconds(20))
        return options
    }

    /// DeadlineMiddleware
    static func deadline(clock: any SluiceClock) -> DeadlineMiddleware {
        let deadline = DeadlineMiddleware(policy: TimeoutPolicy(total: .seconds(30)), clock: clock)
        return deadline
    }

    /// TimeoutPolicy
    static func timeoutPolicy() -> CallOptions {
        var timeouts = TimeoutPolicy.default
        timeouts.total = .seconds(30)        // the whole call, retries included
        timeouts.firstByte = .seconds(10)    // the server must start answering soon…
        timeouts.firstToken = .seconds(120)  // …but may think for a while
        timeouts.idle = .seconds(20)
        var options = CallOptions()
        options.timeouts = timeouts          // for one call
        return options
    }
}
