// Decoding on one core, through the public API — each hot path of a reply on its own, so a
// regression shows where it is: SSE framing alone, SSE parse + OpenAI chunk decode to typed events,
// an Anthropic content_block_delta likewise, a whole chat.completion decoded to a ChatResponse, and
// the rate-limit headers of an answer read into a RateLimitObservation.
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

/// A typical Anthropic text delta, as one SSE event.
let anthropicDeltaEvent = Array(
    ("event: content_block_delta\n" +
     #"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" world"}}"# + "\n\n").utf8)

/// The headers of an OpenAI answer: rate-limit state and the usual others.
let openAIAnswerHeaders: HTTPHeaders = [
    "date": "Mon, 07 Dec 2026 02:00:00 GMT", "content-type": "application/json",
    "openai-processing-ms": "312", "x-request-id": "req_5f2c9b1e0d8a4c7f",
    "x-ratelimit-limit-requests": "10000", "x-ratelimit-limit-tokens": "2000000",
    "x-ratelimit-remaining-requests": "9999", "x-ratelimit-remaining-tokens": "1999512",
    "x-ratelimit-reset-requests": "6ms", "x-ratelimit-reset-tokens": "14ms",
]

/// Parses `event` and decodes it to typed events with `adapter`'s stream decoder, once per iteration.
func measureStreamDecoding(_ benchmark: Benchmark, adapter: any ProviderAdapter, event: [UInt8]) throws {
    var parser = ServerSentEventParser()
    var decoder = adapter.makeStreamDecoder()
    var deltas = 0
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
        try parser.parse(event) { event in
            try decoder.decode(event) { if case .textDelta = $0 { deltas += 1 } }
        }
    }
    benchmark.stopMeasurement()
    blackHole(deltas)
}

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

    for (name, adapter, event): (String, any ProviderAdapter, [UInt8]) in [
        ("OpenAI stream chunk: SSE parse + decode to events", OpenAIAdapter(), chunkEvent),
        ("Anthropic stream delta: SSE parse + decode to events", AnthropicAdapter(), anthropicDeltaEvent),
    ] {
        Benchmark(name, configuration: .init(scalingFactor: .mega)) { benchmark in
            try measureStreamDecoding(benchmark, adapter: adapter, event: event)
        }
    }

    Benchmark("SSE framing only: one chunk-sized event", configuration: .init(scalingFactor: .mega)) { benchmark in
        var parser = ServerSentEventParser()
        var bytes = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try parser.parse(chunkEvent) { event in bytes += event.data.utf8.count }
        }
        benchmark.stopMeasurement()
        blackHole(bytes)
    }

    Benchmark("Rate-limit headers: an OpenAI answer's read into a RateLimitObservation", configuration: .init(scalingFactor: .kilo)) { benchmark in
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(RateLimitObservation(headers: openAIAnswerHeaders))
        }
        benchmark.stopMeasurement()
    }

    Benchmark("OpenAI chat.completion decode", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let adapter = OpenAIAdapter()
        let headers: HTTPHeaders = ["x-request-id": "req_1"]
        for _ in benchmark.scaledIterations {
            blackHole(try adapter.decodeChatResponse(chatCompletion, headers: headers))
        }
    }
}
