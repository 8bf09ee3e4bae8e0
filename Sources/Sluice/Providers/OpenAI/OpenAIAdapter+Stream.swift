extension OpenAIAdapter {
    /// A decoder for one streamed reply; see `OpenAIChatStreamDecoder`.
    public func makeStreamDecoder() -> any ChatStreamDecoder {
        OpenAIChatStreamDecoder()
    }
}
