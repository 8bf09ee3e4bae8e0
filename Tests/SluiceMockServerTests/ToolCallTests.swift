import Foundation
import Testing

@testable import SluiceMockServer

private let weatherSchema =
    #"{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]}"#
private let clockSchema = #"{"properties":{"zone":{"type":"string"}},"type":"object"}"#

private func openAITools(choice: String? = nil) -> String {
    let tools =
        #""tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather","parameters":\#(weatherSchema)}},"#
        + #"{"type":"function","function":{"name":"get_time","parameters":\#(clockSchema)}}]"#
    return tools + (choice.map { #","tool_choice":\#($0)"# } ?? "")
}

private func openAIBody(_ prompt: String, choice: String? = nil, stream: Bool = false) -> String {
    let streaming = stream ? #""stream":true,"stream_options":{"include_usage":true},"# : ""
    return
        #"{"model":"gpt-4o-mini",\#(streaming)"messages":[{"role":"user","content":"\#(prompt)"}],\#(openAITools(choice: choice))}"#
}

private func anthropicTools(choice: String? = nil) -> String {
    let tools =
        #""tools":[{"name":"get_weather","description":"Current weather","input_schema":\#(weatherSchema)},"#
        + #"{"name":"get_time","input_schema":\#(clockSchema)}]"#
    return tools + (choice.map { #","tool_choice":\#($0)"# } ?? "")
}

private func jsonObject(_ text: String) throws -> NSDictionary {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
}

@Suite("Tool calls over loopback")
struct ToolCallTests {
    // MARK: OpenAI

    @Test("OpenAI: a weather question with tools gets tool_calls, null content and finish_reason tool_calls")
    func openAIPlain() async throws {
        try await MockLLMServer.withRunning() { server in
            let response = try await RawHTTPClient.chat(port: server.port, openAIBody("What is the weather in Oslo?"))
            #expect(response.status == 200)
            let json = try response.json()
            let choice = try #require((json["choices"] as? [[String: Any]])?.first)
            #expect(choice["finish_reason"] as? String == "tool_calls")
            let message = try #require(choice["message"] as? [String: Any])
            #expect(message["content"] is NSNull)
            let calls = try #require(message["tool_calls"] as? [[String: Any]])
            #expect(calls.count == 1)
            #expect((calls[0]["id"] as? String)?.hasPrefix("call_") == true)
            #expect(calls[0]["type"] as? String == "function")
            let function = try #require(calls[0]["function"] as? [String: Any])
            #expect(function["name"] as? String == "get_weather")
            let arguments = try #require(function["arguments"] as? String)
            let input = try jsonObject(arguments)
            #expect(input["unit"] as? String == "celsius")
            #expect(input["city"] is String)
            #expect((input["days"] as? Int).map { (0..<100).contains($0) } == true)
            let usage = try #require(json["usage"] as? [String: Any])
            #expect(usage["completion_tokens"] as? Int == MockTokenEstimator.textTokens(arguments))
        }
    }

    @Test("OpenAI: a streamed tool call opens with id and name, sends argument fragments, and reassembles")
    func openAIStream() async throws {
        try await MockLLMServer.withRunning() { server in
            let plain = try await RawHTTPClient.chat(port: server.port, openAIBody("What is the weather in Oslo?"))
            let plainArguments = try #require(
                (((try plain.json()["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["tool_calls"]
                    as? [[String: Any]])?.first.flatMap { ($0["function"] as? [String: Any])?["arguments"] as? String })

            let response = try await RawHTTPClient.chat(
                port: server.port, openAIBody("What is the weather in Oslo?", stream: true))
            #expect(response.isComplete)
            let events = response.events
            #expect(events.last == "[DONE]")
            let chunks = try events.dropLast().map { try RawHTTPResponse.object($0) }
            func delta(_ chunk: [String: Any]) -> [String: Any]? {
                (chunk["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]
            }
            let opening = try #require((delta(chunks[0])?["tool_calls"] as? [[String: Any]])?.first)
            #expect(opening["index"] as? Int == 0)
            #expect((opening["id"] as? String)?.hasPrefix("call_") == true)
            #expect(opening["type"] as? String == "function")
            #expect((opening["function"] as? [String: Any])?["name"] as? String == "get_weather")
            #expect((opening["function"] as? [String: Any])?["arguments"] as? String == "")

            var fragments: [String] = []
            var finishReason: String?
            for chunk in chunks.dropFirst() {
                if let call = (delta(chunk)?["tool_calls"] as? [[String: Any]])?.first {
                    #expect(call["index"] as? Int == 0)
                    #expect(call["id"] == nil)
                    fragments.append(try #require((call["function"] as? [String: Any])?["arguments"] as? String))
                }
                if let reason = (chunk["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String {
                    finishReason = reason
                }
            }
            #expect(fragments.count > 1)
            #expect(finishReason == "tool_calls")
            #expect(fragments.joined() == plainArguments)
            #expect(try jsonObject(fragments.joined()) == jsonObject(plainArguments))
            let usage = try #require(chunks.last?["usage"] as? [String: Any])
            #expect(usage["completion_tokens"] as? Int == MockTokenEstimator.textTokens(plainArguments))
        }
    }

    @Test(
        "OpenAI: tool_choice decides: none never calls, required calls the first, a named function calls it",
        arguments: [
            ("What is the weather?", #""none""#, nil),
            ("Tell me a story.", nil, nil),
            ("Tell me a story.", #""auto""#, nil),
            ("Tell me a story.", #""required""#, "get_weather"),
            ("What is the weather?", #"{"type":"function","function":{"name":"get_time"}}"#, "get_time"),
        ] as [(String, String?, String?)]
    )
    func openAIChoice(prompt: String, choice: String?, expected: String?) async throws {
        try await MockLLMServer.withRunning() { server in
            let json = try await RawHTTPClient.chat(port: server.port, openAIBody(prompt, choice: choice)).json()
            let choice = try #require((json["choices"] as? [[String: Any]])?.first)
            let calls = (choice["message"] as? [String: Any])?["tool_calls"] as? [[String: Any]]
            #expect(calls?.first.flatMap { ($0["function"] as? [String: Any])?["name"] as? String } == expected)
            #expect(choice["finish_reason"] as? String == (expected == nil ? "stop" : "tool_calls"))
        }
    }

    @Test("OpenAI: forcing a function that is not in tools is a 400; tool definitions count as prompt tokens")
    func openAIUnknownToolAndPrompt() async throws {
        try await MockLLMServer.withRunning() { server in
            let unknown = try await RawHTTPClient.chat(
                port: server.port,
                openAIBody("Hi", choice: #"{"type":"function","function":{"name":"nope"}}"#))
            #expect(unknown.status == 400)
            #expect((try unknown.json()["error"] as? [String: Any])?["param"] as? String == "tool_choice")

            let body =
                #"{"model":"m","messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"get_time","parameters":\#(clockSchema)}}]}"#
            let usage = try #require(
                try await RawHTTPClient.chat(port: server.port, body).json()["usage"] as? [String: Any])
            let expected =
                MockTokenEstimator.chatPromptTokens(messageContents: ["Hi"])
                + MockTokenEstimator.toolTokens(name: "get_time", description: "", schemaJSON: clockSchema)
            #expect(usage["prompt_tokens"] as? Int == expected)
        }
    }

    // MARK: Anthropic

    @Test("Anthropic: a weather question with tools gets a tool_use block and stop_reason tool_use")
    func anthropicPlain() async throws {
        try await MockLLMServer.withRunning() { server in
            let response = try await RawHTTPClient.messages(
                port: server.port, messagesBody("What is the weather in Oslo?", extra: anthropicTools()))
            #expect(response.status == 200)
            let json = try response.json()
            #expect(json["stop_reason"] as? String == "tool_use")
            let block = try #require((json["content"] as? [[String: Any]])?.first)
            #expect(block["type"] as? String == "tool_use")
            #expect((block["id"] as? String)?.hasPrefix("toolu_") == true)
            #expect(block["name"] as? String == "get_weather")
            let input = try #require(block["input"] as? [String: Any])
            #expect(input["unit"] as? String == "celsius")
            let inputText = String(
                decoding: try JSONSerialization.data(withJSONObject: input, options: [.sortedKeys]), as: UTF8.self)
            let usage = try #require(json["usage"] as? [String: Any])
            #expect(usage["output_tokens"] as? Int == MockTokenEstimator.textTokens(inputText))
            let toolTokens =
                MockTokenEstimator.toolTokens(
                    name: "get_weather", description: "Current weather",
                    schemaJSON: try MockJSONProbe.compact(weatherSchema))
                + MockTokenEstimator.toolTokens(name: "get_time", description: "", schemaJSON: clockSchema)
            #expect(
                usage["input_tokens"] as? Int
                    == MockTokenEstimator.messagesPromptTokens(
                        system: "", messageContents: ["What is the weather in Oslo?"], toolTokens: toolTokens))
        }
    }

    @Test("Anthropic: a streamed tool_use opens with empty input, sends input_json_delta fragments, and reassembles")
    func anthropicStream() async throws {
        try await MockLLMServer.withRunning() { server in
            let plain = try await RawHTTPClient.messages(
                port: server.port, messagesBody("What is the weather in Oslo?", extra: anthropicTools()))
            let plainInput = try #require(
                ((try plain.json()["content"] as? [[String: Any]])?.first?["input"]) as? NSDictionary)

            let response = try await RawHTTPClient.messages(
                port: server.port, messagesBody("What is the weather in Oslo?", stream: true, extra: anthropicTools()))
            #expect(response.isComplete)
            let events = response.namedEvents
            let names = events.map(\.name)
            #expect(Array(names.prefix(3)) == ["message_start", "content_block_start", "ping"])
            #expect(Array(names.suffix(3)) == ["content_block_stop", "message_delta", "message_stop"])
            let block = try #require(try events[1].json()["content_block"] as? [String: Any])
            #expect(block["type"] as? String == "tool_use")
            #expect((block["id"] as? String)?.hasPrefix("toolu_") == true)
            #expect(block["name"] as? String == "get_weather")
            #expect((block["input"] as? [String: Any])?.isEmpty == true)

            let deltas = events.filter { $0.name == "content_block_delta" }
            #expect(deltas.count > 1)
            let fragments = try deltas.map { event -> String in
                let delta = try #require(try event.json()["delta"] as? [String: Any])
                #expect(delta["type"] as? String == "input_json_delta")
                return try #require(delta["partial_json"] as? String)
            }
            #expect(try jsonObject(fragments.joined()) == plainInput)
            let messageDelta = try #require(events.first { $0.name == "message_delta" })
            #expect((try messageDelta.json()["delta"] as? [String: Any])?["stop_reason"] as? String == "tool_use")
            #expect(
                (try messageDelta.json()["usage"] as? [String: Any])?["output_tokens"] as? Int
                    == MockTokenEstimator.textTokens(fragments.joined()))
        }
    }

    @Test(
        "Anthropic: tool_choice decides: none never calls, any calls the first, tool calls the named one",
        arguments: [
            ("What is the weather?", #"{"type":"none"}"#, nil),
            ("Tell me a story.", #"{"type":"auto"}"#, nil),
            ("Tell me a story.", #"{"type":"any"}"#, "get_weather"),
            ("Tell me a story.", #"{"type":"tool","name":"get_time"}"#, "get_time"),
            ("WEATHER please", nil, "get_weather"),
        ] as [(String, String?, String?)]
    )
    func anthropicChoice(prompt: String, choice: String?, expected: String?) async throws {
        try await MockLLMServer.withRunning() { server in
            let json = try await RawHTTPClient.messages(
                port: server.port, messagesBody(prompt, extra: anthropicTools(choice: choice))
            ).json()
            let block = try #require((json["content"] as? [[String: Any]])?.first)
            #expect((block["type"] as? String == "tool_use" ? block["name"] as? String : nil) == expected)
            #expect(json["stop_reason"] as? String == (expected == nil ? "end_turn" : "tool_use"))
        }
    }

    @Test("Anthropic: a weather question without tools is answered with text; an unknown forced tool is a 400")
    func anthropicWithoutTools() async throws {
        try await MockLLMServer.withRunning() { server in
            let json = try await RawHTTPClient.messages(port: server.port, messagesBody("What is the weather?")).json()
            #expect(json["stop_reason"] as? String == "end_turn")
            let unknown = try await RawHTTPClient.messages(
                port: server.port, messagesBody("Hi", extra: anthropicTools(choice: #"{"type":"tool","name":"nope"}"#)))
            #expect(unknown.status == 400)
            #expect((try unknown.json()["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
        }
    }
}

/// Reaches the mock's JSON writer, to predict what it counts.
enum MockJSONProbe {
    static func compact(_ text: String) throws -> String {
        try JSONDecoder().decode(MockJSON.self, from: Data(text.utf8)).compactText
    }
}

@Suite("Tool call generation")
struct ToolCallGenerationTests {
    @Test("arguments are made deterministically from the schema's properties")
    func arguments() throws {
        let schema = try JSONDecoder().decode(
            MockJSON.self,
            from: Data(
                #"{"type":"object","properties":{"b":{"type":"boolean"},"n":{"type":"number"},"tags":{"type":"array","items":{"type":"string"}},"where":{"type":"object","properties":{"lat":{"type":"integer"}}},"mode":{"const":"fast"},"z":{"type":["null","string"],"enum":["x","y"]}}}"#
                    .utf8))
        let tool = MockToolDefinition(name: "t", description: "", schema: schema)
        guard case .call(let call) = MockToolCall.decide(tools: [tool], choice: .any, lastUserMessage: "") else {
            Issue.record("expected a call")
            return
        }
        #expect(call == MockToolCall(name: "t", arguments: MockToolCall.input(for: tool).compactText))
        let object = try jsonObject(call.arguments)
        #expect(object["b"] as? Bool == true)
        #expect((object["n"] as? Double).map { $0.truncatingRemainder(dividingBy: 1) == 0.5 } == true)
        #expect((object["tags"] as? [String])?.count == 1)
        #expect(((object["where"] as? [String: Any])?["lat"] as? Int).map { (0..<100).contains($0) } == true)
        #expect(object["mode"] as? String == "fast")
        #expect(object["z"] as? String == "x")
        #expect(call.arguments.hasPrefix(#"{"b":true,"mode":"fast","n":"#))
    }

    @Test(
        "fragments are a few pieces that join back into the arguments",
        arguments: ["{}", #"{"city":"oslo"}"#, "{\"a\":\"é\"}"])
    func fragments(arguments: String) {
        let call = MockToolCall(name: "t", arguments: arguments)
        let fragments = call.fragments()
        #expect(fragments.joined() == arguments)
        #expect((1...4).contains(fragments.count))
    }

    @Test("the Anthropic input estimate adds the system text and the tool definitions to the chat formula")
    func inputEstimate() {
        #expect(MockTokenEstimator.messagesPromptTokens(system: "You are terse.", messageContents: ["Hi"]) == 12)
        #expect(
            MockTokenEstimator.toolTokens(name: "get_time", description: "Now", schemaJSON: clockSchema) == 2 + 1 + 15)
        #expect(MockTokenEstimator.messagesPromptTokens(system: "", messageContents: ["Hi"], toolTokens: 18) == 26)
    }

    @Test("no tools, or a none choice, never call; an unknown forced tool is reported")
    func rule() {
        let tool = MockToolDefinition(name: "get_weather", description: "", schema: nil)
        #expect(MockToolCall.decide(tools: [], choice: .any, lastUserMessage: "weather") == .noCall)
        #expect(MockToolCall.decide(tools: [tool], choice: .none, lastUserMessage: "weather") == .noCall)
        #expect(MockToolCall.decide(tools: [tool], choice: .tool("x"), lastUserMessage: "") == .unknownTool("x"))
        #expect(
            MockToolCall.decide(tools: [tool], choice: .auto, lastUserMessage: "How's the Weather?")
                == .call(MockToolCall(name: "get_weather", arguments: "{}")))
    }
}
