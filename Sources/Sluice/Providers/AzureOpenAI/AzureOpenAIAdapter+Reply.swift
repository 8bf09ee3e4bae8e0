extension AzureOpenAIAdapter {
    /// Decodes a chat completion as ``OpenAIAdapter`` does, naming Azure as its provider.
    public func decodeChatResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> ChatResponse {
        var response = try openAI.decodeChatResponse(body, headers: headers)
        response.provider = provider
        return response
    }

    /// Decodes an embeddings reply as ``OpenAIAdapter`` does.
    public func decodeEmbeddingsResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> EmbeddingsResponse {
        try openAI.decodeEmbeddingsResponse(body, headers: headers)
    }
}
