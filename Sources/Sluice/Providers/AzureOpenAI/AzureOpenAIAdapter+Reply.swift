extension AzureOpenAIAdapter {
    /// Decodes a chat completion as ``OpenAIAdapter`` does.
    public func decodeChatResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> ChatResponse {
        try openAI.decodeChatResponse(body, headers: headers)
    }

    /// Decodes an embeddings reply as ``OpenAIAdapter`` does.
    public func decodeEmbeddingsResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> EmbeddingsResponse {
        try openAI.decodeEmbeddingsResponse(body, headers: headers)
    }
}
