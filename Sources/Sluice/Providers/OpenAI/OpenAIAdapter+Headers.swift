extension OpenAIAdapter {
    /// Sets `authorization: Bearer <apiKey>`.
    public func authorize(_ request: inout ClientRequest, apiKey: String) {
        request.headers.replaceOrAdd(name: "authorization", value: "Bearer " + apiKey)
    }

    /// Auth, content type, accept, organization and project, then the endpoint's headers (which replace
    /// any of the same name).
    func headers(endpoint: ProviderEndpoint, accept: String) -> HTTPHeaders {
        // authorization, content-type, accept, organization, project, and the endpoint's own.
        var headers = HTTPHeaders(minimumCapacity: 5 + endpoint.headers.count)
        if !endpoint.bearerAuthorization.isEmpty {
            headers.add(name: "authorization", value: endpoint.bearerAuthorization)
        }
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "accept", value: accept)
        if let organization { headers.add(name: "openai-organization", value: organization) }
        if let project { headers.add(name: "openai-project", value: project) }
        for field in endpoint.headers {
            headers.replaceOrAdd(name: field.name, value: field.value)
        }
        return headers
    }

    /// The remaining budget in `x-ratelimit-remaining-{requests,tokens}` and the server's
    /// `retry-after-ms` or `retry-after`; see ``RateLimitObservation/init(headers:)``.
    public func rateLimitObservation(_ headers: HTTPHeaders) -> RateLimitObservation? {
        RateLimitObservation(headers: headers)
    }
}
