import Foundation
import SluiceMockServer
import Testing

private let chatBody =
    #"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Hello there"}]}"#
/// (4 + 4) + (3 + 4) + 3
private let chatPromptTokens = 18

private func streamBody(maxTokens: Int? = nil, includeUsage: Bool = true) -> String {
    let cap = maxTokens.map { #","max_tokens":\#($0)"# } ?? ""
    return
        #"{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":\#(includeUsage)}\#(cap),"messages":[{"role":"user","content":"Hello there"}]}"#
}

private func contentDeltas(_ response: RawHTTPResponse) throws -> [String] {
    try response.events.filter { $0 != "[DONE]" }.compactMap { event in
        let object = try RawHTTPResponse.object(event)
        let choices = object["choices"] as? [[String: Any]] ?? []
        let delta = choices.first?["delta"] as? [String: Any]
        guard delta?["role"] == nil else { return nil }
        return delta?["content"] as? String
    }
}

@Suite("Mock server over loopback")
struct ServerTests {
    @Test("a plain chat completion has OpenAI's shape, the predicted usage and the generated reply")
    func plainChat() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 7)) { server in
            let response = try await RawHTTPClient.chat(port: server.port, chatBody)
            #expect(response.status == 200)
            #expect(response[header: "x-request-id"]?.hasPrefix("req_") == true)
            #expect(response[header: "content-type"] == "application/json")
            let json = try response.json()
            #expect(json["object"] as? String == "chat.completion")
            #expect(json["model"] as? String == "gpt-4o-mini")
            let choice = try #require((json["choices"] as? [[String: Any]])?.first)
            let message = try #require(choice["message"] as? [String: Any])
            #expect(message["role"] as? String == "assistant")
            #expect(message["content"] as? String == MockReplyGenerator.reply(to: "Hello there", tokens: 7))
            #expect(choice["finish_reason"] as? String == "stop")
            let usage = try #require(json["usage"] as? [String: Any])
            #expect(usage["prompt_tokens"] as? Int == chatPromptTokens)
            #expect(usage["completion_tokens"] as? Int == 7)
            #expect(usage["total_tokens"] as? Int == chatPromptTokens + 7)
            let stats = server.stats
            #expect(stats.requests == 1)
            #expect(stats.completionTokensSent == 7)
            #expect(stats[key: MockAPIKey.anonymousName(forSecret: "sk-test")].requests == 1)
            #expect(stats.inFlight == 0)
        }
    }

    @Test("max_tokens caps the reply and sets finish_reason to length")
    func maxTokens() async throws {
        try await MockLLMServer.withRunning() { server in
            let body = #"{"model":"m","max_completion_tokens":3,"messages":[{"role":"user","content":"Hi"}]}"#
            let json = try await RawHTTPClient.chat(port: server.port, body).json()
            let choice = try #require((json["choices"] as? [[String: Any]])?.first)
            #expect(choice["finish_reason"] as? String == "length")
            #expect((json["usage"] as? [String: Any])?["completion_tokens"] as? Int == 3)
        }
    }

    @Test("a missing or unknown key is answered 401 invalid_api_key without echoing the key")
    func auth() async throws {
        var configuration = MockServerConfiguration()
        configuration.keys = [MockAPIKey(name: "known", secret: "sk-known")]
        configuration.acceptsUnknownKeys = false
        configuration.admin = MockAdminAccess(token: "admin-token")
        try await MockLLMServer.withRunning(configuration) { server in
            let missing = try await RawHTTPClient.chat(port: server.port, bearer: nil, chatBody)
            #expect(missing.status == 401)
            #expect(missing[header: "x-request-id"] != nil)
            let missingError = try #require(try missing.json()["error"] as? [String: Any])
            #expect(missingError["code"] as? String == "invalid_api_key")
            #expect(missingError["type"] as? String == "invalid_request_error")

            let unknown = try await RawHTTPClient.chat(port: server.port, bearer: "sk-very-secret-123", chatBody)
            #expect(unknown.status == 401)
            #expect(!unknown.body.contains("sk-very-secret-123"))
            #expect((try unknown.json()["error"] as? [String: Any])?["code"] as? String == "invalid_api_key")

            let known = try await RawHTTPClient.chat(port: server.port, bearer: "sk-known", chatBody)
            #expect(known.status == 200)

            let stats = server.stats
            #expect(stats.unauthorized == 2)
            #expect(stats[key: "known"].requests == 1)
            let statsJSON = try await RawHTTPClient.request(
                port: server.port, method: "GET", path: "/_mock/stats", bearer: "admin-token")
            #expect(statsJSON.status == 200)
            #expect(!statsJSON.body.contains("sk-very-secret-123"))
            #expect(!statsJSON.body.contains("sk-known"))
        }
    }

    @Test("malformed JSON and a missing messages field get 400 with an OpenAI error body")
    func badRequests() async throws {
        try await MockLLMServer.withRunning() { server in
            let malformed = try await RawHTTPClient.chat(port: server.port, #"{"model": "x", "messages": [ "#)
            #expect(malformed.status == 400)
            let error = try #require(try malformed.json()["error"] as? [String: Any])
            #expect(error["type"] as? String == "invalid_request_error")
            #expect(error.keys.contains("param"))
            #expect(error.keys.contains("code"))

            let missing = try await RawHTTPClient.chat(port: server.port, #"{"model":"x"}"#)
            #expect(missing.status == 400)
            #expect((try missing.json()["error"] as? [String: Any])?["param"] as? String == "messages")

            let unknownRoute = try await RawHTTPClient.request(port: server.port, path: "/v1/nope", body: "{}")
            #expect(unknownRoute.status == 404)
            #expect(unknownRoute[header: "x-request-id"] != nil)
            #expect(server.stats.badRequests == 2)
        }
    }

    @Test("a stream sends a role chunk, one delta per token, a finish chunk, a usage chunk and [DONE]")
    func stream() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 5)) { server in
            let response = try await RawHTTPClient.chat(port: server.port, streamBody())
            #expect(response.status == 200)
            #expect(response[header: "content-type"]?.hasPrefix("text/event-stream") == true)
            #expect(response.isComplete)
            let events = response.events
            #expect(events.last == "[DONE]")
            #expect(events.count == 9)  // role, 5 tokens, finish, usage, [DONE]
            let first = try RawHTTPResponse.object(events[0])
            #expect(first["object"] as? String == "chat.completion.chunk")
            let firstDelta = ((first["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])
            #expect(firstDelta?["role"] as? String == "assistant")
            #expect(try contentDeltas(response).joined() == MockReplyGenerator.reply(to: "Hello there", tokens: 5))
            let finish = try RawHTTPResponse.object(events[6])
            #expect((finish["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "stop")
            #expect(finish["usage"] is NSNull)
            let usageChunk = try RawHTTPResponse.object(events[7])
            #expect((usageChunk["choices"] as? [Any])?.isEmpty == true)
            let usage = try #require(usageChunk["usage"] as? [String: Any])
            #expect(
                usage["prompt_tokens"] as? Int == MockTokenEstimator.chatPromptTokens(messageContents: ["Hello there"]))
            #expect(usage["completion_tokens"] as? Int == 5)
            #expect(server.stats.completionTokensSent == 5)
        }
    }

    @Test("a stream without include_usage has no usage chunk, and max_tokens ends it with length")
    func streamWithoutUsage() async throws {
        try await MockLLMServer.withRunning() { server in
            let response = try await RawHTTPClient.chat(
                port: server.port, streamBody(maxTokens: 2, includeUsage: false))
            let events = response.events
            #expect(events.count == 5)  // role, 2 tokens, finish, [DONE]
            let finish = try RawHTTPResponse.object(events[3])
            #expect((finish["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "length")
            #expect(finish["usage"] == nil)
        }
    }

    @Test("embeddings return deterministic vectors of the requested size and the estimated usage")
    func embeddings() async throws {
        try await MockLLMServer.withRunning() { server in
            let response = try await RawHTTPClient.request(
                port: server.port, path: "/v1/embeddings",
                body: #"{"model":"text-embedding-3-small","input":["hello world","abc"],"dimensions":4}"#
            )
            #expect(response.status == 200)
            let json = try response.json()
            let data = try #require(json["data"] as? [[String: Any]])
            #expect(data.count == 2)
            let vector = try #require(data[0]["embedding"] as? [Double])
            #expect(vector.count == 4)
            let expected = MockReplyGenerator.embedding(of: "hello world", dimensions: 4)
            for (a, b) in zip(vector, expected) { #expect(abs(a - Double(b)) < 1e-6) }
            #expect((json["usage"] as? [String: Any])?["prompt_tokens"] as? Int == 3 + 1)

            let single = try await RawHTTPClient.request(
                port: server.port, path: "/v1/embeddings", body: #"{"model":"m","input":"hi"}"#)
            #expect(((try single.json()["data"] as? [[String: Any]])?.first?["embedding"] as? [Double])?.count == 8)
        }
    }

    @Test("models are listed")
    func models() async throws {
        try await MockLLMServer.withRunning() { server in
            let response = try await RawHTTPClient.request(port: server.port, method: "GET", path: "/v1/models")
            #expect(response.status == 200)
            let data = try #require(try response.json()["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as? String } == ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"])
        }
    }

    @Test("the request limit answers 429 with retry hints, limit headers and the OpenAI body")
    func requestLimit() async throws {
        var configuration = MockServerConfiguration()
        configuration.clock = .manual()
        configuration.keys = [MockAPIKey(name: "a", secret: "sk-a", limits: MockRateLimits(requestsPerMinute: 2))]
        try await MockLLMServer.withRunning(configuration) { server in
            let first = try await RawHTTPClient.chat(port: server.port, bearer: "sk-a", chatBody)
            #expect(first.status == 200)
            #expect(first[header: "x-ratelimit-limit-requests"] == "2")
            #expect(first[header: "x-ratelimit-remaining-requests"] == "1")
            #expect(first[header: "x-ratelimit-reset-requests"] == "30s")
            #expect(first[header: "x-ratelimit-limit-tokens"] == nil)
            _ = try await RawHTTPClient.chat(port: server.port, bearer: "sk-a", chatBody)
            let limited = try await RawHTTPClient.chat(port: server.port, bearer: "sk-a", chatBody)
            #expect(limited.status == 429)
            #expect(limited[header: "retry-after"] == "30")
            #expect(limited[header: "retry-after-ms"] == "30000")
            #expect(limited[header: "x-ratelimit-remaining-requests"] == "0")
            #expect(limited[header: "x-ratelimit-reset-requests"] == "1m0s")
            let error = try #require(try limited.json()["error"] as? [String: Any])
            #expect(error["type"] as? String == "requests")
            #expect(error["code"] as? String == "rate_limit_exceeded")
            #expect((error["message"] as? String)?.hasPrefix("Rate limit reached for") == true)

            server.configuration.clock.advance(by: .seconds(30))
            #expect(try await RawHTTPClient.chat(port: server.port, bearer: "sk-a", chatBody).status == 200)
            let stats = server.stats
            #expect(stats[key: "a"].requests == 4)
            #expect(stats[key: "a"].rateLimited == 1)
            #expect(stats[key: "a"].tooManyRequests == 1)
        }
    }

    @Test("the token limit charges prompt + max_tokens and rejects requests larger than the bucket")
    func tokenLimit() async throws {
        var configuration = MockServerConfiguration()
        configuration.clock = .manual()
        configuration.defaultLimits = MockRateLimits(tokensPerMinute: 100)
        try await MockLLMServer.withRunning(configuration) { server in
            let body = #"{"model":"m","max_tokens":50,"messages":[{"role":"user","content":"Hi"}]}"#  // 8 + 50
            let first = try await RawHTTPClient.chat(port: server.port, body)
            #expect(first.status == 200)
            #expect(first[header: "x-ratelimit-remaining-tokens"] == "42")
            let second = try await RawHTTPClient.chat(port: server.port, body)
            #expect(second.status == 429)
            #expect((try second.json()["error"] as? [String: Any])?["type"] as? String == "tokens")
            #expect(second[header: "retry-after-ms"] == "9600")  // 16 tokens at 100/min

            let huge = #"{"model":"m","max_tokens":500,"messages":[{"role":"user","content":"Hi"}]}"#
            let tooLarge = try await RawHTTPClient.chat(port: server.port, huge)
            #expect(tooLarge.status == 429)
            #expect(tooLarge[header: "retry-after"] == nil)
            #expect(tooLarge[header: "x-should-retry"] == "false")
            #expect(
                ((try tooLarge.json()["error"] as? [String: Any])?["message"] as? String)?.hasPrefix(
                    "Request too large") == true)
            #expect(server.stats[key: MockAPIKey.anonymousName(forSecret: "sk-test")].tokensCharged == 58)
        }
    }

    @Test("scripted HTTP errors carry their status, retry hints and x-should-retry, then the script moves on")
    func scriptedErrors() async throws {
        try await MockLLMServer.withRunning() { server in
            server.enqueue([
                .fault(.serverError(503, retryAfter: .both(.milliseconds(1500)), shouldRetry: true)),
                .fault(.overloaded(shouldRetry: false)),
                .fault(.rateLimited(retryAfter: .milliseconds(250))),
            ])
            let unavailable = try await RawHTTPClient.chat(port: server.port, chatBody)
            #expect(unavailable.status == 503)
            #expect(unavailable[header: "retry-after"] == "2")
            #expect(unavailable[header: "retry-after-ms"] == "1500")
            #expect(unavailable[header: "x-should-retry"] == "true")
            #expect((try unavailable.json()["error"] as? [String: Any])?["type"] as? String == "server_error")
            let overloaded = try await RawHTTPClient.chat(port: server.port, chatBody)
            #expect(overloaded.status == 529)
            #expect(overloaded[header: "x-should-retry"] == "false")
            let limited = try await RawHTTPClient.chat(port: server.port, chatBody)
            #expect(limited.status == 429)
            #expect(limited[header: "retry-after"] == nil)
            #expect(limited[header: "retry-after-ms"] == "250")
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody).status == 200)
            let stats = server.stats
            #expect(stats.faults(.http503) == 1)
            #expect(stats.faults(.http529) == 1)
            #expect(stats.faults(.http429) == 1)
        }
    }

    @Test("a scripted outcome for one key is only consumed by that key")
    func scriptedPerKey() async throws {
        var configuration = MockServerConfiguration()
        configuration.keys = [MockAPIKey(name: "a", secret: "sk-a"), MockAPIKey(name: "b", secret: "sk-b")]
        try await MockLLMServer.withRunning(configuration) { server in
            server.enqueue(.serverError(500), forKey: "b")
            let a = try await RawHTTPClient.chat(port: server.port, bearer: "sk-a", chatBody)
            let b = try await RawHTTPClient.chat(port: server.port, bearer: "sk-b", chatBody)
            #expect(a.status == 200)
            #expect(b.status == 500)
            #expect(server.pendingOutcomes == 0)
        }
    }

    @Test("a dropped connection ends the stream after N tokens without the terminating chunk")
    func droppedStream() async throws {
        try await MockLLMServer.withRunning() { server in
            server.enqueue(.dropConnection(afterTokens: 2))
            let response = try await RawHTTPClient.chat(port: server.port, streamBody())
            #expect(response.status == 200)
            #expect(!response.isComplete)
            #expect(try contentDeltas(response).count == 2)
            #expect(!response.events.contains("[DONE]"))
            #expect(server.stats.faults(.dropConnection) == 1)
            #expect(server.stats.completionTokensSent == 2)
        }
    }

    @Test("a dropped non-streaming answer is cut short of its content-length")
    func droppedPlain() async throws {
        try await MockLLMServer.withRunning() { server in
            server.enqueue(.dropConnection())
            let response = try await RawHTTPClient.chat(port: server.port, chatBody)
            #expect(response.status == 200)
            #expect(!response.isComplete)
        }
    }

    @Test("an error event ends the stream after N tokens with an OpenAI error and no [DONE]")
    func errorEvent() async throws {
        try await MockLLMServer.withRunning() { server in
            server.enqueue(.errorEvent(afterTokens: 1))
            let response = try await RawHTTPClient.chat(port: server.port, streamBody())
            #expect(response.isComplete)
            let events = response.events
            #expect(events.count == 3)
            let error = try #require(try RawHTTPResponse.object(events[2])["error"] as? [String: Any])
            #expect(error["type"] as? String == "server_error")
        }
    }

    @Test("malformed SSE puts a data line with invalid JSON into the stream")
    func malformedSSE() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 3)) { server in
            server.enqueue(.malformedSSE(afterTokens: 1))
            let response = try await RawHTTPClient.chat(port: server.port, streamBody())
            let events = response.events
            #expect((try? RawHTTPResponse.object(events[2])) == nil)
            #expect(events.last == "[DONE]")
        }
    }

    @Test("malformed JSON answers 200 with a body that does not parse")
    func malformedJSON() async throws {
        try await MockLLMServer.withRunning() { server in
            server.enqueue(.malformedJSON)
            let response = try await RawHTTPClient.chat(port: server.port, chatBody)
            #expect(response.status == 200)
            #expect(response.isComplete)
            #expect((try? response.json()) == nil)
        }
    }

    @Test("a stall sends the head and tokens, then nothing, then closes the connection")
    func stall() async throws {
        try await MockLLMServer.withRunning() { server in
            server.enqueue(.stall(afterTokens: 1, duration: .milliseconds(200)))
            let response = try await RawHTTPClient.chat(port: server.port, streamBody())
            #expect(response.status == 200)
            #expect(!response.isComplete)
            #expect(try contentDeltas(response).count == 1)
            #expect(server.stats.faults(.stall) == 1)
            #expect(server.stats.disconnects == 0)
        }
    }

    @Test("a client leaving a slow stream is noticed before the next token is due, and in-flight returns to 0")
    func clientDisconnect() async throws {
        var configuration = MockServerConfiguration(replyTokens: 10)
        configuration.latency = MockLatency(perToken: .seconds(5))
        try await MockLLMServer.withRunning(configuration) { server in
            let received = try await RawHTTPClient.readPartially(
                port: server.port, path: "/v1/chat/completions", body: streamBody()
            ) { text in
                text.components(separatedBy: "data: ").count - 1 >= 2  // role chunk + first token
            }
            #expect(received.contains("chat.completion.chunk"))
            let closedAt = ContinuousClock.now
            var stats = server.stats
            while stats.disconnects == 0 || stats.inFlight > 0, closedAt.duration(to: .now) < .seconds(4) {
                try await Task.sleep(for: .milliseconds(20))
                stats = server.stats
            }
            #expect(stats.disconnects == 1)
            #expect(stats.inFlight == 0)
            #expect(closedAt.duration(to: .now) < .seconds(4))
            #expect(stats.completionTokensSent == 1)
        }
    }

    @Test("a client leaving during head latency is counted too")
    func disconnectBeforeHead() async throws {
        var configuration = MockServerConfiguration()
        configuration.latency = MockLatency(head: .seconds(30))
        try await MockLLMServer.withRunning(configuration) { server in
            try await RawHTTPClient.sendThenClose(port: server.port, path: "/v1/chat/completions", body: chatBody) {
                server.stats.inFlight == 1
            }
            let start = ContinuousClock.now
            var stats = server.stats
            while stats.disconnects == 0 || stats.inFlight > 0, start.duration(to: .now) < .seconds(5) {
                try await Task.sleep(for: .milliseconds(20))
                stats = server.stats
            }
            #expect(stats.disconnects == 1)
            #expect(stats.inFlight == 0)
        }
    }

    @Test("concurrent requests are all answered and peak in-flight is recorded")
    func concurrency() async throws {
        var configuration = MockServerConfiguration(replyTokens: 3)
        configuration.latency = MockLatency(head: .milliseconds(200))
        try await MockLLMServer.withRunning(configuration) { server in
            let port = server.port
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<100 {
                    group.addTask { try await RawHTTPClient.chat(port: port, chatBody).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 100)
            #expect(statuses.allSatisfy { $0 == 200 })
            let stats = server.stats
            #expect(stats.requests == 100)
            #expect(stats.peakInFlight > 10)
            #expect(stats.inFlight == 0)
        }
    }

    @Test("1,000 concurrent streams are all answered completely and in-flight returns to 0")
    func thousandStreams() async throws {
        var configuration = MockServerConfiguration(replyTokens: 5)
        // Each stream stays open at least 350 ms, so that many overlap even when a loaded machine
        // opens the connections slowly.
        configuration.latency = MockLatency(firstToken: .milliseconds(300), perToken: .milliseconds(10))
        try await MockLLMServer.withRunning(configuration) { server in
            let port = server.port
            let body = streamBody()
            let complete = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<1000 {
                    group.addTask {
                        let response = try await RawHTTPClient.chat(port: port, body)
                        return response.status == 200 && response.isComplete && response.events.last == "[DONE]"
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(complete == 1000)
            let stats = server.stats
            #expect(stats.requests == 1000)
            #expect(stats.completionTokensSent == 5000)
            #expect(stats.peakInFlight > 100)
            #expect(stats.inFlight == 0)
        }
    }

    @Test("stats are served as JSON and reset over HTTP")
    func statsEndpoint() async throws {
        var configuration = MockServerConfiguration()
        configuration.admin = MockAdminAccess(token: "admin-token")
        try await MockLLMServer.withRunning(configuration) { server in
            server.enqueue(.serverError(502))
            _ = try await RawHTTPClient.chat(port: server.port, chatBody)
            let response = try await RawHTTPClient.request(
                port: server.port, method: "GET", path: "/_mock/stats", bearer: "admin-token")
            #expect(response.status == 200)
            let decoded = try JSONDecoder().decode(MockServerStats.self, from: Data(response.body.utf8))
            #expect(decoded.requests == 1)
            #expect(decoded.faults(.http502) == 1)
            let reset = try await RawHTTPClient.request(port: server.port, path: "/_mock/reset", bearer: "admin-token")
            #expect(reset.status == 200)
            #expect(server.stats == MockServerStats())
        }
    }

    @Test("seeded random faults give the same sequence of answers on every run")
    func seededFaults() async throws {
        func statuses() async throws -> [Int] {
            var configuration = MockServerConfiguration()
            configuration.faults = MockFaultPlan(
                seed: 9, [.rate(0.4, .serverError(500)), .rate(0.2, .httpError(status: 502))])
            return try await MockLLMServer.withRunning(configuration) { server in
                var statuses: [Int] = []
                for _ in 0..<20 { statuses.append(try await RawHTTPClient.chat(port: server.port, chatBody).status) }
                return statuses
            }
        }
        let first = try await statuses()
        #expect(first == (try await statuses()))
        #expect(Set(first) == [200, 500, 502])
    }

    @Test("the server binds a free port, reports its URL, and shuts down while a stall is in progress")
    func lifecycle() async throws {
        let server = MockLLMServer()
        try await server.start()
        #expect(server.port > 0)
        #expect(server.baseURL == "http://127.0.0.1:\(server.port)")
        server.enqueue(.stall(duration: .seconds(60)))
        async let stalled = RawHTTPClient.chat(port: server.port, chatBody)
        while server.stats.inFlight == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let start = ContinuousClock.now
        await server.shutdown()
        _ = try? await stalled
        #expect(start.duration(to: .now) < .seconds(10))
        await server.shutdown()
    }
}
