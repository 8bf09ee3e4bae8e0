import SluiceMockServer
import Testing

// The Swift samples of MockServerAdminAPI.md, run: `DocumentationSamplesTests` checks that they
// are here line for line. Change them together.

/// The article's "your code": one `GET /v1/models` with the key named team.
private func makeRequests(baseURL: String) async throws {
    let port = try #require(Int(baseURL.split(separator: ":").last ?? ""))
    _ = try await RawHTTPClient.request(port: port, method: "GET", path: "/v1/models", bearer: "sk-team")
}

@Suite("MockServerAdminAPI article samples")
struct AdminArticleTests {
    @Test("the journal sample reads one request made with the key named team")
    func journal() async throws {
        var configuration = MockServerConfiguration()
        configuration.keys = [MockAPIKey(name: "team", secret: "sk-team")]
        try await MockLLMServer.withRunning(configuration) { server in
            try await makeRequests(baseURL: server.baseURL)  // your code, with the key named "team"
            let entries = server.requests
            #expect(entries.count == 1)
            #expect(entries[0].key == "team")
            #expect(entries[0].outcome.status == 200)
            #expect(entries[0].headers.contains { $0.name == "authorization" && $0.value == "<redacted>" })
            server.clearRequests()
        }
    }

    @Test("the admin sample turns the API on, and the switches sample sets what it says")
    func switches() async throws {
        var configuration = MockServerConfiguration()
        configuration.admin = MockAdminAccess(token: "admin-secret")
        #expect(configuration.admin.map { "\($0)" } == "MockAdminAccess(token: <redacted>)")
        try await MockLLMServer.withRunning(configuration) { server in
            server.setFaults(MockFaultPlan(seed: 7, [.rate(0.05, .serverError(503))]))
            server.setLimits(MockRateLimits(requestsPerMinute: 60))
            server.setLimits(MockRateLimits(requestsPerMinute: 600, tokensPerMinute: 40_000), forKey: "team")
            #expect(server.faults.seed == 7)
            #expect(server.limits() == MockRateLimits(requestsPerMinute: 60))
            #expect(server.limits(forKey: "team").tokensPerMinute == 40_000)
            let health = try await RawHTTPClient.request(
                port: server.port, method: "GET", path: "/_mock/health", bearer: "admin-secret")
            #expect(health.status == 200)
        }
    }
}
