extension OpenAIAdapter {
    /// `POST {baseURL}/responses` with the body from `OpenAIResponsesRequestEncoder`.
    public func responsesRequest(_ request: ResponsesRequest, stream: Bool, endpoint: ProviderEndpoint) throws
        -> ClientRequest
    {
        ClientRequest(
            method: .post,
            url: endpoint.url("/responses"),
            headers: headers(endpoint: endpoint, accept: stream ? "text/event-stream" : "application/json"),
            body: try OpenAIResponsesRequestEncoder.encode(request, stream: stream)
        )
    }

    /// Decodes a `response` object; the request id comes from `x-request-id`.
    public func decodeResponsesResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> ResponsesResponse {
        try OpenAIResponsesDecoder.decode(body, requestID: headers["x-request-id"])
    }

    /// A decoder for one streamed Responses API reply; see `OpenAIResponsesStreamDecoder`.
    public func makeResponsesStreamDecoder() -> any ResponsesStreamDecoder {
        OpenAIResponsesStreamDecoder()
    }
}
