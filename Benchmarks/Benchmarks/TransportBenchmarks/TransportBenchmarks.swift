// CurlTransport throughput and memory, against servers on loopback that `scripts/bench` starts:
//   SLUICE_BENCH_STATIC_URL  a small static reply (nginx), for requests per second
//   SLUICE_BENCH_MOCK_URL    the mock LLM server (`sluice mock-server`), for 1,000 concurrent streams
// A benchmark whose URL is not set is not registered.
import Benchmark
import Foundation
import Sluice
import Synchronization

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// Runs `total` requests from `concurrency` tasks that each send, read the body to the end, and repeat.
func drive(_ transport: CurlTransport, _ request: ClientRequest, total: Int, concurrency: Int) async throws {
    let next = Counter()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                while next.value.add(1, ordering: .relaxed).oldValue < total {
                    let response = try await transport.send(request)
                    for try await chunk in response.body { blackHole(chunk) }
                    guard response.status == 200 else { throw SluiceError(.invalidResponse, "status \(response.status)") }
                }
            }
        }
        try await group.waitForAll()
    }
}

func makeTransport(maxConnections: Int) throws -> CurlTransport {
    var configuration = CurlTransport.Configuration()
    configuration.httpVersion = .http1_1
    configuration.connections.maxTotal = maxConnections
    return try CurlTransport(configuration: configuration)
}

let benchmarks: @Sendable () -> Void = {
    let environment = ProcessInfo.processInfo.environment
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 1,
        maxDuration: .seconds(10),
        maxIterations: 1_000
    )

    if let url = environment["SLUICE_BENCH_STATIC_URL"] {
        let request = ClientRequest(url: url)

        Benchmark(
            "CurlTransport small GET, concurrency 1",
            configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(10), maxIterations: 20)
        ) { benchmark in
            let transport = try makeTransport(maxConnections: 1)
            try await drive(transport, request, total: 1, concurrency: 1)
            benchmark.startMeasurement()
            try await drive(transport, request, total: benchmark.scaledIterations.count, concurrency: 1)
            benchmark.stopMeasurement()
            await transport.shutdown()
        }

        Benchmark(
            "CurlTransport small GET, concurrency 64",
            configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(10), maxIterations: 40)
        ) { benchmark in
            let transport = try makeTransport(maxConnections: 64)
            try await drive(transport, request, total: 64, concurrency: 64)
            benchmark.startMeasurement()
            try await drive(transport, request, total: benchmark.scaledIterations.count, concurrency: 64)
            benchmark.stopMeasurement()
            await transport.shutdown()
        }
    }

    if let base = environment["SLUICE_BENCH_MOCK_FAST_URL"] {
        // End to end through LLMClient (default stack) over CurlTransport against the mock server,
        // which answers at once: chat calls per second at concurrency 1 and 64, and time to first
        // token of a stream.
        let request = ChatRequest(model: "gpt-4o-mini", messages: [.user("Tell me about rivers.")], maxOutputTokens: 16)
        for concurrency in [1, 64] {
            Benchmark(
                "LLMClient.chat end to end (mock server, loopback), concurrency \(concurrency)",
                configuration: .init(
                    metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo,
                    maxDuration: .seconds(10), maxIterations: concurrency == 1 ? 5 : 20)
            ) { benchmark in
                var configuration = LLMClient.Configuration.openAI(apiKey: "bench-key", baseURL: base + "/v1")
                configuration.transport.httpVersion = .http1_1
                configuration.transport.connections.maxTotal = concurrency
                try await withLLMClient(configuration) { client in
                    let next = Counter()
                    let total = benchmark.scaledIterations.count
                    benchmark.startMeasurement()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<concurrency {
                            group.addTask {
                                while next.value.add(1, ordering: .relaxed).oldValue < total {
                                    blackHole(try await client.chat(request))
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                    benchmark.stopMeasurement()
                }
            }
        }

        Benchmark(
            "LLMClient.streamChat time to first token (mock server, loopback)",
            configuration: .init(
                metrics: [.custom("time to first token (us)", polarity: .prefersSmaller, useScalingFactor: false)],
                maxDuration: .seconds(10), maxIterations: 200)
        ) { benchmark in
            var configuration = LLMClient.Configuration.openAI(apiKey: "bench-key", baseURL: base + "/v1")
            configuration.transport.httpVersion = .http1_1
            try await withLLMClient(configuration) { client in
                let clock = ContinuousClock()
                let start = clock.now
                var first: Duration?
                _ = try await client.streamChat(request) { event in
                    if first == nil, case .textDelta = event { first = clock.now - start }
                }
                let micros = (first ?? .zero).components
                benchmark.measurement(
                    .custom("time to first token (us)", polarity: .prefersSmaller, useScalingFactor: false),
                    Int(micros.seconds * 1_000_000 + micros.attoseconds / 1_000_000_000_000))
            }
        }
    }

    if let base = environment["SLUICE_BENCH_MOCK_URL"] {
        let body = #"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Tell me about rivers."}]}"#
        let request = ClientRequest(
            method: .post,
            url: base + "/v1/chat/completions",
            headers: ["authorization": "Bearer bench-key", "content-type": "application/json"],
            body: Array(body.utf8)
        )

        // One iteration holds 1,000 streams open at once (the mock server paces their tokens), so the
        // peak resident memory is what 1,000 concurrent streams cost the client.
        Benchmark(
            "CurlTransport 1,000 concurrent streams",
            configuration: .init(
                metrics: [.wallClock, .peakMemoryResident, .mallocCountTotal],
                maxDuration: .seconds(20),
                maxIterations: 3
            )
        ) { benchmark in
            let transport = try makeTransport(maxConnections: 1_000)
            benchmark.startMeasurement()
            try await drive(transport, request, total: 1_000, concurrency: 1_000)
            benchmark.stopMeasurement()
            await transport.shutdown()
        }
    }
}
