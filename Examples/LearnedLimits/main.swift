// Limits learned from the provider's rate-limit headers, with none configured: a burst of calls
// against a server that enforces a request burst and rate and says so in every answer.
//
//     swift run ExampleLearnedLimits
//
// Runs against a mock LLM server started in-process on 127.0.0.1 (always: the server's limits and
// its count of 429s are what it shows). Prints the limits the client learned and the 429 answers,
// and exits with status 1 and a message on standard error when a check fails.
import Foundation
import Sluice
import SluiceMockServer
import Synchronization

/// The server's limits and the burst of calls.
enum Setup {
    static let burst = 20
    static let requestsPerMinute = 600  // 10 a second
    static let tokensPerMinute = 120_000
    static let callers = 24
    static let calls = 60
}

/// Exits with status 1 and `message` on standard error unless `condition` holds.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    guard !condition else { return }
    FileHandle.standardError.write(Data("unexpected: \(message())\n".utf8))
    exit(1)
}

/// Records the limits the client learned.
final class LearnedLog: ClientEventHandler {
    let learned = Mutex<[(dimension: String, limit: Int, before: String)]>([])

    func handle(_ event: ClientEvent) {
        guard event.kind == .limitLearned, let dimension = event.reason, let limit = event.limit else { return }
        learned.withLock { $0.append((dimension, limit, event.text ?? "none before")) }
    }
}

/// The next call's number and the failed calls, shared by the callers.
final class Tally: Sendable {
    let next = Atomic(0)
    let failed = Atomic(0)
}

/// `Setup.calls` chats from `Setup.callers` concurrent tasks; returns how many failed.
func burstOfCalls(_ client: LLMClient) async -> Int {
    let tally = Tally()
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<Setup.callers {
            group.addTask {
                // Each pass takes one of the `calls` numbers, so the loops end after `calls` in all.
                while true {
                    let index = tally.next.add(1, ordering: .relaxed).oldValue
                    guard index < Setup.calls else { return }
                    let request = ChatRequest(
                        model: "gpt-4o-mini", messages: [.user("Ticket #\(index): summarize.")], maxOutputTokens: 8)
                    do {
                        _ = try await client.chat(request)
                    } catch {
                        tally.failed.add(1, ordering: .relaxed)
                    }
                }
            }
        }
    }
    return tally.failed.load(ordering: .relaxed)
}

/// The burst against `server`, then the checks.
func run(server: MockLLMServer) async throws {
    var configuration = LLMClient.Configuration.openAI(apiKey: "sk-mock-learned", baseURL: server.baseURL + "/v1")
    check(configuration.rateLimits == nil, "the example configures no limits")
    let log = LearnedLog()
    configuration.eventHandlers = [log]
    let client = try LLMClient(configuration)
    let failed = await burstOfCalls(client)
    await client.shutdown()
    let learned = log.learned.withLock { $0 }
    for entry in learned {
        print("learned \(entry.dimension) limit: \(entry.limit) a minute (\(entry.before))")
    }
    let rateLimited = server.stats[key: "learned"].rateLimited
    print("\(Setup.calls - failed) of \(Setup.calls) calls succeeded; \(rateLimited) rate-limited (429) answers")
    check(failed == 0, "\(failed) calls failed")
    check(
        learned.filter { $0.dimension == "requests" }.map(\.limit) == [Setup.requestsPerMinute],
        "the requests limit learned: \(learned)")
    check(
        learned.contains { $0.dimension == "tokens" && $0.limit == Setup.tokensPerMinute },
        "the tokens limit learned: \(learned)")
    // Only the first round, sent before any answer told the limits, can overdraw the burst.
    let firstRound = Setup.callers - Setup.burst
    check(rateLimited <= firstRound, "\(rateLimited) 429s, more than the first round's \(firstRound)")
    print("checks passed: limits learned from the headers, 429s only in the first round")
}

var serverConfiguration = MockServerConfiguration(replyTokens: 8)
serverConfiguration.latency = MockLatency(head: .milliseconds(20))
serverConfiguration.keys = [
    MockAPIKey(
        name: "learned", secret: "sk-mock-learned",
        limits: MockRateLimits(
            requestsPerMinute: Setup.requestsPerMinute, tokensPerMinute: Setup.tokensPerMinute,
            requestBurst: Setup.burst))
]
serverConfiguration.acceptsUnknownKeys = false
try await MockLLMServer.withRunning(serverConfiguration) { server in try await run(server: server) }
