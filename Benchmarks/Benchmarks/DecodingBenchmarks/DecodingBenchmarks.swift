// Decoding on one core, through the public API: SSE parse + OpenAI chunk decode to typed events, and
// a whole chat.completion decoded to a ChatResponse.
import Benchmark
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Sluice

/// A typical OpenAI stream chunk, as one SSE event.
let chunkEvent = Array(
    (#"data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","# +
     #""system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":" world"},"logprobs":null,"# +
     #""finish_reason":null}]}"# + "\n\n").utf8)

/// A typical non-streaming chat.completion.
let chatCompletion = Array(
    (#"{"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion","created":1741570283,"# +
     #""model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"The image shows "# +
     #"a wooden boardwalk path running through a lush green field or meadow. The sky is bright blue with some "# +
     #"scattered clouds, giving the scene a serene and peaceful atmosphere. Trees and shrubs are visible in the "# +
     #"background.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"# +
     #""prompt_tokens":1117,"completion_tokens":46,"total_tokens":1163,"prompt_tokens_details":{"cached_tokens":0,"# +
     #""audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"# +
     #""accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","# +
     #""system_fingerprint":"fp_fc9f1d7035"}"#).utf8)

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

    Benchmark("OpenAI stream chunk: SSE parse + decode to events", configuration: .init(scalingFactor: .mega)) { benchmark in
        let adapter = OpenAIAdapter()
        var parser = ServerSentEventParser()
        var decoder = adapter.makeStreamDecoder()
        var deltas = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try parser.parse(chunkEvent) { event in
                try decoder.decode(event) { if case .textDelta = $0 { deltas += 1 } }
            }
        }
        benchmark.stopMeasurement()
        blackHole(deltas)
    }

    Benchmark("OpenAI chat.completion decode", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let adapter = OpenAIAdapter()
        let headers: HTTPHeaders = ["x-request-id": "req_1"]
        for _ in benchmark.scaledIterations {
            blackHole(try adapter.decodeChatResponse(chatCompletion, headers: headers))
        }
    }
}
