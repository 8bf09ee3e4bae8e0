extension AzureOpenAIAdapter {
    /// OpenAI's stream decoder: Azure streams the same chunks.
    public func makeStreamDecoder() -> any ChatStreamDecoder {
        openAI.makeStreamDecoder()
    }
}
