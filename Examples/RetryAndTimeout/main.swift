// Retries configured the way tenacity configures them, and a deadline on one call the way
// `asyncio.wait_for` puts one on a coroutine.
//
//     swift run ExampleRetryAndTimeout
//
// Runs against the mock LLM server started in-process on 127.0.0.1, which is told to fail and to
// stall, so that the retries and the deadline have something to do.
import Sluice
import SluiceMockServer
import Synchronization

func run(_ server: MockLLMServer) async throws {
    var configuration = LLMClient.Configuration.openAI(apiKey: "sk-mock", baseURL: server.baseURL + "/v1")
    // tenacity: stop_after_attempt(5), wait_exponential(multiplier=0.05, max=1) + wait_random,
    // retry_if_exception_type(overloaded, server errors, timeouts). Server-directed delays
    // (retry-after) are honoured up to maxServerDelay instead of the computed wait.
    configuration.retryPolicy = try RetryPolicy(
        maxAttempts: 5,
        initialBackoff: .milliseconds(50),
        maxBackoff: .seconds(1),
        backoffMultiplier: 2,
        jitter: .full,
        retryableStatuses: [429, 500, 502, 503, 529],
        maxServerDelay: .seconds(5))

    try await withLLMClient(configuration) { client in
        // Three failures, then success: the call returns the success, after three retries.
        server.enqueue([.fault(.overloaded()), .fault(.serverError(503)), .fault(.serverError(502)), .success])
        let recorder = RetryCounter()
        var options = CallOptions()
        options.eventHandlers = [recorder]
        let reply = try await client.chat(
            ChatRequest(model: "gpt-4o-mini", messages: [.user("Hello")]), options: options)
        print("after \(recorder.retries.withLock { $0 }) retries: \(reply.text)")

        // A status the policy does not retry fails at once, typed.
        server.enqueue([.fault(.httpError(status: 400))])
        do {
            _ = try await client.chat("Hello", model: "gpt-4o-mini")
        } catch let error as SluiceError {
            print("not retried: \(error.code) (HTTP \(error.status ?? 0))")
        }

        // wait_for(call, timeout=0.5): the whole call, retries and waits included, within 500 ms.
        server.enqueue([.fault(.headDelay(.seconds(10)))])
        var deadline = CallOptions()
        deadline.timeouts = TimeoutPolicy(total: .milliseconds(500))
        deadline.retryPolicy = .disabled
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await client.chat(ChatRequest(model: "gpt-4o-mini", messages: [.user("Hello")]), options: deadline)
        } catch let error as SluiceError {
            let elapsed = clock.now - start
            // The server stalls for 10 s: ending well before that is the deadline's doing.
            print("deadline: \(error.code), \(elapsed < .seconds(9) ? "the 10 s stall was cut" : "after \(elapsed)")")
        }
    }
}

try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 8)) { server in
    try await run(server)
}



/// Counts the retries of the call it is attached to.
final class RetryCounter: ClientEventHandler {
    let retries = Mutex(0)
    func handle(_ event: ClientEvent) {
        if event.kind == .retryScheduled { retries.withLock { $0 += 1 } }
    }
}
