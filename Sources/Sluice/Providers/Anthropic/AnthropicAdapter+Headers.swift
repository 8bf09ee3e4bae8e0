extension AnthropicAdapter {
    /// Sets `x-api-key: <apiKey>`.
    public func authorize(_ request: inout ClientRequest, apiKey: String) {
        request.headers.replaceOrAdd(name: "x-api-key", value: apiKey)
    }

    /// The request headers, credentials included.
    func headers(endpoint: ProviderEndpoint, stream: Bool) -> HTTPHeaders {
        // The four below, anthropic-beta and the endpoint's own: one allocation.
        var headers = HTTPHeaders(minimumCapacity: 5 + endpoint.headers.count)
        headers.add(name: "x-api-key", value: endpoint.apiKey)
        headers.add(name: "anthropic-version", value: version)
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "accept", value: stream ? "text/event-stream" : "application/json")
        var allBetas = betas
        for field in endpoint.headers {
            if HTTPHeaders.namesEqual(field.name, "anthropic-beta") {
                for beta in field.value.split(separator: ",") {
                    let trimmed = beta.trimmingSpaces()
                    if !trimmed.isEmpty, !allBetas.contains(trimmed) { allBetas.append(trimmed) }
                }
            } else {
                headers.remove(name: field.name)
            }
        }
        for field in endpoint.headers where !HTTPHeaders.namesEqual(field.name, "anthropic-beta") {
            headers.add(name: field.name, value: field.value)
        }
        if !allBetas.isEmpty {
            headers.add(name: "anthropic-beta", value: allBetas.joined(separator: ","))
        }
        return headers
    }

    /// The remaining budget in `anthropic-ratelimit-{requests,input-tokens,output-tokens}-remaining`
    /// and the server's `retry-after`; see ``RateLimitObservation/init(headers:)``.
    public func rateLimitObservation(_ headers: HTTPHeaders) -> RateLimitObservation? {
        RateLimitObservation(headers: headers)
    }
}

extension Substring {
    /// The text without leading and trailing spaces and tabs.
    fileprivate func trimmingSpaces() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
