// The cost of the middleware stack, in memory (no sockets): a chat call with no layers at all (adapter
// encode, InMemoryTransport, collect, decode — the baseline), the same call through LLMClient with its
// default stack (deadline, retry, attempt timeouts), with a concurrency limit, and with rate limits
// too; and ConcurrencyLimitMiddleware's acquire/release, alone and under 64 concurrent tasks.
import Benchmark
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import Sluice
import SluiceTesting
import Synchronization

/// A tiny OpenAI chat.completion.
let tinyCompletion = Array(
    (#"{"id":"chatcmpl-1","object":"chat.completion","created":1741570283,"model":"gpt-4o-mini","#
        + #""choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"finish_reason":"stop"}],"#
        + #""usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}"#).utf8)

let chatRequest = ChatRequest(model: "gpt-4o-mini", messages: [.user("Hello")])

/// A transport that answers every request with `tinyCompletion`, at once. Like `CurlTransport`, it
/// enforces the response head limit itself (it never keeps a request waiting), so the stack hands
/// the limit down instead of timing the head with a task; `asyncTransport()` is one that does not.
func makeTransport() -> InMemoryTransport {
    InMemoryTransport.immediate { _ in ClientResponse(status: 200, body: ResponseBody(bytes: tinyCompletion)) }
}

/// The same answer from an async handler: the stack must time the head itself (a task per attempt).
func asyncTransport() -> InMemoryTransport {
    InMemoryTransport { _ in ClientResponse(status: 200, body: ResponseBody(bytes: tinyCompletion)) }
}

/// A client over `transport` (default `makeTransport()`), configured by `configure`.
func makeClient(
    transport: InMemoryTransport = makeTransport(), _ configure: (inout LLMClient.Configuration) -> Void = { _ in }
) -> LLMClient {
    var configuration = LLMClient.Configuration.openAI(apiKey: "k", baseURL: "http://127.0.0.1:1/v1")
    configure(&configuration)
    return LLMClient(configuration, transport: transport)
}

/// Measures `benchmark.scaledIterations` sequential chat calls through `client`.
func measureChats(_ benchmark: Benchmark, _ client: LLMClient) async throws {
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
        blackHole(try await client.chat(chatRequest))
    }
    benchmark.stopMeasurement()
}

/// An event handler that does nothing: what dispatch costs by itself.
struct NoOpHandler: ClientEventHandler {
    func handle(_ event: ClientEvent) { blackHole(event.kind) }
}

/// Operations left to run, shared by the tasks of one run.
final class Remaining: Sendable {
    let count: Atomic<Int>
    init(_ count: Int) { self.count = Atomic(count) }
}

/// Runs `operations` sends through `middleware` from `tasks` concurrent tasks; each response body
/// is discarded at once, which gives the permit back. With `suspend`, the layer below yields before
/// answering, so permits are held across a suspension and tasks queue when the limit is below
/// `tasks`.
func hammer(_ middleware: ConcurrencyLimitMiddleware, operations: Int, tasks: Int, suspend: Bool = false) async {
    let request = ClientRequest(method: .post, url: "http://127.0.0.1:1/v1/chat/completions")
    let context = ClientContext(
        callID: 1, provider: .openAI, model: "m", operation: .chat, keyID: KeyID(rawValue: "key-a"))
    let remaining = Remaining(operations)
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<tasks {
            group.addTask {
                while remaining.count.subtract(1, ordering: .relaxed).oldValue > 0 {
                    let response = try? await middleware.intercept(request, context: context) { _, _ in
                        if suspend { await Task.yield() }
                        return ClientResponse(status: 200)
                    }
                    response?.body.discard()
                }
            }
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 2,
        maxDuration: .seconds(5),
        maxIterations: 100
    )
    // `scripts/bench --smoke` (run by CI) only checks that every benchmark still builds and runs.
    if getenv("SLUICE_BENCH_SMOKE") != nil {
        Benchmark.defaultConfiguration.warmupIterations = 0
        Benchmark.defaultConfiguration.maxIterations = 2
        Benchmark.defaultConfiguration.maxDuration = .milliseconds(200)
    }

    Benchmark(
        "chat, no client: encode + InMemoryTransport + collect + decode (baseline)",
        configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        let adapter = OpenAIAdapter()
        let endpoint = ProviderEndpoint(baseURL: "http://127.0.0.1:1/v1", apiKey: "k")
        let transport = makeTransport()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let request = try adapter.chatRequest(chatRequest, stream: false, endpoint: endpoint)
            let response = try await transport.send(request)
            let body = try await response.body.collect(upTo: 1 << 20)
            blackHole(try adapter.decodeChatResponse(body, headers: response.headers))
        }
        benchmark.stopMeasurement()
    }

    Benchmark(
        "LLMClient.chat, default stack (deadline, retry, attempt timeouts)",
        configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        let client = makeClient()
        try await measureChats(benchmark, client)
    }

    // Event dispatch: the same call with 0, 1 and 4 handlers that do nothing, so the difference is
    // the cost of building and delivering the call's events.
    for handlers in [0, 1, 4] {
        Benchmark(
            "LLMClient.chat, default stack, \(handlers) no-op event handler(s)",
            configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
        ) { benchmark in
            let client = makeClient { $0.eventHandlers = Array(repeating: NoOpHandler(), count: handlers) }
            try await measureChats(benchmark, client)
        }
    }

    Benchmark(
        "LLMClient.chat, default stack + concurrency limit",
        configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        let client = makeClient {
            $0.concurrency = ConcurrencyLimits(maxConcurrentRequests: 64, maxConcurrentRequestsPerKey: 16)
        }
        try await measureChats(benchmark, client)
    }

    Benchmark(
        "LLMClient.chat, full stack (default + rate limits + concurrency limit)",
        configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        let client = makeClient {
            $0.concurrency = ConcurrencyLimits(maxConcurrentRequests: 64, maxConcurrentRequestsPerKey: 16)
            $0.limit(RateLimits(requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000_000))
        }
        try await measureChats(benchmark, client)
    }

    Benchmark(
        "LLMClient.chat, full stack over a transport that does not time the head (async handler)",
        configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        let client = makeClient(transport: asyncTransport()) {
            $0.concurrency = ConcurrencyLimits(maxConcurrentRequests: 64, maxConcurrentRequestsPerKey: 16)
            $0.limit(RateLimits(requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000_000))
        }
        try await measureChats(benchmark, client)
    }

    // Where the default stack's time goes: each layer on its own.
    for (variant, name) in [
        "LLMClient.chat, no layers (retry off, no budget, no time limits)",
        "LLMClient.chat, retry + budget only",
        "LLMClient.chat, attempt time limits only",
    ].enumerated() {
        Benchmark(name, configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)) {
            benchmark in
            let client = makeClient { configuration in
                if variant != 1 {
                    configuration.retryPolicy = .disabled
                    configuration.retryBudget = nil
                }
                if variant != 2 { configuration.timeouts = .unlimited }
            }
            try await measureChats(benchmark, client)
        }
    }

    // The cost of the hooks on the full stack: no handler, the usage tracker, the tracker plus a
    // swift-log handler at info (lifecycle events are debug, so nothing is printed).
    for (variant, name) in [
        "hooks: full stack, no handler",
        "hooks: full stack, UsageTracker",
        "hooks: full stack, UsageTracker + LoggingEventHandler at info",
    ].enumerated() {
        Benchmark(name, configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)) {
            benchmark in
            var handlers: [any ClientEventHandler] = []
            if variant >= 1 { handlers.append(UsageTracker()) }
            if variant >= 2 {
                var logger = Logger(label: "bench") { StreamLogHandler.standardError(label: $0) }
                logger.logLevel = .info
                handlers.append(LoggingEventHandler(logger: logger))
            }
            let client = makeClient {
                $0.concurrency = ConcurrencyLimits(maxConcurrentRequests: 64, maxConcurrentRequestsPerKey: 16)
                $0.limit(RateLimits(requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000_000))
                $0.eventHandlers = handlers
            }
            try await measureChats(benchmark, client)
        }
    }

    // The rate limiter's store: reserve then settle, from 64 concurrent tasks, never waiting.
    Benchmark(
        "InMemoryRateLimitStore reserve + settle, 64 tasks",
        configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        let store = InMemoryRateLimitStore()
        let candidate = RateLimitCandidate(
            bucket: RateLimitBucketID(keyID: KeyID(rawValue: "key-a")),
            limits: RateLimits(requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000_000))
        let request = RateLimitReservationRequest(
            candidates: [candidate], cost: RateLimitCost(estimate: TokenEstimate(input: 20, maxOutput: 100)))
        let remaining = Remaining(benchmark.scaledIterations.count)
        benchmark.startMeasurement()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    while remaining.count.subtract(1, ordering: .relaxed).oldValue > 0 {
                        if let reservation = try? await store.reserve(request) {
                            store.settle(reservation, charge: reservation.cost)
                        }
                    }
                }
            }
        }
        benchmark.stopMeasurement()
    }

    Benchmark(
        "yield baseline: 64 tasks, no middleware (held across a yield)",
        configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        let remaining = Remaining(benchmark.scaledIterations.count)
        benchmark.startMeasurement()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    while remaining.count.subtract(1, ordering: .relaxed).oldValue > 0 {
                        await Task.yield()
                        ClientResponse(status: 200).body.discard()
                    }
                }
            }
        }
        benchmark.stopMeasurement()
    }

    Benchmark(
        "ConcurrencyLimitMiddleware acquire/release, one task, uncontended",
        configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        let limiter = ConcurrencyLimitMiddleware(limits: ConcurrencyLimits(maxConcurrentRequests: 64))
        benchmark.startMeasurement()
        await hammer(limiter, operations: benchmark.scaledIterations.count, tasks: 1)
        benchmark.stopMeasurement()
    }

    Benchmark(
        "ConcurrencyLimitMiddleware acquire/release, 64 tasks, limit 64 (held across a yield)",
        configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        let limiter = ConcurrencyLimitMiddleware(limits: ConcurrencyLimits(maxConcurrentRequests: 64))
        benchmark.startMeasurement()
        await hammer(limiter, operations: benchmark.scaledIterations.count, tasks: 64, suspend: true)
        benchmark.stopMeasurement()
    }

    Benchmark(
        "ConcurrencyLimitMiddleware acquire/release, 64 tasks, limit 8 (held across a yield: queueing)",
        configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        let limiter = ConcurrencyLimitMiddleware(limits: ConcurrencyLimits(maxConcurrentRequests: 8))
        benchmark.startMeasurement()
        await hammer(limiter, operations: benchmark.scaledIterations.count, tasks: 64, suspend: true)
        benchmark.stopMeasurement()
    }
}
