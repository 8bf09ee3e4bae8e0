// Limits per key with a key pool: two keys with different limits, and which key served each call.
//
//     swift run ExampleKeyPool
//
// Runs against the mock LLM server started in-process on 127.0.0.1, which enforces the same
// per-key limits; with OPENAI_API_KEY or ANTHROPIC_API_KEY set, both pool entries use that one key.
import Sluice
import SluiceMockServer

/// Prints which key each attempt went out with. The pool picks the key per attempt, so read it
/// from an attempt's events (`response_head` also has the status).
struct KeyReporter: ClientEventHandler {
    func handle(_ event: ClientEvent) {
        guard event.kind == .responseHead else { return }
        print("  call \(event.callID) → \(event.keyID?.description ?? "?") (HTTP \(event.status ?? 0))")
    }
}

func run(
    _ base: LLMClient.Configuration,
    model: String,
    secrets: (primary: String, backup: String),
    server: MockLLMServer?
) async throws {
    var configuration = base
    // Each request goes to the key that can admit it soonest; on a tie, to the one with the most
    // headroom (as a fraction of its limits). Labels name the keys in events; secrets never appear.
    configuration.rateLimits = RateLimitMiddleware.Configuration(keys: [
        APIKey(secrets.primary, label: "primary", limits: RateLimits(requestsPerMinute: 8)),
        APIKey(secrets.backup, label: "backup", limits: RateLimits(requestsPerMinute: 4)),
    ])
    configuration.eventHandlers = [KeyReporter()]

    try await withLLMClient(configuration) { client in
        print("10 calls at once over primary (8 requests/min) and backup (4 requests/min):")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 1...10 {
                let request = ChatRequest(model: model, messages: [.user("Canal fact #\(index)?")], maxOutputTokens: 30)
                group.addTask { _ = try await client.chat(request) }
            }
            try await group.waitForAll()
        }

        // Both keys are out of budget for now (the limiter also keeps a small safety margin). By
        // default a call waits until a key can take it; with `.failFast` it fails at once instead.
        var options = CallOptions()
        options.rateLimitWaitPolicy = .failFast
        do {
            let request = ChatRequest(model: model, messages: [.user("One more?")], maxOutputTokens: 30)
            _ = try await client.chat(request, options: options)
        } catch let error as SluiceError {
            print("\nAn 11th call with .failFast fails at once:\n  \(error.code): \(error.message)")
        }
    }

    // The server saw the same split, and never had to answer 429.
    if let stats = server?.stats {
        for name in ["primary", "backup"] {
            let key = stats[key: name]
            print("server: \(name) served \(key.requests) requests, \(key.rateLimited) rate-limited")
        }
    }
}

// A real provider when its key is in the environment, else the embedded mock server.
if let configuration = try? LLMClient.Configuration.fromEnvironment() {
    let model = configuration.adapter.provider == .anthropic ? "claude-haiku-4-5" : "gpt-4o-mini"
    try await run(configuration, model: model, secrets: (configuration.apiKey, configuration.apiKey), server: nil)
} else {
    // The mock enforces the same limits per key, the way the provider would.
    let mock = MockServerConfiguration(
        keys: [
            MockAPIKey(name: "primary", secret: "sk-primary", limits: MockRateLimits(requestsPerMinute: 8)),
            MockAPIKey(name: "backup", secret: "sk-backup", limits: MockRateLimits(requestsPerMinute: 4)),
        ],
        acceptsUnknownKeys: false,
        replyTokens: 8
    )
    try await MockLLMServer.withRunning(mock) { server in
        let configuration = LLMClient.Configuration.openAI(apiKey: "sk-primary", baseURL: server.baseURL + "/v1")
        try await run(configuration, model: "gpt-4o-mini", secrets: ("sk-primary", "sk-backup"), server: server)
    }
}
