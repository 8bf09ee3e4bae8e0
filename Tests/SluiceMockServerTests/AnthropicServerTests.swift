import Foundation
import SluiceMockServer
import Testing

/// `textTokens("You are terse.") + (textTokens("Hello there") + 4) + 3` = 4 + 7 + 3
private let inputTokensWithSystem = 14

@Suite("Anthropic messages over loopback")
struct AnthropicServerTests {
    @Test("GET /v1/models with anthropic-version lists the models in Anthropic's shape, with Anthropic's auth")
    func models() async throws {
        var configuration = MockServerConfiguration()
        configuration.models = ["claude-a", "claude-b"]
        try await MockLLMServer.withRunning(configuration) { server in
            let headers = ["x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"]
            let listed = try await RawHTTPClient.request(
                port: server.port, method: "GET", path: "/v1/models", bearer: nil, extraHeaders: headers)
            #expect(listed.status == 200)
            #expect(listed[header: "request-id"] != nil)
            let body = try listed.json()
            let data = try #require(body["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as? String } == ["claude-a", "claude-b"])
            #expect(data.allSatisfy { $0["type"] as? String == "model" && $0["created_at"] is String })
            #expect(body["has_more"] as? Bool == false)
            #expect(body["first_id"] as? String == "claude-a" && body["last_id"] as? String == "claude-b")

            let unauthenticated = try await RawHTTPClient.request(
                port: server.port, method: "GET", path: "/v1/models", bearer: nil,
                extraHeaders: ["anthropic-version": "2023-06-01"])
            #expect(unauthenticated.status == 401)
            #expect((try unauthenticated.json()["error"] as? [String: Any])?["type"] as? String == "authentication_error")

            let openAI = try await RawHTTPClient.request(port: server.port, method: "GET", path: "/v1/models")
            #expect(try openAI.json()["object"] as? String == "list")
        }
    }

    @Test("a plain message has Anthropic's shape, request-id, the predicted usage and the generated reply")
    func plainMessage() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 7)) { server in
            let response = try await RawHTTPClient.messages(
                port: server.port, messagesBody(system: "You are terse."))
            #expect(response.status == 200)
            #expect(response[header: "request-id"]?.hasPrefix("req_") == true)
            #expect(response[header: "content-type"] == "application/json")
            let json = try response.json()
            #expect((json["id"] as? String)?.hasPrefix("msg_") == true)
            #expect(json["type"] as? String == "message")
            #expect(json["role"] as? String == "assistant")
            #expect(json["model"] as? String == "claude-test")
            let content = try #require(json["content"] as? [[String: Any]])
            #expect(content.count == 1)
            #expect(content[0]["type"] as? String == "text")
            #expect(content[0]["text"] as? String == MockReplyGenerator.reply(to: "Hello there", tokens: 7))
            #expect(json["stop_reason"] as? String == "end_turn")
            #expect(json["stop_sequence"] is NSNull)
            let usage = try #require(json["usage"] as? [String: Any])
            #expect(usage["input_tokens"] as? Int == inputTokensWithSystem)
            #expect(
                usage["input_tokens"] as? Int
                    == MockTokenEstimator.messagesPromptTokens(
                        system: "You are terse.", messageContents: ["Hello there"]))
            #expect(usage["output_tokens"] as? Int == 7)
            #expect(usage["cache_creation_input_tokens"] as? Int == 0)
            #expect(usage["cache_read_input_tokens"] as? Int == 0)
            let stats = server.stats
            #expect(stats.requests == 1)
            #expect(stats.completionTokensSent == 7)
            #expect(stats[key: MockAPIKey.anonymousName(forSecret: "sk-ant-test")].requests == 1)
            #expect(stats.inFlight == 0)
        }
    }

    @Test("max_tokens caps the reply with stop_reason max_tokens; content blocks and system blocks are counted")
    func maxTokensAndBlocks() async throws {
        try await MockLLMServer.withRunning() { server in
            let body =
                #"{"model":"claude-test","max_tokens":3,"system":[{"type":"text","text":"You are terse."}],"messages":[{"role":"user","content":[{"type":"text","text":"Hello there"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]}]}"#
            let json = try await RawHTTPClient.messages(port: server.port, body).json()
            #expect(json["stop_reason"] as? String == "max_tokens")
            let usage = try #require(json["usage"] as? [String: Any])
            #expect(usage["output_tokens"] as? Int == 3)
            #expect(usage["input_tokens"] as? Int == inputTokensWithSystem)
        }
    }

    @Test("a stream sends Anthropic's named events in order, one text_delta per token")
    func streamEventSequence() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 5)) { server in
            let response = try await RawHTTPClient.messages(
                port: server.port, messagesBody(system: "You are terse.", stream: true))
            #expect(response.status == 200)
            #expect(response[header: "content-type"]?.hasPrefix("text/event-stream") == true)
            #expect(response[header: "request-id"]?.hasPrefix("req_") == true)
            #expect(response.isComplete)
            let events = response.namedEvents
            #expect(
                events.map(\.name)
                    == [
                        "message_start", "content_block_start", "ping",
                        "content_block_delta", "content_block_delta", "content_block_delta", "content_block_delta",
                        "content_block_delta", "content_block_stop", "message_delta", "message_stop",
                    ])
            // Every data payload is JSON whose type matches the event name.
            for event in events {
                #expect(try event.json()["type"] as? String == event.name)
            }
            let start = try #require(try events[0].json()["message"] as? [String: Any])
            #expect((start["id"] as? String)?.hasPrefix("msg_") == true)
            #expect((start["content"] as? [Any])?.isEmpty == true)
            #expect(start["stop_reason"] is NSNull)
            let startUsage = try #require(start["usage"] as? [String: Any])
            #expect(startUsage["input_tokens"] as? Int == inputTokensWithSystem)
            #expect(startUsage["output_tokens"] as? Int == 1)

            let blockStart = try events[1].json()
            #expect(blockStart["index"] as? Int == 0)
            #expect((blockStart["content_block"] as? [String: Any])?["type"] as? String == "text")
            #expect((blockStart["content_block"] as? [String: Any])?["text"] as? String == "")

            let texts = try events[3..<8].map { event -> String in
                let delta = try #require(try event.json()["delta"] as? [String: Any])
                #expect(delta["type"] as? String == "text_delta")
                return try #require(delta["text"] as? String)
            }
            #expect(texts.joined() == MockReplyGenerator.reply(to: "Hello there", tokens: 5))

            let messageDelta = try events[9].json()
            let delta = try #require(messageDelta["delta"] as? [String: Any])
            #expect(delta["stop_reason"] as? String == "end_turn")
            #expect(delta["stop_sequence"] is NSNull)
            #expect((messageDelta["usage"] as? [String: Any])?["output_tokens"] as? Int == 5)
            #expect(server.stats.completionTokensSent == 5)
            #expect(server.stats.inFlight == 0)
        }
    }

    @Test("a missing or unknown x-api-key or bearer token is answered 401 authentication_error without echoing the key")
    func authentication() async throws {
        var configuration = MockServerConfiguration()
        configuration.keys = [MockAPIKey(name: "known", secret: "sk-ant-known")]
        configuration.acceptsUnknownKeys = false
        try await MockLLMServer.withRunning(configuration) { server in
            for apiKey in [nil, "sk-ant-very-secret-123"] {
                let response = try await RawHTTPClient.messages(port: server.port, apiKey: apiKey, messagesBody())
                #expect(response.status == 401)
                #expect(!response.body.contains("sk-ant-very-secret-123"))
                #expect(response[header: "request-id"] != nil)
                let json = try response.json()
                #expect(json["type"] as? String == "error")
                let error = try #require(json["error"] as? [String: Any])
                #expect(error["type"] as? String == "authentication_error")
                #expect(error["message"] as? String == "invalid x-api-key")
            }
            // The current anthropic SDKs send `Authorization: Bearer` (and a newer anthropic-version).
            let bearer = try await RawHTTPClient.request(
                port: server.port, path: "/v1/messages", bearer: "sk-ant-known", body: messagesBody(),
                extraHeaders: ["anthropic-version": "2026-10-21"])
            #expect(bearer.status == 200)
            let unknownBearer = try await RawHTTPClient.request(
                port: server.port, path: "/v1/messages", bearer: "sk-ant-very-secret-123", body: messagesBody(),
                extraHeaders: ["anthropic-version": "2026-10-21"])
            #expect(unknownBearer.status == 401)
            #expect(!unknownBearer.body.contains("sk-ant-very-secret-123"))
            #expect(
                try await RawHTTPClient.messages(port: server.port, apiKey: "sk-ant-known", messagesBody()).status
                    == 200)
            #expect(server.stats.unauthorized == 3)
            #expect(server.stats[key: "known"].requests == 2)
        }
    }

    @Test("a missing anthropic-version header, max_tokens or messages, and bad JSON get 400 invalid_request_error")
    func badRequests() async throws {
        try await MockLLMServer.withRunning() { server in
            func errorMessage(_ response: RawHTTPResponse) throws -> String? {
                #expect(response.status == 400)
                let json = try response.json()
                #expect(json["type"] as? String == "error")
                let error = try #require(json["error"] as? [String: Any])
                #expect(error["type"] as? String == "invalid_request_error")
                return error["message"] as? String
            }
            let noVersion = try await RawHTTPClient.messages(port: server.port, version: nil, messagesBody())
            #expect(try errorMessage(noVersion)?.contains("anthropic-version") == true)
            let noMaxTokens = try await RawHTTPClient.messages(port: server.port, messagesBody(maxTokens: nil))
            #expect(try errorMessage(noMaxTokens) == "max_tokens: Field required")
            let zero = try await RawHTTPClient.messages(port: server.port, messagesBody(maxTokens: 0))
            #expect(try errorMessage(zero)?.hasPrefix("max_tokens") == true)
            let noMessages = try await RawHTTPClient.messages(
                port: server.port, #"{"model":"claude-test","max_tokens":10}"#)
            #expect(try errorMessage(noMessages) == "messages: Field required")
            let malformed = try await RawHTTPClient.messages(port: server.port, #"{"model": "claude-test", "#)
            #expect(try errorMessage(malformed) != nil)
            #expect(server.stats.badRequests == 5)
            #expect(server.stats.completionTokensSent == 0)
        }
    }

    @Test("injected 529, 500 and 429 carry Anthropic's error types, retry hints and x-should-retry")
    func injectedErrors() async throws {
        try await MockLLMServer.withRunning() { server in
            server.enqueue([
                .fault(.overloaded(shouldRetry: true)),
                .fault(.serverError(500, shouldRetry: false)),
                .fault(.rateLimited(retryAfter: .seconds(3))),
            ])
            let expectations: [(Int, String)] = [
                (529, "overloaded_error"), (500, "api_error"), (429, "rate_limit_error"),
            ]
            var responses: [RawHTTPResponse] = []
            for (status, type) in expectations {
                let response = try await RawHTTPClient.messages(port: server.port, messagesBody(stream: status == 500))
                #expect(response.status == status)
                #expect(response[header: "request-id"] != nil)
                let json = try response.json()
                #expect(json["type"] as? String == "error")
                #expect((json["error"] as? [String: Any])?["type"] as? String == type)
                responses.append(response)
            }
            #expect(responses[0][header: "x-should-retry"] == "true")
            #expect(responses[1][header: "x-should-retry"] == "false")
            #expect(responses[2][header: "retry-after"] == "3")
            #expect(try await RawHTTPClient.messages(port: server.port, messagesBody()).status == 200)
            let stats = server.stats
            #expect(stats.faults(.http529) == 1)
            #expect(stats.faults(.http500) == 1)
            #expect(stats.faults(.http429) == 1)
            #expect(stats[key: MockAPIKey.anonymousName(forSecret: "sk-ant-test")].tooManyRequests == 1)
        }
    }

    @Test("an error event mid-stream is event: error with an overloaded_error, and ends the stream")
    func errorEventMidStream() async throws {
        try await MockLLMServer.withRunning() { server in
            server.enqueue(.errorEvent(afterTokens: 2))
            let response = try await RawHTTPClient.messages(port: server.port, messagesBody(stream: true))
            #expect(response.status == 200)
            #expect(response.isComplete)
            let events = response.namedEvents
            #expect(
                events.map(\.name)
                    == [
                        "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
                        "error",
                    ])
            #expect(
                events.last?.data == #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)
            #expect(server.stats.faults(.errorEvent) == 1)
            #expect(server.stats.completionTokensSent == 2)

            server.enqueue(.errorEvent())
            let plain = try await RawHTTPClient.messages(port: server.port, messagesBody())
            #expect(plain.status == 529)
            #expect((try plain.json()["error"] as? [String: Any])?["type"] as? String == "overloaded_error")
        }
    }

    @Test("drop, stall and malformed SSE act on the Anthropic stream as on the OpenAI one")
    func streamFaults() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 4)) { server in
            server.enqueue(.dropConnection(afterTokens: 1))
            let dropped = try await RawHTTPClient.messages(port: server.port, messagesBody(stream: true))
            #expect(!dropped.isComplete)
            #expect(dropped.namedEvents.filter { $0.name == "content_block_delta" }.count == 1)
            #expect(!dropped.namedEvents.contains { $0.name == "message_stop" })

            server.enqueue(.stall(afterTokens: 2, duration: .milliseconds(100)))
            let stalled = try await RawHTTPClient.messages(port: server.port, messagesBody(stream: true))
            #expect(!stalled.isComplete)
            #expect(stalled.namedEvents.filter { $0.name == "content_block_delta" }.count == 2)

            server.enqueue(.malformedSSE(afterTokens: 1))
            let malformed = try await RawHTTPClient.messages(port: server.port, messagesBody(stream: true))
            let events = malformed.namedEvents
            #expect((try? events[4].json()) == nil)
            #expect(events.last?.name == "message_stop")

            server.enqueue(.malformedJSON)
            let truncated = try await RawHTTPClient.messages(port: server.port, messagesBody())
            #expect(truncated.status == 200)
            #expect((try? truncated.json()) == nil)
            #expect(server.stats.inFlight == 0)
        }
    }
}
