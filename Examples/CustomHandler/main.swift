// A custom ClientEventHandler, and an async consumer of the same events through an EventStream.
//
//     swift run ExampleCustomHandler
//
// Runs against the mock LLM server started in-process on 127.0.0.1 (which answers the first call
// 503 once, so a retry shows up), or against OpenAI or Anthropic when OPENAI_API_KEY or
// ANTHROPIC_API_KEY is set.
import Sluice
import SluiceMockServer
import Synchronization

/// Counts each call's attempts and prints one line when the call ends.
///
/// `handle(_:)` runs synchronously on the task doing the call, in order for each call: keep it cheap
/// and never block. State shared by concurrent calls goes behind a lock.
final class CallSummaryHandler: ClientEventHandler {
    private let attempts = Mutex<[UInt64: Int]>([:])

    func handle(_ event: ClientEvent) {
        switch event.kind {
        case .attemptStarted:
            attempts.withLock { $0[event.callID, default: 0] += 1 }
        case .retryScheduled:
            let delay = "\(event.delay ?? .zero) (from \(event.delaySource ?? "?"))"
            print("  [handler] call \(event.callID): \(event.reason ?? "?"), retrying in \(delay)")
        case .requestSucceeded, .requestFailed:
            let count = attempts.withLock { $0.removeValue(forKey: event.callID) ?? 0 }
            let outcome = event.error.map { "failed: \($0.code)" } ?? "\(event.usage?.totalTokens ?? 0) tokens"
            print("  [handler] call \(event.callID) \(event.kind) after \(count) attempt(s): \(outcome)")
        default:
            break  // new kinds are added over time: always keep a default
        }
    }
}

func run(_ base: LLMClient.Configuration, model: String) async throws {
    var configuration = base
    configuration.eventHandlers = [CallSummaryHandler()]  // sees every call of this client

    // For slow or async work per event (a database, a queue), hand events to an EventStream: a
    // bounded buffer that drops the oldest event rather than ever blocking a call.
    let stream = EventStream(capacity: 256)
    let consumer = Task {
        var counts: [String: Int] = [:]
        for await event in stream.events {
            counts[event.kind.name, default: 0] += 1
            try? await Task.sleep(for: .milliseconds(2))  // stands in for an await on I/O
        }
        return counts
    }

    try await withLLMClient(configuration) { client in
        // The stream is attached for a task scope: it sees the calls made inside, child tasks too.
        try await withEventHandler(stream) {
            for question in ["What is a lock?", "What is a weir?", "What is a sluice?"] {
                let request = ChatRequest(model: model, messages: [.user(question)], maxOutputTokens: 40)
                let reply = try await client.chat(request)
                print("\(question) → \(reply.text)")
            }
        }
    }

    stream.finish()  // the consumer's loop ends after the buffered events
    let counts = await consumer.value
    print("\nThe async consumer saw:")
    for (kind, count) in counts.sorted(by: { $0.key < $1.key }) { print("  \(kind): \(count)") }
    print("  dropped: \(stream.droppedCount)")
}

// A real provider when its key is in the environment, else the embedded mock server.
if let configuration = try? LLMClient.Configuration.fromEnvironment() {
    let model = configuration.adapter.provider == .anthropic ? "claude-haiku-4-5" : "gpt-4o-mini"
    try await run(configuration, model: model)
} else {
    try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 6)) { server in
        server.enqueue(.serverError(503, retryAfter: .milliseconds(100)))  // the first call's first attempt
        try await run(.openAI(apiKey: "sk-mock", baseURL: server.baseURL + "/v1"), model: "gpt-4o-mini")
    }
}
