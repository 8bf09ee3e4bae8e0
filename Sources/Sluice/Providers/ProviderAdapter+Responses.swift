extension ProviderAdapter {
    /// Throws ``SluiceError/Code/unsupported``: the provider has no Responses API.
    public func responsesRequest(_ request: ResponsesRequest, stream: Bool, endpoint: ProviderEndpoint) throws
        -> ClientRequest
    {
        throw Self.responsesUnsupported(provider)
    }

    /// Throws ``SluiceError/Code/unsupported``: the provider has no Responses API.
    public func decodeResponsesResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> ResponsesResponse {
        throw Self.responsesUnsupported(provider)
    }

    /// A decoder that throws ``SluiceError/Code/unsupported``: the provider has no Responses API.
    public func makeResponsesStreamDecoder() -> any ResponsesStreamDecoder {
        UnsupportedResponsesStreamDecoder(provider: provider)
    }

    static func responsesUnsupported(_ provider: Provider) -> SluiceError {
        SluiceError(
            .unsupported,
            "the \(provider) provider has no Responses API (POST /v1/responses); use OpenAIAdapter, or chat(_:) here"
        )
    }
}

/// The stream decoder of an adapter without a Responses API.
struct UnsupportedResponsesStreamDecoder: ResponsesStreamDecoder {
    let provider: Provider
    var isComplete: Bool { false }

    func decode(_ event: ServerSentEvent, emit: (ResponsesStreamEvent) throws -> Void) throws {
        throw OpenAIAdapter.responsesUnsupported(provider)
    }
}
