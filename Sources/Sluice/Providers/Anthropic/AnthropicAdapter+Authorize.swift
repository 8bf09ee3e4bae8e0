extension AnthropicAdapter {
    /// Sets `x-api-key: <apiKey>`.
    public func authorize(_ request: inout ClientRequest, apiKey: String) {
        request.headers.replaceOrAdd(name: "x-api-key", value: apiKey)
    }
}
