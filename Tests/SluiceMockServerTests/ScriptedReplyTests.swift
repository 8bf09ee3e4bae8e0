import Foundation
import Testing

@testable import SluiceMockServer

private let weatherTool =
    #"{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}"#

private func chatBody(
    _ text: String = "Hello", model: String = "gpt-4o-mini", stream: Bool = false, extra: String = ""
) -> String {
    let streaming = stream ? #""stream":true,"stream_options":{"include_usage":true},"# : ""
    let more = extra.isEmpty ? "" : extra + ","
    return #"{"model":"\#(model)",\#(streaming)\#(more)"messages":[{"role":"user","content":"\#(text)"}]}"#
}

private func run(
    _ script: MockScript?, configure: (inout MockServerConfiguration) -> Void = { _ in },
    _ body: (MockLLMServer) async throws -> Void
) async throws {
    var configuration = MockServerConfiguration()
    configuration.script = script
    configure(&configuration)
    try await MockLLMServer.withRunning(configuration) { server in try await body(server) }
}

private func content(_ response: RawHTTPResponse) throws -> String? {
    let choices = try #require(try response.json()["choices"] as? [[String: Any]])
    return (choices.first?["message"] as? [String: Any])?["content"] as? String
}

/// The content deltas of a chat stream, in order.
private func streamedContent(_ response: RawHTTPResponse) throws -> [String] {
    try response.events.filter { $0 != "[DONE]" }.compactMap { event in
        let choices = try RawHTTPResponse.object(event)["choices"] as? [[String: Any]]
        return (choices?.first?["delta"] as? [String: Any])?["content"] as? String
    }.filter { !$0.isEmpty }
}

private func always(_ reply: MockReply, match: MockMatch = MockMatch()) -> MockScript {
    MockScript(rules: [MockRule(match: match, reply: reply)])
}

@Suite("Scripted replies over loopback")
struct ScriptedReplyTests {
    // MARK: Reply kinds

    @Test("text: plain and streamed on chat, plain on responses and messages")
    func text() async throws {
        try await run(always(MockReply(text: "It is  sunny in Paris."))) { server async throws in
            #expect(
                try content(try await RawHTTPClient.chat(port: server.port, chatBody())) == "It is  sunny in Paris.")
            let streamed = try await RawHTTPClient.chat(port: server.port, chatBody(stream: true))
            #expect(try streamedContent(streamed).joined() == "It is  sunny in Paris.")
            let responses = try await RawHTTPClient.request(
                port: server.port, path: "/v1/responses", body: #"{"model":"gpt-4o","input":"hi"}"#)
            #expect(responses.body.contains(#""text":"It is  sunny in Paris.""#))
            let message = try await RawHTTPClient.messages(port: server.port, messagesBody())
            let blocks = try #require(try message.json()["content"] as? [[String: Any]])
            #expect(blocks.first?["text"] as? String == "It is  sunny in Paris.")
            #expect(try message.json()["stop_reason"] as? String == "end_turn")
        }
    }

    @Test("tool calls: OpenAI tool_calls, plain and with the arguments split across chunks")
    func openAIToolCall() async throws {
        let call = MockReply.ToolCall(name: "lookup", arguments: #"{"id":42,"name":"Ada Lovelace"}"#)
        try await run(always(MockReply(toolCalls: [call]))) { server async throws in
            let plain = try await RawHTTPClient.chat(port: server.port, chatBody())
            let choice = try #require((try plain.json()["choices"] as? [[String: Any]])?.first)
            #expect(choice["finish_reason"] as? String == "tool_calls")
            let calls = try #require((choice["message"] as? [String: Any])?["tool_calls"] as? [[String: Any]])
            let function = try #require(calls.first?["function"] as? [String: Any])
            #expect(function["name"] as? String == "lookup")
            #expect(function["arguments"] as? String == call.arguments)

            let streamed = try await RawHTTPClient.chat(port: server.port, chatBody(stream: true))
            var fragments: [String] = []
            var name: String?
            var finish: String?
            for event in streamed.events where event != "[DONE]" {
                let choices = try RawHTTPResponse.object(event)["choices"] as? [[String: Any]]
                guard let first = choices?.first else { continue }
                if let reason = first["finish_reason"] as? String { finish = reason }
                let toolCalls = (first["delta"] as? [String: Any])?["tool_calls"] as? [[String: Any]]
                if let function = toolCalls?.first?["function"] as? [String: Any] {
                    name = name ?? function["name"] as? String
                    if let piece = function["arguments"] as? String, !piece.isEmpty { fragments.append(piece) }
                }
            }
            #expect(name == "lookup")
            #expect(fragments.count > 1)
            #expect(fragments.joined() == call.arguments)
            #expect(finish == "tool_calls")
        }
    }

    @Test("tool calls: Anthropic tool_use block, plain and streamed as input_json_delta")
    func anthropicToolCall() async throws {
        let call = MockReply.ToolCall(name: "lookup", arguments: #"{"id":42,"name":"Ada Lovelace"}"#)
        try await run(always(MockReply(toolCalls: [call]))) { server async throws in
            let plain = try await RawHTTPClient.messages(port: server.port, messagesBody())
            let json = try plain.json()
            #expect(json["stop_reason"] as? String == "tool_use")
            let block = try #require((json["content"] as? [[String: Any]])?.first)
            #expect(block["type"] as? String == "tool_use")
            #expect(block["name"] as? String == "lookup")
            #expect((block["input"] as? [String: Any])?["name"] as? String == "Ada Lovelace")

            let streamed = try await RawHTTPClient.messages(port: server.port, messagesBody(stream: true))
            let partials = try streamed.namedEvents.filter { $0.name == "content_block_delta" }.compactMap {
                (try $0.json()["delta"] as? [String: Any])?["partial_json"] as? String
            }
            #expect(partials.count > 1)
            #expect(partials.joined() == call.arguments)
            #expect(streamed.body.contains(#""stop_reason":"tool_use""#))
        }
    }

    @Test("several tool calls: OpenAI tool_calls with indexes, Anthropic one tool_use block each, plain and streamed")
    func severalToolCalls() async throws {
        let calls = [
            MockReply.ToolCall(name: "get_weather", arguments: #"{"city":"Paris"}"#),
            MockReply.ToolCall(name: "get_time", arguments: #"{"zone":"Europe/Paris"}"#),
        ]
        try await run(always(MockReply(toolCalls: calls))) { server async throws in
            let plain = try await RawHTTPClient.chat(port: server.port, chatBody())
            let message = try #require(
                (try plain.json()["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])
            let sent = try #require(message["tool_calls"] as? [[String: Any]])
            #expect(
                sent.compactMap { ($0["function"] as? [String: Any])?["name"] as? String } == [
                    "get_weather", "get_time",
                ])
            #expect(Set(sent.compactMap { $0["id"] as? String }).count == 2)

            let streamed = try await RawHTTPClient.chat(port: server.port, chatBody(stream: true))
            var arguments: [Int: String] = [:]
            var names: [Int: String] = [:]
            for event in streamed.events where event != "[DONE]" {
                let choices = try RawHTTPResponse.object(event)["choices"] as? [[String: Any]]
                let deltas = (choices?.first?["delta"] as? [String: Any])?["tool_calls"] as? [[String: Any]] ?? []
                for delta in deltas {
                    let index = try #require(delta["index"] as? Int)
                    let function = delta["function"] as? [String: Any]
                    if let name = function?["name"] as? String { names[index] = name }
                    arguments[index, default: ""] += function?["arguments"] as? String ?? ""
                }
            }
            #expect(names == [0: "get_weather", 1: "get_time"])
            #expect(arguments == [0: calls[0].arguments, 1: calls[1].arguments])

            let anthropic = try await RawHTTPClient.messages(port: server.port, messagesBody())
            let blocks = try #require(try anthropic.json()["content"] as? [[String: Any]])
            #expect(blocks.compactMap { $0["name"] as? String } == ["get_weather", "get_time"])
            let anthropicStream = try await RawHTTPClient.messages(port: server.port, messagesBody(stream: true))
            var partials: [Int: String] = [:]
            for event in anthropicStream.namedEvents where event.name == "content_block_delta" {
                let json = try event.json()
                let index = try #require(json["index"] as? Int)
                partials[index, default: ""] += (json["delta"] as? [String: Any])?["partial_json"] as? String ?? ""
            }
            #expect(partials == [0: calls[0].arguments, 1: calls[1].arguments])
            #expect(anthropicStream.namedEvents.filter { $0.name == "content_block_stop" }.count == 2)
        }
    }

    @Test("usage override: reported on both providers and charged by the limiter")
    func usage() async throws {
        let reply = MockReply(text: "short", inputTokens: 1000, outputTokens: 77)
        try await run(always(reply), configure: { $0.defaultLimits = MockRateLimits(tokensPerMinute: 1_000_000) }) {
            server async throws in
            let usage = try #require(
                try await RawHTTPClient.chat(port: server.port, chatBody()).json()["usage"] as? [String: Any])
            #expect(usage["prompt_tokens"] as? Int == 1000)
            #expect(usage["completion_tokens"] as? Int == 77)
            #expect(server.stats[key: MockAPIKey.anonymousName(forSecret: "sk-test")].tokensCharged == 1077)
            let streamed = try await RawHTTPClient.chat(port: server.port, chatBody(stream: true))
            #expect(streamed.body.contains(#""prompt_tokens":1000,"completion_tokens":77"#))
            let embeddings = try await RawHTTPClient.request(
                port: server.port, path: "/v1/embeddings", body: #"{"model":"text-embedding-3-small","input":"hi"}"#)
            #expect(embeddings.body.contains(#""prompt_tokens":1000"#))
            let message = try await RawHTTPClient.messages(port: server.port, messagesBody())
            let anthropicUsage = try #require(try message.json()["usage"] as? [String: Any])
            #expect(anthropicUsage["input_tokens"] as? Int == 1000)
            #expect(anthropicUsage["output_tokens"] as? Int == 77)
        }
    }

    @Test("finish reason override")
    func finishReason() async throws {
        try await run(always(MockReply(text: "no", finishReason: "content_filter"))) { server async throws in
            let response = try await RawHTTPClient.chat(port: server.port, chatBody())
            let choice = try #require((try response.json()["choices"] as? [[String: Any]])?.first)
            #expect(choice["finish_reason"] as? String == "content_filter")
            let message = try await RawHTTPClient.messages(port: server.port, messagesBody())
            #expect(try message.json()["stop_reason"] as? String == "content_filter")
        }
    }

    @Test("status with headers and message, in each provider's error shape")
    func status() async throws {
        let reply = MockReply(
            status: 503, headers: ["retry-after": "7", "x-scripted": "yes"], errorMessage: "down for tea")
        try await run(always(reply)) { server async throws in
            let openAI = try await RawHTTPClient.chat(port: server.port, chatBody())
            #expect(openAI.status == 503)
            #expect(openAI[header: "retry-after"] == "7")
            #expect(openAI[header: "x-scripted"] == "yes")
            let error = try #require(try openAI.json()["error"] as? [String: Any])
            #expect(error["message"] as? String == "down for tea")
            #expect(error["type"] as? String == "server_error")

            let anthropic = try await RawHTTPClient.messages(port: server.port, messagesBody())
            #expect(anthropic.status == 503)
            #expect(anthropic[header: "x-scripted"] == "yes")
            let json = try anthropic.json()
            #expect(json["type"] as? String == "error")
            #expect((json["error"] as? [String: Any])?["message"] as? String == "down for tea")
        }
    }

    @Test("delay before the head")
    func delay() async throws {
        try await run(always(MockReply(text: "late", delay: .milliseconds(300)))) { server async throws in
            let clock = ContinuousClock()
            let start = clock.now
            let response = try await RawHTTPClient.chat(port: server.port, chatBody())
            #expect(response.status == 200)
            #expect(clock.now - start >= .milliseconds(290))
        }
    }

    @Test("stream chunking: tokens per chunk and the gap between chunks")
    func chunking() async throws {
        let reply = MockReply(text: "a b c d e", chunkTokens: 2, chunkGap: .milliseconds(120))
        try await run(always(reply)) { server async throws in
            let clock = ContinuousClock()
            let start = clock.now
            let streamed = try await RawHTTPClient.chat(port: server.port, chatBody(stream: true))
            #expect(try streamedContent(streamed) == ["a b", " c d", " e"])
            #expect(clock.now - start >= .milliseconds(230))
            let anthropic = try await RawHTTPClient.messages(port: server.port, messagesBody(stream: true))
            let texts = try anthropic.namedEvents.filter { $0.name == "content_block_delta" }.compactMap {
                (try $0.json()["delta"] as? [String: Any])?["text"] as? String
            }
            #expect(texts == ["a b", " c d", " e"])
        }
    }

    @Test("a fault: an error event mid-stream, counted in the stats")
    func fault() async throws {
        try await run(always(MockReply(text: "a b c d", fault: .errorEvent(afterTokens: 2)))) { server async throws in
            let streamed = try await RawHTTPClient.chat(port: server.port, chatBody(stream: true))
            #expect(try streamedContent(streamed.self.eventsBefore(error: true)) == ["a", " b"])
            #expect(streamed.body.contains("server_error"))
            #expect(!streamed.body.contains("[DONE]"))
            #expect(server.stats.faultsInjected[MockFault.Kind.errorEvent.rawValue] == 1)
        }
    }

    @Test("values assigned out of range are brought in range, not trapped on")
    func outOfRange() async throws {
        var broken = MockReply(text: "a b c")
        broken.chunkTokens = 0
        broken.chunkGap = .milliseconds(-5)
        broken.outputTokens = -3
        var badStatus = MockReply()
        badStatus.status = 42
        let script = MockScript(rules: [
            MockRule(match: MockMatch(model: "bad-status"), reply: badStatus), MockRule(reply: broken),
        ])
        try await run(script) { server async throws in
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody(model: "bad-status")).status == 500)
            let streamed = try await RawHTTPClient.chat(port: server.port, chatBody(stream: true))
            #expect(try streamedContent(streamed) == ["a", " b", " c"])
            #expect(streamed.body.contains(#""completion_tokens":0"#))
        }
    }

    // MARK: Sequences, default, conditions

    @Test("a sequence: 503 twice, then text for ever")
    func sequences() async throws {
        let script = MockScript(rules: [MockRule(replies: [MockReply(status: 503, times: 2), MockReply(text: "ok")])])
        try await run(script) { server async throws in
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(try await RawHTTPClient.chat(port: server.port, chatBody()).status) }
            #expect(statuses == [503, 503, 200, 200])
        }
    }

    @Test("the default reply answers what no rule matches; without a script the usual reply")
    func defaultReply() async throws {
        let script = MockScript(
            rules: [MockRule(match: MockMatch(message: try MockPattern("ping")), reply: MockReply(text: "pong"))],
            defaultReply: MockReply(text: "fallback"))
        try await run(script) { server async throws in
            #expect(try content(try await RawHTTPClient.chat(port: server.port, chatBody("ping?"))) == "pong")
            #expect(try content(try await RawHTTPClient.chat(port: server.port, chatBody("other"))) == "fallback")
        }
        try await run(nil) { server async throws in
            let usual = try content(try await RawHTTPClient.chat(port: server.port, chatBody("other")))
            #expect(usual == MockReplyGenerator.words(for: "other", tokens: 20).joined(separator: " "))
        }
    }

    @Test("match conditions: path, model, key, header, message pattern, tool result")
    func conditions() async throws {
        let script = MockScript(rules: [
            MockRule(match: MockMatch(path: "/v1/messages"), reply: MockReply(text: "by path")),
            MockRule(match: MockMatch(model: "gpt-4o"), reply: MockReply(text: "by model")),
            MockRule(match: MockMatch(key: "tenant-b"), reply: MockReply(text: "by key")),
            MockRule(match: MockMatch(headers: ["X-Scenario": "cold"]), reply: MockReply(text: "by header")),
            MockRule(match: MockMatch(toolResult: true), reply: MockReply(text: "by tool result")),
            MockRule(
                match: MockMatch(message: try MockPattern(#"(?i)order\s+#\d+"#)), reply: MockReply(text: "by pattern")),
        ])
        try await run(script, configure: { $0.keys = [MockAPIKey(name: "tenant-b", secret: "sk-b")] }) {
            server async throws in
            let port = server.port
            let byPath = try await RawHTTPClient.messages(port: port, messagesBody())
            #expect(byPath.body.contains("by path"))
            #expect(try content(try await RawHTTPClient.chat(port: port, chatBody(model: "gpt-4o"))) == "by model")
            #expect(try content(try await RawHTTPClient.chat(port: port, bearer: "sk-b", chatBody())) == "by key")
            let byHeader = try await RawHTTPClient.request(
                port: port, path: "/v1/chat/completions", body: chatBody(), extraHeaders: ["x-scenario": "cold"])
            #expect(try content(byHeader) == "by header")
            let wrongHeader = try await RawHTTPClient.request(
                port: port, path: "/v1/chat/completions", body: chatBody(), extraHeaders: ["x-scenario": "warm"])
            #expect(try content(wrongHeader) != "by header")
            let toolResult =
                #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"c","content":"18C"}]}"#
            #expect(try content(try await RawHTTPClient.chat(port: port, toolResult)) == "by tool result")
            #expect(
                try content(try await RawHTTPClient.chat(port: port, chatBody("Where is ORDER  #123?"))) == "by pattern"
            )
            #expect(try content(try await RawHTTPClient.chat(port: port, chatBody("order 123"))) != "by pattern")
        }
    }

    // MARK: Precedence

    @Test("queued outcomes come before rules")
    func enqueueFirst() async throws {
        try await run(always(MockReply(text: "scripted"))) { server async throws in
            server.enqueue(.serverError(500))
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody()).status == 500)
            #expect(try content(try await RawHTTPClient.chat(port: server.port, chatBody())) == "scripted")
        }
    }

    @Test("the limiter's 429 comes before a rule and does not advance its sequence")
    func limiterFirst() async throws {
        let script = MockScript(rules: [
            MockRule(replies: [MockReply(text: "first"), MockReply(text: "second"), MockReply(text: "third")])
        ])
        try await run(script, configure: { $0.defaultLimits = MockRateLimits(requestsPerMinute: 1) }) {
            server async throws in
            #expect(try content(try await RawHTTPClient.chat(port: server.port, chatBody())) == "first")
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody()).status == 429)
            server.resetRateLimits()
            #expect(try content(try await RawHTTPClient.chat(port: server.port, chatBody())) == "second")
        }
    }

    // MARK: Runtime rules

    @Test("rules added and cleared at run time; admission names the rule")
    func runtimeRules() async throws {
        try await run(nil) { server async throws in
            server.addRules([MockRule(name: "added", reply: MockReply(text: "added"))])
            #expect(server.rules.map(\.name) == ["added"])
            #expect(try content(try await RawHTTPClient.chat(port: server.port, chatBody())) == "added")
            server.clearRules()
            #expect(server.rules.isEmpty)
            #expect(try content(try await RawHTTPClient.chat(port: server.port, chatBody())) != "added")
        }
        let engine = MockServerEngine(configuration: MockServerConfiguration())
        engine.addRules([
            MockRule(match: MockMatch(model: "x"), reply: MockReply(text: "x")),
            MockRule(name: "named", reply: MockReply(text: "y")),
        ])
        let key = ResolvedKey(name: "k", limits: .unlimited)
        func ruleName(model: String) -> String? {
            let request = MockRuleRequest(
                path: "/v1/chat/completions", model: model, keyName: "k", lastUserMessage: "",
                endsWithToolResult: false,
                header: { _ in nil })
            guard
                case .admitted(_, _, let answer) = engine.admit(key: key, request: request, charging: { _ in .init() })
            else { return nil }
            return answer?.ruleName
        }
        #expect(ruleName(model: "x") == "#0")
        #expect(ruleName(model: "z") == "named")
    }

    // MARK: Structured output and unknown models

    @Test("response_format json_schema gets JSON matching the schema; json_object a JSON object")
    func structuredOutput() async throws {
        let schema =
            #"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}},"kind":{"enum":["a","b"]}}}"#
        try await run(nil) { server async throws in
            let body = chatBody(
                extra: #""response_format":{"type":"json_schema","json_schema":{"name":"person","schema":\#(schema)}}"#)
            let text = try #require(try content(try await RawHTTPClient.chat(port: server.port, body)))
            let object = try RawHTTPResponse.object(text)
            #expect(object["name"] is String)
            #expect(object["age"] is Int)
            #expect((object["tags"] as? [String])?.count == 1)
            #expect(object["kind"] as? String == "a")
            #expect(Set(object.keys) == ["name", "age", "tags", "kind"])

            let plainObject = try #require(
                try content(
                    try await RawHTTPClient.chat(
                        port: server.port, chatBody(extra: #""response_format":{"type":"json_object"}"#))))
            #expect(try RawHTTPResponse.object(plainObject)["text"] is String)

            let responses = try await RawHTTPClient.request(
                port: server.port, path: "/v1/responses",
                body:
                    #"{"model":"gpt-4o","input":"hi","text":{"format":{"type":"json_schema","name":"p","schema":\#(schema)}}}"#
            )
            #expect(responses.body.contains(#"\"kind\":\"a\""#))
        }
        try await run(always(MockReply(text: "scripted wins"))) { server async throws in
            let body = chatBody(extra: #""response_format":{"type":"json_object"}"#)
            #expect(try content(try await RawHTTPClient.chat(port: server.port, body)) == "scripted wins")
        }
    }

    @Test("unknown models get each provider's 404 when refused, and pass by default")
    func unknownModels() async throws {
        try await run(
            nil,
            configure: {
                $0.acceptsUnknownModels = false; $0.models = ["gpt-4o", "claude-known"]
            }
        ) {
            server async throws in
            let openAI = try await RawHTTPClient.chat(port: server.port, chatBody(model: "gpt-9"))
            #expect(openAI.status == 404)
            #expect(
                openAI.body
                    == #"{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#
            )
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody(model: "gpt-4o")).status == 200)
            let anthropic = try await RawHTTPClient.messages(port: server.port, messagesBody())
            #expect(anthropic.status == 404)
            #expect(
                anthropic.body == #"{"type":"error","error":{"type":"not_found_error","message":"model: claude-test"}}"#
            )
        }
        try await run(nil) { server async throws in
            #expect(try await RawHTTPClient.chat(port: server.port, chatBody(model: "gpt-9")).status == 200)
        }
    }
}

extension RawHTTPResponse {
    /// The response with its body cut before the first event that carries an `error` (when
    /// `error` is true), so that the content deltas before a mid-stream error can be read.
    fileprivate func eventsBefore(error: Bool) -> RawHTTPResponse {
        guard error, let range = self.body.range(of: "\"error\"") else { return self }
        var copy = self
        let head = self.body[..<range.lowerBound]
        copy.body = String(head[..<(head.range(of: "data: ", options: .backwards)?.lowerBound ?? head.endIndex)])
        return copy
    }
}
