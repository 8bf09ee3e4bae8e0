import Sluice
import SluiceMockServer
import Synchronization
import Testing

/// CurlTransport against the mock LLM server on loopback: the exchanges every higher layer relies on.
@Suite("CurlTransport against the mock LLM server")
struct MockServerExchangeTests {
    static let key = "test-key-exchange"

    static func chatRequest(_ server: MockLLMServer, stream: Bool = false, maxTokens: Int? = nil) -> ClientRequest {
        var fields = [#""model":"gpt-4o-mini""#, #""messages":[{"role":"user","content":"Say hello to the river."}]"#]
        if stream { fields.append(#""stream":true,"stream_options":{"include_usage":true}"#) }
        if let maxTokens { fields.append(#""max_tokens":\#(maxTokens)"#) }
        return ClientRequest(
            method: .post,
            url: server.baseURL + "/v1/chat/completions",
            headers: ["authorization": "Bearer \(key)", "content-type": "application/json"],
            body: Array(("{" + fields.joined(separator: ",") + "}").utf8)
        )
    }

    /// Waits (bounded) until `condition` holds; the server and the transport settle asynchronously.
    static func eventually(within limit: Duration = .seconds(5), _ condition: () -> Bool) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        while clock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test("a unary chat completion returns 200, the JSON reply with usage, and OpenAI's rate-limit headers")
    func unary() async throws {
        var configuration = MockServerConfiguration()
        configuration.defaultLimits = MockRateLimits(requestsPerMinute: 600, tokensPerMinute: 100_000)
        try await MockLLMServer.withRunning(configuration) { server in
            try await CurlTransport.withTransport { transport in
                let response = try await transport.send(Self.chatRequest(server))
                #expect(response.status == 200)
                #expect(response.headers["content-type"]?.hasPrefix("application/json") == true)
                #expect(response.headers["x-ratelimit-limit-requests"] == "600")
                #expect(response.headers["x-ratelimit-remaining-requests"] == "599")
                #expect(response.headers["x-request-id"] != nil)
                let body = try await response.body.collect(upTo: 1 << 20)
                let json = try JSONValue(parsing: body)
                #expect(json["object"]?.stringValue == "chat.completion")
                #expect(json["usage"]?["completion_tokens"]?.intValue == 20)
                let content = json["choices"]?[0]?["message"]?["content"]?.stringValue ?? ""
                #expect(content.split(separator: " ").count == 20)
                #expect(transport.activeTransferCount == 0)
            }
            #expect(server.stats.requests == 1)
        }
    }

    @Test("a stream arrives chunk by chunk, each SSE event as the server paces it, ending in [DONE] with usage")
    func streamChunkByChunk() async throws {
        var configuration = MockServerConfiguration()
        configuration.replyTokens = 8
        configuration.latency = MockLatency(perToken: .milliseconds(15))
        try await MockLLMServer.withRunning(configuration) { server in
            try await CurlTransport.withTransport { transport in
                let response = try await transport.send(Self.chatRequest(server, stream: true))
                #expect(response.status == 200)
                #expect(response.headers["content-type"]?.hasPrefix("text/event-stream") == true)
                var parser = ServerSentEventParser()
                var events: [ServerSentEvent] = []
                var chunks = 0
                for try await chunk in response.body {
                    chunks += 1
                    try parser.parse(chunk) { events.append($0) }
                }
                try parser.finish { events.append($0) }
                // Paced tokens cannot all arrive in one read: the body is streamed, not buffered.
                #expect(chunks >= 8)
                #expect(events.last?.data == "[DONE]")
                let payloads = try events.dropLast().map { try JSONValue(parsing: $0.data) }
                let text = payloads.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
                #expect(text.split(separator: " ").count == 8)
                #expect(payloads.last?["usage"]?["completion_tokens"]?.intValue == 8)
            }
        }
    }

    @Test("1,000 concurrent requests all succeed over one transport and leave nothing in flight")
    func thousandConcurrent() async throws {
        var configuration = MockServerConfiguration()
        configuration.replyTokens = 4
        try await MockLLMServer.withRunning(configuration) { server in
            try await CurlTransport.withTransport { transport in
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<1_000 {
                        group.addTask {
                            let response = try await transport.send(Self.chatRequest(server))
                            _ = try await response.body.collect(upTo: 1 << 16)
                            return response.status
                        }
                    }
                    var statuses: [Int] = []
                    for try await status in group { statuses.append(status) }
                    return statuses
                }
                #expect(statuses.count == 1_000)
                #expect(statuses.allSatisfy { $0 == 200 })
                #expect(transport.activeTransferCount == 0)
            }
            let stats = server.stats
            #expect(stats.requests == 1_000)
            #expect(stats[key: MockAPIKey.anonymousName(forSecret: Self.key)].requests == 1_000)
            #expect(stats.inFlight == 0)
        }
    }

    @Test("a consumer that cancels mid-stream frees the transfer: the server sees the disconnect, in-flight returns to 0")
    func cancelMidStream() async throws {
        var configuration = MockServerConfiguration()
        configuration.replyTokens = 500
        configuration.latency = MockLatency(perToken: .milliseconds(20))
        try await MockLLMServer.withRunning(configuration) { server in
            try await CurlTransport.withTransport { transport in
                let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
                let reader = Task {
                    let response = try await transport.send(Self.chatRequest(server, stream: true))
                    var received = 0
                    for try await _ in response.body {
                        received += 1
                        if received == 3 { startedContinuation.yield() }
                    }
                    return received
                }
                for await _ in started { break }
                #expect(server.stats.inFlight == 1)
                reader.cancel()
                await #expect(throws: CancellationError.self) { _ = try await reader.value }
                let settled1 = try await Self.eventually { transport.activeTransferCount == 0 }
                #expect(settled1)
                let settled2 = try await Self.eventually { server.stats.inFlight == 0 && server.stats.disconnects == 1 }
                #expect(settled2)
                // 500 tokens at 20 ms each would take 10 s: the server stopped early.
                #expect(server.stats.completionTokensSent < 100)
            }
        }
    }

    @Test("collect(upTo:) on a body over the limit fails with bodyTooLarge and frees the transfer")
    func bodyOverLimit() async throws {
        var configuration = MockServerConfiguration()
        configuration.replyTokens = 2_000
        try await MockLLMServer.withRunning(configuration) { server in
            try await CurlTransport.withTransport { transport in
                let response = try await transport.send(Self.chatRequest(server))
                let error = await #expect(throws: SluiceError.self) { try await response.body.collect(upTo: 1_024) }
                #expect(error?.code == .bodyTooLarge)
                let settled3 = try await Self.eventually { transport.activeTransferCount == 0 }
                #expect(settled3)
            }
        }
    }

    @Test("a server that stalls mid-stream is cut by the idle timeout with a typed timeout error")
    func stallMidStream() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration()) { server in
            server.enqueue([.fault(.stall(afterTokens: 2, duration: .seconds(30)))])
            var transportConfiguration = CurlTransport.Configuration()
            // Long enough that a loaded machine sends the head within it; far below the stall.
            transportConfiguration.timeouts.idle = .seconds(5)
            try await CurlTransport.withTransport(configuration: transportConfiguration) { transport in
                let clock = ContinuousClock()
                let start = clock.now
                let response = try await transport.send(Self.chatRequest(server, stream: true))
                #expect(response.status == 200)
                let error = await #expect(throws: SluiceError.self) {
                    for try await _ in response.body {}
                }
                #expect(error?.code == .timeout)
                // The stall lasts 30 s; the 2 s idle limit cuts it long before (generous for sanitizer builds).
                #expect(clock.now - start < .seconds(25))
                let settled4 = try await Self.eventually { transport.activeTransferCount == 0 }
                #expect(settled4)
            }
            let settled5 = try await Self.eventually { server.stats.inFlight == 0 }
            #expect(settled5)
        }
    }

    @Test("a server that stalls before the head is cut by the idle timeout before send returns")
    func stallBeforeHead() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration()) { server in
            server.enqueue([.fault(.headDelay(.seconds(30)))])
            var transportConfiguration = CurlTransport.Configuration()
            transportConfiguration.timeouts.idle = .seconds(2)
            try await CurlTransport.withTransport(configuration: transportConfiguration) { transport in
                let error = await #expect(throws: SluiceError.self) {
                    _ = try await transport.send(Self.chatRequest(server))
                }
                #expect(error?.code == .timeout)
                #expect(transport.activeTransferCount == 0)
            }
        }
    }

    @Test("a connection dropped mid-stream ends the body with connectionClosed, after the data that arrived")
    func droppedMidStream() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration()) { server in
            server.enqueue([.fault(.dropConnection(afterTokens: 3))])
            try await CurlTransport.withTransport { transport in
                let response = try await transport.send(Self.chatRequest(server, stream: true))
                var bytes = 0
                let error = await #expect(throws: SluiceError.self) {
                    for try await chunk in response.body { bytes += chunk.count }
                }
                #expect(error?.code == .connectionClosed)
                #expect(bytes > 0)
                #expect(transport.activeTransferCount == 0)
            }
        }
    }
}
