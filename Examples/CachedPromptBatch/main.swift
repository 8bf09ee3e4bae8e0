// A batch that shares a long, cached system prompt, held to an input-tokens-per-minute limit that
// does not count cache reads (as Anthropic's does not): the limiter reserves each whole prompt,
// gives the cache reads back when the call settles, and so keeps the limit busy with what it counts.
//
//     swift run ExampleCachedPromptBatch
//
// Runs against the mock LLM server started in-process on 127.0.0.1, whose Anthropic route honours
// cache_control and counts its input bucket as Anthropic does (input and cache writes, not reads).
import Foundation
import Sluice
import SluiceMockServer

/// The shared instructions: about 2 000 tokens, the same for every call.
let manual = String(repeating: "Clause: answer from the contract, cite the clause, keep it short. ", count: 123)
let inputTokensPerMinute = 24_000
/// One prompt's estimate and the limiter's headroom fit; little more, so that the run measures the
/// steady rate rather than a free first burst.
let inputTokenBurst = 2_300
let calls = 100

let limits = MockRateLimits(inputTokensPerMinute: inputTokensPerMinute, inputTokenBurst: inputTokenBurst)
let mock = MockServerConfiguration(keys: [MockAPIKey(name: "batch", secret: "sk-ant-batch", limits: limits)])

func run(_ server: MockLLMServer) async throws {
    var configuration = LLMClient.Configuration.anthropic(apiKey: "sk-ant-batch", baseURL: server.baseURL)
    configuration.rateLimits = RateLimitMiddleware.Configuration(keys: [
        APIKey(
            "sk-ant-batch", label: "batch",
            limits: RateLimits(inputTokensPerMinute: inputTokensPerMinute, inputTokenBurst: inputTokenBurst))
    ])
    // The system prompt is the cached prefix; each call's question varies after it.
    let requests = (1...calls).map { index in
        ChatRequest(
            model: "claude-test",
            messages: [
                ChatMessage.system(manual).cached(), .user("Question \(index): what does clause \(index) say?"),
            ],
            maxOutputTokens: 16)
    }

    let started = ContinuousClock.now
    let results = try await withLLMClient(configuration) { client in
        await client.chatBatch(requests, maxConcurrency: 8)
    }
    let elapsed = ContinuousClock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18

    var usage = Usage()
    var failed = 0
    for result in results {
        guard case .success(let reply) = result, let reply = reply.usage else {
            failed += 1
            continue
        }
        usage.inputTokens += reply.inputTokens
        usage.cachedInputTokens = (usage.cachedInputTokens ?? 0) + (reply.cachedInputTokens ?? 0)
        usage.cacheCreationInputTokens = (usage.cacheCreationInputTokens ?? 0) + (reply.cacheCreationInputTokens ?? 0)
    }
    let stats = server.stats[key: "batch"]
    let counted = stats.inputTokensCharged
    let allowed = Double(inputTokensPerMinute) * seconds / 60
    print("\(calls - failed) of \(calls) calls succeeded in \(String(format: "%.1f", seconds)) s")
    print(
        "prompt tokens: \(usage.inputTokens), of which \(usage.cachedInputTokens ?? 0) read from the cache "
            + "and \(usage.cacheCreationInputTokens ?? 0) written to it")
    print("the input limit counted \(counted) tokens (input and cache writes, not reads)")
    print(
        "input limit used: \(String(format: "%.1f", Double(counted) / allowed * 100)) % of "
            + "\(inputTokensPerMinute) tokens/min over the run")
    print("\(stats.tooManyRequests) rate-limited (429) answers")
    let reservedEachCall = usage.inputTokens / max(1, calls - failed)
    print(
        "counting cache reads, the same calls would have needed \(usage.inputTokens) input tokens of budget: "
            + "about \(usage.inputTokens * 60 / inputTokensPerMinute) s at this limit "
            + "(\(reservedEachCall) per call)")
}

try await MockLLMServer.withRunning(mock) { server in try await run(server) }
