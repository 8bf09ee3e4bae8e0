import Sluice
import SluiceMockServer

/// One API key of the demo: a team with its own (fake) key and its own limits, the same on the mock
/// server and in Sluice's limiter.
struct DemoTeam: Sendable {
    /// The name shown in the view and used for the key's stats on the mock server.
    let name: String
    /// A fake key for the loopback mock server; never printed.
    let secret: String
    let requestsPerMinute: Int
    let tokensPerMinute: Int
    /// Bucket capacities: small, so that the limits bind within a second or two.
    let requestBurst: Int
    let tokenBurst: Int

    var mockLimits: MockRateLimits {
        MockRateLimits(
            requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute,
            requestBurst: requestBurst, tokenBurst: tokenBurst)
    }

    var sluiceLimits: RateLimits {
        RateLimits(
            requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute,
            requestBurst: requestBurst, tokenBurst: tokenBurst)
    }
}

/// One call of the workload.
struct DemoJob: Sendable {
    let index: Int
    /// Index into ``DemoScenario/teams``.
    let team: Int
    let streamed: Bool
    let request: ChatRequest
}

/// Everything both runs share: the mock server (limits, pacing, seeded faults), the workload and the
/// two client set-ups. Both runs get a fresh server with the same configuration and seed, and the same
/// jobs in the same order, so the only difference is the client.
struct DemoScenario: Sendable {
    static let model = "gpt-4o-mini"

    var requests: Int
    var seed: UInt64
    /// Callers sending at once (both runs): a service working through a backlog.
    var callers = 64
    var teams = [
        DemoTeam(
            name: "team-a", secret: "sk-demo-team-a-not-a-real-key", requestsPerMinute: 600, tokensPerMinute: 40_000,
            requestBurst: 10, tokenBurst: 1_000),
        DemoTeam(
            name: "team-b", secret: "sk-demo-team-b-not-a-real-key", requestsPerMinute: 300, tokensPerMinute: 20_000,
            requestBurst: 5, tokenBurst: 500),
    ]
    var maxOutputTokens = 24
    var replyTokens = 20
    var latency = MockLatency(head: .milliseconds(40), firstToken: .milliseconds(120), perToken: .milliseconds(20))
    /// The hard cap of one run: callers still busy then are cancelled.
    var runCap: Duration = .seconds(50)
    /// The whole-call deadline of every call (both clients).
    var callDeadline: Duration = .seconds(30)

    /// The injected faults, drawn from the seed in order of admission.
    var faultEntries: [MockFaultPlan.Entry] {
        [
            .rate(0.02, .serverError(500)),
            .rate(0.015, .serverError(503, retryAfter: .both(.milliseconds(400)))),
            .rate(0.01, .overloaded(retryAfter: .both(.milliseconds(400)))),
            .rate(0.01, .dropConnection(afterTokens: 6)),
            .rate(0.01, .firstTokenDelay(.seconds(3))),
        ]
    }

    /// A one-line summary of the faults for the header.
    static let faultSummary = "2% 500, 1.5% 503, 1% 529, 1% dropped, 1% first token +3 s"

    func serverConfiguration() -> MockServerConfiguration {
        var configuration = MockServerConfiguration()
        configuration.keys = teams.map { MockAPIKey(name: $0.name, secret: $0.secret, limits: $0.mockLimits) }
        configuration.acceptsUnknownKeys = false
        configuration.replyTokens = replyTokens
        configuration.latency = latency
        configuration.faults = MockFaultPlan(seed: seed, faultEntries)
        return configuration
    }

    /// The jobs, in the order callers take them: two of every three for team-a, one for team-b (as
    /// their limits), one in three streamed on each team.
    func jobs() -> [DemoJob] {
        let topics = [
            "a refund that was charged twice", "a password reset email that never arrives",
            "an invoice in the wrong currency", "a dashboard that loads slowly", "a webhook that fires twice",
            "an export that stops at 10,000 rows", "a login loop on mobile", "a missing shipping label",
        ]
        return (0..<requests).map { index in
            let team = index % 3 == 2 ? 1 : 0
            let streamed = [0, 4, 8].contains(index % 9)
            let topic = topics[(index / 3 + Int(seed % 8)) % topics.count]
            let request = ChatRequest(
                model: Self.model,
                messages: [
                    .system("You are a support assistant. Be brief."),
                    .user("Ticket #\(1_000 + index): summarise \(topic)."),
                ],
                maxOutputTokens: maxOutputTokens
            )
            return DemoJob(index: index, team: team, streamed: streamed, request: request)
        }
    }

    /// Sluice as it is meant to be used: each key's limits as the provider states them, a concurrency
    /// cap, retries within a budget, and time limits per phase and per call.
    func sluiceConfiguration(
        team: DemoTeam, baseURL: String, handlers: [any ClientEventHandler]
    ) throws -> LLMClient.Configuration {
        var configuration = LLMClient.Configuration.openAI(apiKey: team.secret, baseURL: baseURL)
        configuration.rateLimits = RateLimitMiddleware.Configuration(keys: [
            APIKey(team.secret, label: team.name, limits: team.sluiceLimits)
        ])
        configuration.concurrency = ConcurrencyLimits(maxConcurrentRequestsPerKey: 24)
        configuration.retryPolicy = try RetryPolicy(maxAttempts: 4)
        configuration.retryBudget = LLMClient.RetryBudgetSettings()
        configuration.timeouts = TimeoutPolicy(
            total: callDeadline, responseHead: .milliseconds(2_500), streamingResponseHead: .seconds(2),
            firstToken: .seconds(5), idle: .seconds(5))
        configuration.eventHandlers = handlers
        return configuration
    }

    /// What the official SDKs do by default: no limiter, no concurrency cap, two retries with
    /// exponential backoff (0.5 s doubling to 8 s, full jitter) on 408/409/429/5xx honouring
    /// `retry-after`, no retry budget. The whole-call deadline only keeps the demo bounded.
    func naiveConfiguration(
        team: DemoTeam, baseURL: String, handlers: [any ClientEventHandler]
    ) throws -> LLMClient.Configuration {
        var configuration = LLMClient.Configuration.openAI(apiKey: team.secret, baseURL: baseURL)
        configuration.rateLimits = nil
        configuration.concurrency = nil
        configuration.retryPolicy = try RetryPolicy(
            maxAttempts: 3, initialBackoff: .milliseconds(500), maxBackoff: .seconds(8))
        configuration.retryBudget = nil
        configuration.timeouts = TimeoutPolicy(total: callDeadline)
        configuration.eventHandlers = handlers
        return configuration
    }
}
