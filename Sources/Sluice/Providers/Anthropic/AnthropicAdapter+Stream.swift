extension AnthropicAdapter {
    /// A decoder for one streamed reply; see ``AnthropicStreamDecoder``.
    public func makeStreamDecoder() -> any ChatStreamDecoder {
        AnthropicStreamDecoder()
    }
}
