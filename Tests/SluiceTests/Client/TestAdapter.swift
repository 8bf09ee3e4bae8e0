import Sluice

/// A minimal provider dialect for client tests: the request body is the last user message's text,
/// a reply body is the reply text, and each stream event's data is a text delta — `[END]` finishes
/// the reply and `ERR` is an error event.
struct TestAdapter: ProviderAdapter {
    var provider: Provider { Provider("test") }

    func chatRequest(_ request: ChatRequest, stream: Bool, endpoint: ProviderEndpoint) throws -> ClientRequest {
        ClientRequest(
            method: .post,
            url: endpoint.url(stream ? "/stream" : "/chat"),
            headers: ["authorization": "Bearer \(endpoint.apiKey)", "x-model": request.model,
                      "x-max-tokens": request.maxOutputTokens.map(String.init) ?? "none"],
            body: Array((request.messages.last?.text ?? "").utf8)
        )
    }

    func decodeChatResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> ChatResponse {
        ChatResponse(text: String(decoding: body, as: UTF8.self), finishReason: .stop, provider: provider)
    }

    func makeStreamDecoder() -> any ChatStreamDecoder { Decoder() }

    struct Decoder: ChatStreamDecoder {
        var isComplete = false

        mutating func decode(_ event: ServerSentEvent, emit: (ChatStreamEvent) throws -> Void) throws {
            switch event.data {
            case "[END]":
                isComplete = true
                try emit(.usage(Usage(inputTokens: 3, outputTokens: 2)))
                try emit(.finished(.stop))
            case "ERR":
                throw SluiceError(.streamError, "the provider sent an error event", providerError: ProviderErrorDetails(type: "overloaded_error"))
            default:
                try emit(.textDelta(event.data))
            }
        }
    }

    func authorize(_ request: inout ClientRequest, apiKey: String) {
        request.headers.replaceOrAdd(name: "authorization", value: "Bearer \(apiKey)")
    }

    func embeddingsRequest(_ request: EmbeddingsRequest, endpoint: ProviderEndpoint) throws -> ClientRequest {
        throw SluiceError(.unsupported, "no embeddings")
    }

    func decodeEmbeddingsResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> EmbeddingsResponse {
        throw SluiceError(.unsupported, "no embeddings")
    }

    func decodeError(status: Int, headers: HTTPHeaders, body: [UInt8]) -> SluiceError {
        SluiceError(
            SluiceError.code(forStatus: status, errorType: nil, errorCode: nil),
            "test provider returned \(status): \(String(decoding: body, as: UTF8.self))",
            status: status
        )
    }
}
