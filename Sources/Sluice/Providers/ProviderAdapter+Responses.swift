extension ProviderAdapter {
    /// Throws ``SluiceError/Code/unsupported``: the provider has no Responses API.
    public func responsesRequest(_ request: ResponsesRequest, stream: Bool, endpoint: ProviderEndpoint) throws
        -> ClientRequest
    {
        throw Self.responsesUnsupported
    }

    /// Throws ``SluiceError/Code/unsupported``: the provider has no Responses API.
    public func decodeResponsesResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> ResponsesResponse {
        throw Self.responsesUnsupported
    }

    /// A decoder that throws ``SluiceError/Code/unsupported``: the provider has no Responses API.
    public func makeResponsesStreamDecoder() -> any ResponsesStreamDecoder {
        UnsupportedResponsesStreamDecoder(error: Self.responsesUnsupported)
    }

    /// The error of an adapter without the Responses API, naming the adapter.
    static var responsesUnsupported: SluiceError {
        SluiceError(
            .unsupported,
            "\(Self.self) has no Responses API (POST /v1/responses); use OpenAIAdapter for it, or chat(_:) here"
        )
    }
}

/// The stream decoder of an adapter without a Responses API.
struct UnsupportedResponsesStreamDecoder: ResponsesStreamDecoder {
    let error: SluiceError
    var isComplete: Bool { false }

    func decode(_ event: ServerSentEvent, emit: (ResponsesStreamEvent) throws -> Void) throws {
        throw error
    }
}
