// Callback handlers for every habit: a per-token handler, handlers for one call only, the logging
// handler, and an async handler fed from a bounded buffer.
//
//     swift run ExampleHandlers
//
// Runs against the mock LLM server started in-process on 127.0.0.1, or against OpenAI or Anthropic
// when OPENAI_API_KEY or ANTHROPIC_API_KEY is set.
import Logging
import Sluice
import SluiceMockServer
import Synchronization

/// LangChain's `on_llm_new_token`: every streamed text fragment as it arrives (the `chunk` event).
final class TokenPrinter: ClientEventHandler {
    let tokens = Mutex(0)

    func handle(_ event: ClientEvent) {
        guard event.kind == .chunk, let text = event.text else { return }
        tokens.withLock { $0 += 1 }
        print(text, terminator: "")
    }
}

/// Counts tokens and calls for the calls it is attached to.
final class CallCounter: ClientEventHandler {
    let totals = Mutex((calls: 0, input: 0, output: 0))

    func handle(_ event: ClientEvent) {
        guard event.kind == .requestSucceeded else { return }
        totals.withLock { totals in
            totals.calls += 1
            totals.input += event.usage?.inputTokens ?? 0
            totals.output += event.usage?.outputTokens ?? 0
        }
    }
}

/// An async handler: its work waits (here, a pretend write to an audit store), so it runs from a
/// task of its own through `AsyncEventDelivery`, never on the call path.
final class AuditTrail: AsyncEventHandler {
    let written = Mutex<[String]>([])

    func handle(_ event: ClientEvent) async {
        guard event.kind == .requestSucceeded || event.kind == .requestFailed else { return }
        try? await Task.sleep(for: .milliseconds(5))  // the store's round trip
        written.withLock { $0.append("call \(event.callID): \(event.kind)") }
    }
}

func run(_ base: LLMClient.Configuration, model: String) async throws {
    // Client scope: an async audit trail for every call, and a log of each call's course.
    let audit = AuditTrail()
    let delivery = AsyncEventDelivery(audit, capacity: 256)
    var logger = Logger(label: "example.handlers")
    logger.logLevel = .info  // a service's usual level: routine steps (debug) stay out
    var configuration = base
    configuration.eventHandlers = [delivery, LoggingEventHandler(logger: logger)]

    try await withLLMClient(configuration) { client in
        // 1. A per-token handler for one streamed call only (per-call scope: CallOptions).
        let printer = TokenPrinter()
        var options = CallOptions()
        options.eventHandlers = [printer]
        let request = ChatRequest(model: model, messages: [.user("Name three rivers.")], maxOutputTokens: 12)
        print("streamed: ", terminator: "")
        _ = try await client.streamChat(request, options: options) { stream in try await stream.finalResponse() }
        print("\nper-token handler saw \(printer.tokens.withLock { $0 }) fragments")

        // 2. A handler for a task scope: every call inside, child tasks too.
        let counter = CallCounter()
        try await withEventHandler(counter) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for topic in ["weirs", "locks", "culverts"] {
                    group.addTask { _ = try await client.chat("One line on \(topic).", model: model) }
                }
                try await group.waitForAll()
            }
        }
        // A call outside the scope is not counted.
        _ = try await client.chat("One more.", model: model)
        let totals = counter.totals.withLock { $0 }
        print("scoped handler: \(totals.calls) calls, \(totals.input) input + \(totals.output) output tokens")
    }

    // The async handler has every call once its buffer is drained.
    await delivery.finish()
    print("async handler wrote \(audit.written.withLock { $0.count }) audit lines, dropped \(delivery.droppedCount)")
}

if let configuration = try? LLMClient.Configuration.fromEnvironment() {
    let model = configuration.adapter.provider == .anthropic ? "claude-haiku-4-5" : "gpt-4o-mini"
    try await run(configuration, model: model)
} else {
    try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 12)) { server in
        try await run(.openAI(apiKey: "sk-mock", baseURL: server.baseURL + "/v1"), model: "gpt-4o-mini")
    }
}
