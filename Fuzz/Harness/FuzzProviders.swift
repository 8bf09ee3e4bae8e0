// Targets `openai` and `anthropic`: the reply decoder, the embeddings decoder (OpenAI), and the stream
// decoder behind the SSE parser, as a client runs them. Each input is tried as a whole reply body
// and as an event stream; the decoded values are then used as a caller would use them.

@testable import Sluice

/// Runs `bytes` as an SSE stream through `decoder`, accumulating a response, as LLMClient does.
func fuzzDecodeStream(_ bytes: [UInt8], decoder: inout some ChatStreamDecoder, provider: Provider, random: inout FuzzRandom) {
    var parser = ServerSentEventParser()
    var accumulator = ChatStreamAccumulator(provider: provider, requestID: "req_fuzz")
    func emit(_ event: ChatStreamEvent) {
        if case .usage(let usage) = event { fuzzConsume(usage) }
        accumulator.apply(event)
    }
    do {
        for chunk in fuzzChunks(bytes, random: &random) {
            try parser.parse(chunk) { event in try decoder.decode(event, emit: emit) }
        }
        try parser.finish { event in try decoder.decode(event, emit: emit) }
        _ = decoder.isComplete
    } catch {
        fuzzConsume(error)
    }
    fuzzConsume(accumulator.response)
}

enum FuzzOpenAI {
    static func run(_ bytes: [UInt8]) {
        if FuzzSettings.isExcluded("huge-numbers"), fuzzHasHugeJSONNumber(bytes) { return }
        let adapter = OpenAIAdapter()
        do {
            fuzzConsume(try adapter.decodeChatResponse(bytes, headers: ["x-request-id": "req_fuzz"]))
        } catch {
            fuzzConsume(error)
        }
        do {
            let embeddings = try adapter.decodeEmbeddingsResponse(bytes, headers: [:])
            _ = String(describing: embeddings)
        } catch {
            fuzzConsume(error)
        }
        do {
            let chunk = try OpenAIChatChunk.decode(bytes)
            fuzzConsume(chunk.usage?.sluiceUsage)
        } catch {
            fuzzConsume(error)
        }
        var random = FuzzRandom(hashing: bytes)
        var decoder = OpenAIChatStreamDecoder()
        fuzzDecodeStream(bytes, decoder: &decoder, provider: .openAI, random: &random)
    }
}

enum FuzzAnthropic {
    static func run(_ bytes: [UInt8]) {
        if FuzzSettings.isExcluded("huge-numbers"), fuzzHasHugeJSONNumber(bytes) { return }
        let adapter = AnthropicAdapter()
        do {
            fuzzConsume(try adapter.decodeChatResponse(bytes, headers: ["request-id": "req_fuzz"]))
        } catch {
            fuzzConsume(error)
        }
        var random = FuzzRandom(hashing: bytes)
        var decoder = AnthropicStreamDecoder()
        fuzzDecodeStream(bytes, decoder: &decoder, provider: .anthropic, random: &random)
    }
}
