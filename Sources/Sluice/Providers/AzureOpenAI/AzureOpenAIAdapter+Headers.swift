extension AzureOpenAIAdapter {
    /// Sets `api-key: <apiKey>` and removes any bearer token.
    public func authorize(_ request: inout ClientRequest, apiKey: String) {
        request.headers.remove(name: "authorization")
        request.headers.replaceOrAdd(name: "api-key", value: apiKey)
    }

    /// OpenAI's headers with the key moved to `api-key`. The endpoint's own headers still win: an
    /// `authorization` or `api-key` among them is sent as given.
    func headers(_ openAIHeaders: HTTPHeaders, endpoint: ProviderEndpoint) -> HTTPHeaders {
        var headers = openAIHeaders
        if !endpoint.headers.contains("authorization") { headers.remove(name: "authorization") }
        if !endpoint.apiKey.isEmpty, !endpoint.headers.contains("api-key") {
            headers.replaceOrAdd(name: "api-key", value: endpoint.apiKey)
        }
        return headers
    }

    /// Azure reports OpenAI's `x-ratelimit-remaining-*` and `retry-after` headers; see
    /// ``RateLimitObservation/init(headers:)``.
    public func rateLimitObservation(_ headers: HTTPHeaders) -> RateLimitObservation? {
        RateLimitObservation(headers: headers)
    }
}
