import Foundation
import SluiceMockServer
import Testing

private let chatBody = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello there"}]}"#
private let adminToken = "adm-token-9f3e"

private func adminConfiguration() -> MockServerConfiguration {
    var configuration = MockServerConfiguration()
    configuration.admin = MockAdminAccess(token: adminToken)
    return configuration
}

private func admin(
    _ server: MockLLMServer, _ method: String, _ path: String, body: String? = nil, token: String? = adminToken
) async throws -> RawHTTPResponse {
    try await RawHTTPClient.request(port: server.port, method: method, path: path, bearer: token, body: body)
}

@Suite("Mock server admin API")
struct AdminAPITests {
    static let endpoints: [(method: String, path: String, body: String?)] = [
        ("GET", "/_mock/health", nil),
        ("GET", "/_mock/stats", nil),
        ("POST", "/_mock/reset", nil),
        ("GET", "/_mock/requests", nil),
        ("DELETE", "/_mock/requests", nil),
        ("PUT", "/_mock/faults", #"{"faults":[]}"#),
        ("POST", "/_mock/outcomes", #"{"outcomes":[]}"#),
        ("PUT", "/_mock/limits", #"{}"#),
        ("GET", "/_mock/rules", nil),
        ("POST", "/_mock/rules", #"{"rules":[]}"#),
        ("DELETE", "/_mock/rules", nil),
    ]

    @Test("POST /_mock/rules adds a script's rules (journaled by name), GET lists them, DELETE clears them")
    func rules() async throws {
        try await MockLLMServer.withRunning(adminConfiguration()) { server in
            let script = """
                {"rules": [{"name": "greeting", "match": {"message": "^Hello"},
                            "reply": {"text": "scripted hello"}}]}
                """
            let added = try await admin(server, "POST", "/_mock/rules", body: script)
            #expect(added.status == 200)
            let answered = try await RawHTTPClient.chat(port: server.port, chatBody)
            let choice = try #require((try answered.json()["choices"] as? [[String: Any]])?.first)
            #expect((choice["message"] as? [String: Any])?["content"] as? String == "scripted hello")
            let entry = try await endedEntry(server, sequence: 1)
            #expect(entry.rule == "greeting")

            let listed = try await admin(server, "GET", "/_mock/rules").json()
            let rules = try #require(listed["rules"] as? [[String: Any]])
            #expect(rules.count == 1 && rules[0]["name"] as? String == "greeting" && rules[0]["matches"] as? Int == 1)
            #expect(listed["has_default"] as? Bool == false)

            // A malformed script is refused with its line and column, and changes nothing.
            let malformed = try await admin(server, "POST", "/_mock/rules", body: "{\n  \"rules\": [{\"mtach\": {}}]}")
            #expect(malformed.status == 400)
            let message = try #require((try malformed.json()["error"] as? [String: Any])?["message"] as? String)
            #expect(message.hasPrefix("2:"), "\(message)")
            #expect(server.rules.count == 1)

            let cleared = try await admin(server, "DELETE", "/_mock/rules").json()
            #expect(cleared["cleared"] as? Int == 1)
            let plain = try await RawHTTPClient.chat(port: server.port, chatBody)
            let plainChoice = try #require((try plain.json()["choices"] as? [[String: Any]])?.first)
            #expect((plainChoice["message"] as? [String: Any])?["content"] as? String != "scripted hello")
        }
    }

    @Test("with the admin API off, every /_mock/ path is 404 like an unknown path")
    func off() async throws {
        try await MockLLMServer.withRunning() { server in
            for endpoint in Self.endpoints {
                let response = try await admin(server, endpoint.method, endpoint.path, body: endpoint.body)
                #expect(response.status == 404, "\(endpoint.method) \(endpoint.path)")
            }
        }
    }

    @Test("every endpoint answers with the token, and 401 without it or with a wrong one")
    func authentication() async throws {
        try await MockLLMServer.withRunning(adminConfiguration()) { server in
            for endpoint in Self.endpoints {
                let label = "\(endpoint.method) \(endpoint.path)"
                let missing = try await admin(server, endpoint.method, endpoint.path, body: endpoint.body, token: nil)
                #expect(missing.status == 401, "\(label)")
                let wrong = try await admin(
                    server, endpoint.method, endpoint.path, body: endpoint.body, token: adminToken + "x")
                #expect(wrong.status == 401, "\(label)")
                let prefix = try await admin(
                    server, endpoint.method, endpoint.path, body: endpoint.body, token: String(adminToken.dropLast()))
                #expect(prefix.status == 401, "\(label)")
                #expect(!missing.body.contains(adminToken) && !wrong.body.contains(adminToken))
                let accepted = try await admin(server, endpoint.method, endpoint.path, body: endpoint.body)
                #expect(accepted.status == 200, "\(label)")
                #expect((try? accepted.json()) != nil, "\(label)")
            }
            // Admin requests are neither journaled nor counted.
            #expect(server.requests.isEmpty)
            #expect(server.stats.requests == 0)
        }
    }

    @Test("GET /_mock/requests pages with since and limit, refuses bad numbers, DELETE clears")
    func requests() async throws {
        try await MockLLMServer.withRunning(adminConfiguration()) { server in
            for _ in 0..<3 { _ = try await RawHTTPClient.chat(port: server.port, bearer: adminToken, chatBody) }
            let all = try await admin(server, "GET", "/_mock/requests")
            #expect(!all.body.contains(adminToken))
            let object = try all.json()
            let entries = try #require(object["entries"] as? [[String: Any]])
            #expect(entries.compactMap { $0["sequence"] as? Int } == [1, 2, 3])
            #expect(object["next_sequence"] as? Int == 4)
            #expect(object["dropped"] as? Int == 0)
            #expect((entries.first?["outcome"] as? [String: Any])?["status"] as? Int == 200)

            let page = try await admin(server, "GET", "/_mock/requests?since=1&limit=1").json()
            #expect((page["entries"] as? [[String: Any]])?.compactMap { $0["sequence"] as? Int } == [2])
            let huge = try await admin(server, "GET", "/_mock/requests?limit=99999999999999999999999&since=0")
            #expect(huge.status == 200)
            #expect((try huge.json()["entries"] as? [Any])?.count == 3)
            let past = try await admin(server, "GET", "/_mock/requests?since=99999999999999999999999").json()
            #expect((past["entries"] as? [Any])?.count == 0)
            for bad in ["limit=-1", "since=abc", "limit=", "limit=1.5"] {
                let refused = try await admin(server, "GET", "/_mock/requests?\(bad)")
                #expect(refused.status == 400, "\(bad)")
            }

            let cleared = try await admin(server, "DELETE", "/_mock/requests").json()
            #expect(cleared["cleared"] as? Int == 3)
            #expect(server.requests.isEmpty)
        }
    }

    @Test("PUT /_mock/faults switches the random faults for the next request and refuses bad plans")
    func faults() async throws {
        try await MockLLMServer.withRunning(adminConfiguration()) { server in
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 200)
            let put = try await admin(
                server, "PUT", "/_mock/faults", body: #"{"seed":3,"faults":[{"kind":"503","probability":1}]}"#)
            #expect(put.status == 200)
            let plan = try put.json()
            #expect(plan["seed"] as? Int == 3)
            #expect((plan["faults"] as? [[String: Any]])?.first?["kind"] as? String == "http_503")
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 503)
            #expect(server.faults.entries.count == 1)

            for bad in [
                #"{"faults":[{"kind":"teapot","probability":0.1}]}"#,
                #"{"faults":[{"kind":"503","probability":1.5}]}"#,
                #"{"faults":[{"kind":"503","probability":0.6},{"kind":"500","probability":0.6}]}"#,
                #"{"faults":[{"kind":"drop","probability":0.1}],"after_tokens":-1}"#,
                #"{"faults":"503"}"#,
                #"{"seed":-1,"faults":[]}"#,
                "not json",
            ] {
                let refused = try await admin(server, "PUT", "/_mock/faults", body: bad)
                #expect(refused.status == 400, "\(bad)")
                let message = (try refused.json()["error"] as? [String: Any])?["message"] as? String
                #expect(message?.isEmpty == false, "\(bad)")
            }
            // The refused plans changed nothing.
            #expect(server.faults.entries.first?.fault.kind == .http503)

            #expect(try await admin(server, "PUT", "/_mock/faults", body: #"{"faults":[]}"#).status == 200)
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 200)
        }
    }

    @Test("POST /_mock/outcomes queues scripted outcomes, for any key or one key")
    func outcomes() async throws {
        try await MockLLMServer.withRunning(adminConfiguration()) { server in
            let queued = try await admin(
                server, "POST", "/_mock/outcomes", body: #"{"outcomes":[{"fault":"529"},{"reply_tokens":2},{}]}"#)
            #expect(try queued.json()["pending"] as? Int == 3)
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 529)
            let short = try await RawHTTPClient.chat(port: server.port, chatBody)
            #expect(((try short.json()["usage"] as? [String: Any])?["completion_tokens"] as? Int) == 2)
            #expect(server.pendingOutcomes == 1)

            let other = MockAPIKey.anonymousName(forSecret: "sk-other")
            _ = try await admin(
                server, "POST", "/_mock/outcomes", body: #"{"key":"\#(other)","outcomes":[{"fault":"500"}]}"#)
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 200)
            #expect(try await RawHTTPClient.chat(port: server.port, bearer: "sk-other", chatBody).status == 500)
            let refused = try await admin(server, "POST", "/_mock/outcomes", body: #"{"outcomes":[{"fault":"boom"}]}"#)
            #expect(refused.status == 400)
        }
    }

    @Test("PUT /_mock/limits switches default and named limits for the next request")
    func limits() async throws {
        var configuration = adminConfiguration()
        configuration.keys = [MockAPIKey(name: "team", secret: "sk-team")]
        try await MockLLMServer.withRunning(configuration) { server in
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 200)
            let put = try await admin(
                server, "PUT", "/_mock/limits", body: #"{"default":{"rpm":1},"keys":{"team":{"rpm":2,"tpm":5000}}}"#)
            #expect(put.status == 200)
            let reply = try put.json()
            #expect((reply["default"] as? [String: Any])?["rpm"] as? Int == 1)
            #expect(((reply["keys"] as? [String: Any])?["team"] as? [String: Any])?["tpm"] as? Int == 5000)
            #expect(server.limits(forKey: "team") == MockRateLimits(requestsPerMinute: 2, tokensPerMinute: 5000))

            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 200)
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 429)
            let team = try await RawHTTPClient.chat(port: server.port, bearer: "sk-team", chatBody)
            #expect(team[header: "x-ratelimit-limit-requests"] == "2")
            #expect(team[header: "x-ratelimit-limit-tokens"] == "5000")

            for bad in [#"{"default":{"rpm":0}}"#, #"{"keys":{"team":{"tpm":-5}}}"#, #"{"default":{"rpm":1.5}}"#] {
                #expect(try await admin(server, "PUT", "/_mock/limits", body: bad).status == 400, "\(bad)")
            }
        }
    }

    @Test("POST /_mock/reset zeroes stats, refills buckets, drops outcomes and clears the journal")
    func reset() async throws {
        var configuration = adminConfiguration()
        configuration.defaultLimits = MockRateLimits(requestsPerMinute: 1)
        try await MockLLMServer.withRunning(configuration) { server in
            _ = try await RawHTTPClient.chat(port: server.port, chatBody)
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 429)
            server.enqueue(.serverError(500))
            let reset = try await admin(server, "POST", "/_mock/reset")
            #expect(reset.status == 200)
            #expect(server.stats.requests == 0)
            #expect(server.requests.isEmpty)
            #expect(server.pendingOutcomes == 0)
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 200)
        }
    }

    @Test("setFaults and setLimits from Swift take effect on the next request")
    func swiftSwitches() async throws {
        try await MockLLMServer.withRunning() { server throws in
            server.setFaults(MockFaultPlan(seed: 1, [.rate(1, .overloaded())]))
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 529)
            server.setFaults(.none)
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 200)
            server.setLimits(MockRateLimits(requestsPerMinute: 1))
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 200)
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 429)
            server.setLimits(MockRateLimits(requestsPerMinute: 1000))
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 200)
        }
    }
}
