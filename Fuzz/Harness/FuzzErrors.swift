// Target `errors`: the error-body decoders of both providers (HTTP error bodies, in-stream error
// events), at ordinary and odd statuses. An error must describe itself in bounded text and must not
// quote an API key the body held.

@testable import Sluice

enum FuzzErrors {
    static let statuses = [400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 529, 0, 99, 200, 302, 599, 999, -1, Int.max, Int.min]

    /// The longest error message accepted, in bytes, whatever the body.
    static let messageBound = 2_048

    static func run(_ bytes: [UInt8]) {
        if FuzzSettings.isExcluded("huge-numbers"), fuzzHasHugeJSONNumber(bytes) { return }
        var random = FuzzRandom(hashing: bytes)
        let status = statuses[random.below(statuses.count)]
        let text = String(decoding: bytes, as: UTF8.self)

        let openAI = OpenAIAdapter().decodeError(status: status, headers: ["x-request-id": "req_fuzz"], body: bytes)
        check(openAI)
        check(OpenAIErrorDecoder.streamError(eventData: text, eventNumber: 1 + random.below(1_000)))
        _ = OpenAIErrorDecoder.excerpt(bytes)
        // The one redaction used for provider text, logs and descriptions; with a known secret too.
        let redacted = SecretRedaction.redact(text, secrets: ["sk-fuzz-known-secret-value"])
        if redacted.contains("sk-fuzz-known-secret-value") { fatalError("a known secret survived redaction") }
        _ = SecretRedaction.redactingURL(text)

        let anthropic = AnthropicAdapter().decodeError(status: status, headers: ["request-id": "req_fuzz"], body: bytes)
        check(anthropic)
        _ = AnthropicAdapter.excerpt(bytes)

        // The same bodies as mid-stream `error` events.
        let stream = Array("event: error\ndata: ".utf8) + bytes.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 } + Array("\n\n".utf8)
        var openAIDecoder = OpenAIChatStreamDecoder()
        fuzzDecodeStream(stream, decoder: &openAIDecoder, provider: .openAI, random: &random)
        var anthropicDecoder = AnthropicStreamDecoder()
        fuzzDecodeStream(stream, decoder: &anthropicDecoder, provider: .anthropic, random: &random)
    }

    static func check(_ error: SluiceError) {
        fuzzConsume(error)
        if !FuzzSettings.isExcluded("unbounded-error-text") {
            fuzzCheck(error.message.utf8.count <= messageBound,
                      "an error message of \(error.message.utf8.count) bytes: \(error.message.prefix(200))…")
        }
    }
}
