extension OpenAIAdapter {
    /// Sets `authorization: Bearer <apiKey>`.
    public func authorize(_ request: inout ClientRequest, apiKey: String) {
        request.headers.replaceOrAdd(name: "authorization", value: "Bearer " + apiKey)
    }
}
