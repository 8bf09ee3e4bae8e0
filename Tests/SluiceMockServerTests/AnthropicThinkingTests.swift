import Foundation
import Testing

@testable import SluiceMockServer

private let weatherTool =
    #""tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]"#

private let thinkingOn = #""thinking":{"type":"enabled","budget_tokens":1024}"#

/// A messages body with thinking on (unless `thinking` says otherwise), the weather tool and `messages`.
private func loopBody(_ messages: String, thinking: String = thinkingOn, stream: Bool = false) -> String {
    #"{"model":"claude-test","max_tokens":2048,\#(stream ? #""stream":true,"# : "")\#(thinking),\#(weatherTool),"messages":\#(messages)}"#
}

private func json(_ value: Any) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: value), as: UTF8.self)
}

/// The second turn of a tool loop: the question, the assistant's `content` as given, the tool result.
private func secondTurn(_ assistantContent: [[String: Any]], toolID: String) throws -> String {
    #"[{"role":"user","content":"What is the weather in Paris?"},{"role":"assistant","content":\#(try json(assistantContent))},"#
        + #"{"role":"user","content":[{"type":"tool_result","tool_use_id":"\#(toolID)","content":"18 C and sunny"}]}]"#
}

@Suite("Anthropic extended thinking over loopback")
struct AnthropicThinkingTests {
    static let expectedText = MockThinking.text(
        words: MockThinking.words(seed: "Hello there", tokens: MockThinking.defaultTokens))

    @Test("with thinking on, a reply starts with a signed thinking block and counts its tokens as output")
    func plainThinking() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 5)) { server in
            let response = try await RawHTTPClient.messages(port: server.port, messagesBody(extra: thinkingOn))
            #expect(response.status == 200)
            let json = try response.json()
            let content = try #require(json["content"] as? [[String: Any]])
            #expect(content.map { $0["type"] as? String } == ["thinking", "text"])
            #expect(content[0]["thinking"] as? String == Self.expectedText)
            #expect(content[0]["signature"] as? String == MockThinking.signature(of: Self.expectedText))
            #expect(content[1]["text"] as? String == MockReplyGenerator.reply(to: "Hello there", tokens: 5))
            let usage = try #require(json["usage"] as? [String: Any])
            #expect(usage["output_tokens"] as? Int == MockThinking.defaultTokens + 1 + 5)
        }
    }

    @Test("the signature checks only with its own text")
    func signature() {
        let signature = MockThinking.signature(of: "Reasoning: a b")
        #expect(signature == MockThinking.signature(of: "Reasoning: a b"))
        #expect(signature != MockThinking.signature(of: "Reasoning: a c"))
        #expect(Data(base64Encoded: signature)?.count == 32)
    }

    @Test("streamed, the thinking block comes first: start, thinking_delta per word, signature_delta, stop")
    func streamedThinking() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 2)) { server in
            let response = try await RawHTTPClient.messages(
                port: server.port, messagesBody(stream: true, extra: thinkingOn))
            #expect(response.status == 200)
            let events = response.namedEvents
            let words = MockThinking.defaultTokens + 1
            #expect(
                events.map(\.name)
                    == ["message_start", "content_block_start"]
                    + Array(repeating: "content_block_delta", count: words + 1)
                    + [
                        "content_block_stop", "content_block_start", "ping", "content_block_delta",
                        "content_block_delta",
                    ]
                    + ["content_block_stop", "message_delta", "message_stop"])
            let start = try #require(try events[1].json()["content_block"] as? [String: Any])
            #expect(start["type"] as? String == "thinking")
            var text = ""
            var signature = ""
            for event in events[2..<(2 + words + 1)] {
                let payload = try event.json()
                #expect(payload["index"] as? Int == 0)
                let delta = try #require(payload["delta"] as? [String: Any])
                switch delta["type"] as? String {
                case "thinking_delta": text += try #require(delta["thinking"] as? String)
                case "signature_delta": signature += try #require(delta["signature"] as? String)
                default: Issue.record("unexpected delta \(delta)")
                }
            }
            #expect(text == Self.expectedText)
            #expect(signature == MockThinking.signature(of: text))
            #expect(try events[words + 4].json()["index"] as? Int == 1)
            let messageDelta = try #require(events.first { $0.name == "message_delta" })
            #expect((try messageDelta.json()["usage"] as? [String: Any])?["output_tokens"] as? Int == words + 2)
        }
    }

    @Test("a tool loop that sends the thinking block back unmodified gets its answer")
    func loopSucceeds() async throws {
        try await MockLLMServer.withRunning() { server in
            let first = try await RawHTTPClient.messages(
                port: server.port, loopBody(#"[{"role":"user","content":"What is the weather in Paris?"}]"#))
            #expect(first.status == 200)
            let content = try #require(try first.json()["content"] as? [[String: Any]])
            #expect(content.map { $0["type"] as? String } == ["thinking", "tool_use"])
            let toolID = try #require(content[1]["id"] as? String)
            let second = try await RawHTTPClient.messages(
                port: server.port, loopBody(try secondTurn(content, toolID: toolID)))
            #expect(second.status == 200)
            let answer = try #require(try second.json()["content"] as? [[String: Any]])
            #expect(answer.map { $0["type"] as? String } == ["thinking", "text"])
        }
    }

    @Test("a tool loop that drops, alters or unsigns the thinking block gets Anthropic's 400")
    func loopFails() async throws {
        try await MockLLMServer.withRunning() { server in
            let first = try await RawHTTPClient.messages(
                port: server.port, loopBody(#"[{"role":"user","content":"What is the weather in Paris?"}]"#))
            let content = try #require(try first.json()["content"] as? [[String: Any]])
            let toolID = try #require(content[1]["id"] as? String)
            func message(_ assistant: [[String: Any]]) async throws -> String? {
                let response = try await RawHTTPClient.messages(
                    port: server.port, loopBody(try secondTurn(assistant, toolID: toolID)))
                #expect(response.status == 400)
                let error = try #require(try response.json()["error"] as? [String: Any])
                #expect(error["type"] as? String == "invalid_request_error")
                return error["message"] as? String
            }
            let dropped = try await message([content[1]])
            #expect(
                dropped?.hasPrefix(
                    "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`.")
                    == true)
            var altered = content[0]
            altered["thinking"] = "Reasoning: something else"
            #expect(
                try await message([altered, content[1]])
                    == "messages.1.content.0: Invalid `signature` in `thinking` block")
            var unsigned = content[0]
            unsigned["signature"] = nil
            #expect(try await message([unsigned, content[1]]) == "messages.1.content.0.signature: Field required")
            #expect(server.stats.badRequests == 3)
        }
    }

    @Test("Anthropic's test string gets a redacted_thinking block, whose data must come back as it was sent")
    func redacted() async throws {
        try await MockLLMServer.withRunning() { server in
            let question = "What is the weather in Paris? \(MockThinking.redactedTrigger)"
            let first = try await RawHTTPClient.messages(
                port: server.port, loopBody(#"[{"role":"user","content":"\#(question)"}]"#))
            let content = try #require(try first.json()["content"] as? [[String: Any]])
            #expect(content.map { $0["type"] as? String } == ["redacted_thinking", "tool_use"])
            let data = try #require(content[0]["data"] as? String)
            #expect(MockThinking.verifiesRedacted(data))
            let toolID = try #require(content[1]["id"] as? String)
            func status(_ assistant: [[String: Any]]) async throws -> Int {
                let messages = try secondTurn(assistant, toolID: toolID)
                    .replacingOccurrences(of: "What is the weather in Paris?", with: question)
                return try await RawHTTPClient.messages(port: server.port, loopBody(messages)).status
            }
            #expect(try await status(content) == 200)
            var altered = content[0]
            altered["data"] = "x" + data
            #expect(try await status([altered, content[1]]) == 400)

            let streamed = try await RawHTTPClient.messages(
                port: server.port, loopBody(#"[{"role":"user","content":"\#(question)"}]"#, stream: true))
            let start = try #require(try streamed.namedEvents[1].json()["content_block"] as? [String: Any])
            #expect(start["type"] as? String == "redacted_thinking")
            #expect(start["data"] as? String == data)
            #expect(streamed.namedEvents[2].name == "content_block_stop")
        }
    }

    @Test("without thinking on, an assistant turn without thinking is accepted as before")
    func thinkingOff() async throws {
        try await MockLLMServer.withRunning() { server in
            let body = loopBody(
                try secondTurn(
                    [["type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": [:]]], toolID: "toolu_1"),
                thinking: #""thinking":{"type":"disabled"}"#)
            let response = try await RawHTTPClient.messages(port: server.port, body)
            #expect(response.status == 200)
            let content = try #require(try response.json()["content"] as? [[String: Any]])
            #expect(content.map { $0["type"] as? String } == ["text"])
        }
    }
}
