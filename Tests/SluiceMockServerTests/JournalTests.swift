import Foundation
import SluiceMockServer
import Testing

private let chatBody = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello there"}]}"#
private let streamBody =
    #"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hello there"}]}"#

/// The journal entry with `sequence` once its response has ended (polls for up to 5 s).
func endedEntry(_ server: MockLLMServer, sequence: Int) async throws -> MockJournalEntry {
    let start = ContinuousClock.now
    while start.duration(to: .now) < .seconds(5) {
        if let entry = server.requests.first(where: { $0.sequence == sequence }), entry.outcome.end != .pending {
            return entry
        }
        try await Task.sleep(for: .milliseconds(10))
    }
    return try #require(server.requests.first(where: { $0.sequence == sequence }))
}

@Suite("Mock server request journal")
struct JournalTests {
    @Test("an entry has the method, path, body, key name and outcome, and no credential anywhere")
    func entryAndRedaction() async throws {
        let secret = "sk-team-secret-4711"
        var configuration = MockServerConfiguration()
        configuration.keys = [MockAPIKey(name: "team", secret: secret, limits: MockRateLimits(requestsPerMinute: 10))]
        try await MockLLMServer.withRunning(configuration) { server in
            let response = try await RawHTTPClient.request(
                port: server.port, path: "/v1/chat/completions?trace=1", bearer: secret, body: chatBody,
                extraHeaders: [
                    "x-api-key": secret, "api-key": secret, "Cookie": "session=\(secret)",
                    "proxy-authorization": "Basic \(secret)", "x-trace": "visible",
                ])
            #expect(response.status == 200)
            let entry = try await endedEntry(server, sequence: 1)
            #expect(entry.method == "POST")
            #expect(entry.path == "/v1/chat/completions?trace=1")
            #expect(entry.body == chatBody)
            #expect(entry.bodyBytes == chatBody.utf8.count)
            #expect(!entry.bodyTruncated)
            #expect(entry.key == "team")
            #expect(entry.rule == nil)
            #expect(entry.outcome.status == 200)
            #expect(entry.outcome.fault == nil)
            #expect(entry.outcome.end == .completed)
            #expect(entry.rateLimit?.remainingRequests == 9)
            #expect(entry.rateLimit?.rejected == nil)
            #expect(entry.time > 1_700_000_000)
            let headers = Dictionary(entry.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            for name in ["authorization", "x-api-key", "api-key", "cookie", "proxy-authorization"] {
                #expect(headers[name] == "<redacted>", "\(name)")
            }
            #expect(headers["x-trace"] == "visible")
            let json = String(decoding: try JSONEncoder().encode(server.requests), as: UTF8.self)
            #expect(!json.contains(secret))
            #expect(!json.contains("sk-team"))
            #expect(json.contains(#""body_truncated":false"#))
            #expect(json.contains(#""rule":null"#) && json.contains(#""fault":null"#))
        }
    }

    @Test("the journal keeps its capacity, drops the oldest and counts them; clearing keeps the numbering")
    func bound() async throws {
        var configuration = MockServerConfiguration()
        configuration.journal = .init(capacity: 3)
        try await MockLLMServer.withRunning(configuration) { server in
            for _ in 0..<5 {
                _ = try await RawHTTPClient.request(port: server.port, method: "GET", path: "/v1/models")
            }
            #expect(server.requests.map(\.sequence) == [3, 4, 5])
            #expect(server.droppedRequests == 2)
            server.clearRequests()
            #expect(server.requests.isEmpty)
            _ = try await RawHTTPClient.request(port: server.port, method: "GET", path: "/nowhere")
            let entry = try await endedEntry(server, sequence: 6)
            #expect(entry.outcome.status == 404)
            #expect(entry.key == nil)
        }
    }

    @Test("a body is kept up to the cap and flagged; one over the server's limit still gets 413")
    func bodyCap() async throws {
        var configuration = MockServerConfiguration()
        configuration.journal = .init(capacity: 10, maxBodyBytes: 10)
        configuration.maxRequestBodySize = 100
        try await MockLLMServer.withRunning(configuration) { server in
            let ok = try await RawHTTPClient.chat(port: server.port, chatBody)
            #expect(ok.status == 200)
            let first = try await endedEntry(server, sequence: 1)
            #expect(first.body == String(chatBody.prefix(10)))
            #expect(first.bodyTruncated)
            #expect(first.bodyBytes == chatBody.utf8.count)

            let large = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":""# + String(repeating: "x", count: 500)
                + #""}]}"#
            let refused = try await RawHTTPClient.chat(port: server.port, large)
            #expect(refused.status == 413)
            let second = try await endedEntry(server, sequence: 2)
            #expect(second.outcome.status == 413)
            #expect(second.bodyTruncated)
            #expect(second.bodyBytes > 100)
        }
    }

    @Test("a streamed response's end is recorded: completed, dropped by a fault, or the client leaving")
    func streamEnds() async throws {
        var configuration = MockServerConfiguration(replyTokens: 30)
        configuration.latency = MockLatency(perToken: .milliseconds(30))
        try await MockLLMServer.withRunning(configuration) { server in
            server.setLimits(MockRateLimits(requestsPerMinute: 100))
            let whole = try await RawHTTPClient.chat(port: server.port, streamBody)
            #expect(whole.isComplete)
            let completed = try await endedEntry(server, sequence: 1)
            #expect(completed.outcome == .init(status: 200, fault: nil, end: .completed))
            #expect(completed.rateLimit?.remainingRequests == 99)

            server.enqueue(.dropConnection(afterTokens: 1))
            _ = try await RawHTTPClient.chat(port: server.port, streamBody)
            let dropped = try await endedEntry(server, sequence: 2)
            #expect(dropped.outcome == .init(status: 200, fault: .dropConnection, end: .droppedByFault))

            _ = try await RawHTTPClient.readPartially(
                port: server.port, path: "/v1/chat/completions", body: streamBody, until: { $0.contains("data: ") })
            let left = try await endedEntry(server, sequence: 3)
            #expect(left.outcome.end == .clientDisconnected)
        }
    }

    @Test("a 429 from the limiter records the short dimension")
    func rejection() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration(defaultLimits: MockRateLimits(requestsPerMinute: 1)))
        { server in
            _ = try await RawHTTPClient.chat(port: server.port, chatBody)
            let refused = try await RawHTTPClient.chat(port: server.port, chatBody)
            #expect(refused.status == 429)
            let entry = try await endedEntry(server, sequence: 2)
            #expect(entry.rateLimit?.rejected == "requests")
            #expect(entry.rateLimit?.remainingRequests == 0)
            #expect(entry.outcome.status == 429)
            #expect(entry.key == MockAPIKey.anonymousName(forSecret: "sk-test"))
        }
    }

    @Test("a journal of capacity 0 records nothing")
    func off() async throws {
        var configuration = MockServerConfiguration()
        configuration.journal = .init(capacity: 0)
        try await MockLLMServer.withRunning(configuration) { server throws in
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 200)
            #expect(server.requests.isEmpty)
        }
    }
}
