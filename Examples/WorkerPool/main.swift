// A worker pool with a queue: jobs are put on a queue as they come, a fixed number of workers take
// them one at a time, and the client's limits hold whatever the number of workers.
//
//     swift run ExampleWorkerPool
//
// Runs against the mock LLM server started in-process on 127.0.0.1 (with a request limit, so that
// the pool has to wait for budget), or against OpenAI or Anthropic when OPENAI_API_KEY or
// ANTHROPIC_API_KEY is set.
import Sluice
import SluiceMockServer

struct Job: Sendable {
    let id: Int
    let question: String
}

func run(_ base: LLMClient.Configuration, model: String, server: MockLLMServer?) async throws {
    var configuration = base
    // The key's limits: 120 requests a minute with a burst of 4, so 12 jobs take a few seconds.
    configuration.limit(RateLimits(requestsPerMinute: 120, requestBurst: 4))

    // The queue: an async stream the producer feeds and the workers drain.
    let (queue, enqueue) = AsyncStream.makeStream(of: Job.self)
    let clock = ContinuousClock()
    let start = clock.now

    try await withLLMClient(configuration) { client in
        let answered = try await withThrowingTaskGroup(of: [(Int, String)].self) { pool in
            // Four workers, each taking the next job when it is free.
            for worker in 1...4 {
                pool.addTask {
                    var done: [(Int, String)] = []
                    for await job in queue {
                        let reply = try await client.chat(
                            ChatRequest(model: model, messages: [.user(job.question)], maxOutputTokens: 8))
                        print("worker \(worker) answered job \(job.id)")
                        done.append((job.id, reply.text))
                    }
                    return done
                }
            }
            // The producer: jobs arrive over time; finishing the queue lets the workers stop.
            for id in 1...12 {
                enqueue.yield(Job(id: id, question: "Job \(id): name a river."))
            }
            enqueue.finish()
            return try await pool.reduce(into: [Int: String]()) { all, done in
                for (id, text) in done { all[id] = text }
            }
        }
        let elapsed = clock.now - start
        print("\(answered.count) jobs answered by 4 workers in \(elapsed)")
    }
    if let server {
        let limited = server.stats.keys.values.reduce(0) { $0 + $1.rateLimited }
        print("server: \(server.stats.requests) requests, \(limited) rate-limited")
    }
}

if let configuration = try? LLMClient.Configuration.fromEnvironment() {
    let model = configuration.adapter.provider == .anthropic ? "claude-haiku-4-5" : "gpt-4o-mini"
    try await run(configuration, model: model, server: nil)
} else {
    let mock = MockServerConfiguration(
        defaultLimits: MockRateLimits(requestsPerMinute: 120, requestBurst: 4), replyTokens: 8)
    try await MockLLMServer.withRunning(mock) { server in
        try await run(.openAI(apiKey: "sk-mock", baseURL: server.baseURL + "/v1"), model: "gpt-4o-mini", server: server)
    }
}
