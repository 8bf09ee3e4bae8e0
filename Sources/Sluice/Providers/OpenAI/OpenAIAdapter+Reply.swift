extension OpenAIAdapter {
    /// Decodes a chat completion; the request id comes from `x-request-id`.
    public func decodeChatResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> ChatResponse {
        try OpenAIChatResponseDecoder.decode(body, requestID: headers["x-request-id"])
    }

    /// Decodes an embeddings reply (float or base64 vectors); the request id comes from `x-request-id`.
    public func decodeEmbeddingsResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> EmbeddingsResponse {
        var response = try OpenAIEmbeddingsCoder.decode(body)
        response.requestID = headers["x-request-id"]
        return response
    }
}
