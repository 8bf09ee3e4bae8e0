import Testing

@testable import Sluice

@Suite("AnthropicAdapter requests")
struct AnthropicRequestTests {
    typealias Fixture = AnthropicFixture

    // MARK: HTTP

    @Test("a chat request is a POST to {host}/v1/messages with the key, version and JSON headers")
    func httpShape() throws {
        let endpoint = ProviderEndpoint(baseURL: "https://api.anthropic.com/", apiKey: Fixture.apiKey)
        let request = try Fixture.adapter.chatRequest(
            ChatRequest(model: "claude-test", messages: [.user("Hi")]), stream: false, endpoint: endpoint)
        #expect(request.method == .post)
        #expect(request.url == "https://api.anthropic.com/v1/messages")
        #expect(request.headers["x-api-key"] == Fixture.apiKey)
        #expect(request.headers["anthropic-version"] == "2023-06-01")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["accept"] == "application/json")
        #expect(!request.headers.contains("anthropic-beta"))
        #expect(!request.headers.contains("authorization"))
    }

    @Test("a streaming request accepts text/event-stream and sends stream: true; a plain one sends no stream field")
    func streamFlag() throws {
        let chat = ChatRequest(model: "claude-test", messages: [.user("Hi")])
        let streaming = try Fixture.adapter.chatRequest(chat, stream: true, endpoint: Fixture.endpoint)
        #expect(streaming.headers["accept"] == "text/event-stream")
        #expect(try Fixture.body(chat, stream: true)["stream"] == true)
        #expect(try Fixture.body(chat, stream: false)["stream"] == nil)
    }

    @Test("betas are sent comma-joined in anthropic-beta, with the endpoint's betas added")
    func betas() throws {
        let adapter = AnthropicAdapter(version: "2099-01-01", betas: ["a-2024", "b-2025"])
        var endpoint = Fixture.endpoint
        endpoint.headers = ["anthropic-beta": "b-2025, c-2026", "x-team": "search"]
        let request = try adapter.chatRequest(
            ChatRequest(model: "m", messages: [.user("Hi")]), stream: false, endpoint: endpoint)
        #expect(request.headers.values(for: "anthropic-beta") == ["a-2024,b-2025,c-2026"])
        #expect(request.headers["anthropic-version"] == "2099-01-01")
        #expect(request.headers["x-team"] == "search")
    }

    @Test("the endpoint's headers replace the adapter's of the same name")
    func endpointHeadersOverride() throws {
        var endpoint = Fixture.endpoint
        endpoint.headers = ["Anthropic-Version": "2024-10-22"]
        let request = try Fixture.adapter.chatRequest(
            ChatRequest(model: "m", messages: [.user("Hi")]), stream: false, endpoint: endpoint)
        #expect(request.headers.values(for: "anthropic-version") == ["2024-10-22"])
    }

    // MARK: Body

    @Test("a minimal request is written compactly in a stable key order")
    func minimalBodyBytes() throws {
        let request = try Fixture.adapter.chatRequest(
            ChatRequest(model: "claude-test", messages: [.user("Hi")]), stream: false, endpoint: Fixture.endpoint)
        let text = String(decoding: try #require(request.body), as: UTF8.self)
        #expect(
            text
                == #"{"model":"claude-test","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]}"#
        )
    }

    @Test(
        "max_tokens is the request's, else the adapter's default, else 4096",
        arguments: [
            (Int?.none, Int?.none, 4096),
            (Int?.none, Int?(1000), 1000),
            (Int?(256), Int?(1000), 256),
        ]
    )
    func maxTokens(requested: Int?, adapterDefault: Int?, expected: Int) throws {
        let adapter = adapterDefault.map { AnthropicAdapter(defaultMaxTokens: $0) } ?? AnthropicAdapter()
        var request = ChatRequest(model: "m", messages: [.user("Hi")])
        request.maxOutputTokens = requested
        #expect(try Fixture.body(request, adapter: adapter)["max_tokens"]?.intValue == expected)
        #expect(AnthropicAdapter.defaultMaxTokens == 4096)
    }

    @Test("system and developer messages are lifted out of the list and joined with a blank line")
    func systemLifted() throws {
        let body = try Fixture.body(
            ChatRequest(
                model: "m",
                messages: [
                    .system("You are terse."),
                    .user("Hi"),
                    ChatMessage(role: ChatMessage.Role("developer"), content: [.text("Answer in French.")]),
                    .system(""),
                    .assistant("Salut"),
                ]
            ))
        #expect(body["system"] == "You are terse.\n\nAnswer in French.")
        #expect(
            body["messages"]
                == [
                    ["role": "user", "content": [["type": "text", "text": "Hi"]]],
                    ["role": "assistant", "content": [["type": "text", "text": "Salut"]]],
                ])
    }

    @Test("no system field is sent without system text")
    func noSystem() throws {
        #expect(try Fixture.body(ChatRequest(model: "m", messages: [.user("Hi")]))["system"] == nil)
    }

    @Test("consecutive messages of one role are merged so that turns alternate")
    func alternationMerge() throws {
        let messages = try Fixture.messages([
            .user("one"), .system("sys"), .user("two"), .assistant("three"), .assistant("four"), .user("five"),
        ])
        #expect(
            messages == [
                ["role": "user", "content": [["type": "text", "text": "one"], ["type": "text", "text": "two"]]],
                [
                    "role": "assistant",
                    "content": [["type": "text", "text": "three"], ["type": "text", "text": "four"]],
                ],
                ["role": "user", "content": [["type": "text", "text": "five"]]],
            ])
    }

    @Test("empty text parts and messages left empty are not sent")
    func emptyContentDropped() throws {
        let messages = try Fixture.messages([
            .user("a"), .assistant(""), .user([.text(""), .text("b")]),
        ])
        #expect(
            messages == [
                ["role": "user", "content": [["type": "text", "text": "a"], ["type": "text", "text": "b"]]]
            ])
    }

    // MARK: Tools

    @Test("assistant tool calls become tool_use blocks after the text, with parsed input ({} when empty)")
    func toolUse() throws {
        let messages = try Fixture.messages([
            .user("Weather in Paris and Rome?"),
            .assistant(
                "Checking.",
                toolCalls: [
                    ToolCall(id: "toolu_1", name: "get_weather", arguments: #"{"city": "Paris", "days": 2}"#),
                    ToolCall(id: "toolu_2", name: "now", arguments: ""),
                ]),
        ])
        #expect(
            messages?[1]
                == [
                    "role": "assistant",
                    "content": [
                        ["type": "text", "text": "Checking."],
                        [
                            "type": "tool_use", "id": "toolu_1", "name": "get_weather",
                            "input": ["city": "Paris", "days": 2],
                        ],
                        ["type": "tool_use", "id": "toolu_2", "name": "now", "input": [:]],
                    ],
                ])
    }

    @Test(
        "tool call arguments that are not a JSON object fail before sending, naming the call",
        arguments: [#"{"city": "Par"#, "[1, 2]", #""Paris""#, "null"]
    )
    func invalidToolArguments(arguments: String) throws {
        let error = try #require(throws: SluiceError.self) {
            try Fixture.messages([
                .user("Hi"), .assistant("", toolCalls: [ToolCall(id: "toolu_9", name: "lookup", arguments: arguments)]),
            ])
        }
        #expect(error.code == .invalidRequest)
        #expect(error.message.contains("toolu_9"))
        #expect(error.message.contains("lookup"))
    }

    @Test("tool results become tool_result blocks of one user message, before any text that follows")
    func toolResults() throws {
        let messages = try Fixture.messages([
            .user("Weather?"),
            .assistant(
                "",
                toolCalls: [
                    ToolCall(id: "t1", name: "a", arguments: "{}"), ToolCall(id: "t2", name: "b", arguments: "{}"),
                ]),
            .tool(callID: "t1", "18°C"),
            .tool(callID: "t2", "city not found", isError: true),
            .user("Thanks, and tomorrow?"),
        ])
        #expect(messages?.arrayValue?.count == 3)
        #expect(
            messages?[2]
                == [
                    "role": "user",
                    "content": [
                        ["type": "tool_result", "tool_use_id": "t1", "content": "18°C"],
                        ["type": "tool_result", "tool_use_id": "t2", "content": "city not found", "is_error": true],
                        ["type": "text", "text": "Thanks, and tomorrow?"],
                    ],
                ])
    }

    @Test("a user message merged before tool results still lists the tool_result blocks first")
    func toolResultsFirst() throws {
        let messages = try Fixture.messages([
            .user("Q"), .assistant("", toolCalls: [ToolCall(id: "t1", name: "a", arguments: "{}")]),
            .user("note"), .tool(callID: "t1", "done"),
        ])
        #expect(
            messages?[2]?["content"]
                == [
                    ["type": "tool_result", "tool_use_id": "t1", "content": "done"], ["type": "text", "text": "note"],
                ])
    }

    @Test("a tool result with an image sends its content as blocks")
    func toolResultWithImage() throws {
        let result = ChatMessage(
            role: .tool, content: [.text("chart:"), .image(.base64("AAAA", mediaType: "image/png"))], toolCallID: "t1")
        let messages = try Fixture.messages([
            .user("Q"), .assistant("", toolCalls: [ToolCall(id: "t1", name: "plot", arguments: "{}")]), result,
        ])
        #expect(
            messages?[2]?["content"]?[0]?["content"]
                == [
                    ["type": "text", "text": "chart:"],
                    ["type": "image", "source": ["type": "base64", "media_type": "image/png", "data": "AAAA"]],
                ])
    }

    @Test("a tool result without a tool call id fails before sending")
    func toolResultWithoutID() throws {
        let error = try #require(throws: SluiceError.self) {
            try Fixture.messages([.user("Q"), ChatMessage(role: .tool, content: [.text("x")])])
        }
        #expect(error.code == .invalidRequest)
    }

    @Test("tools are sent with name, description and input_schema")
    func tools() throws {
        let schema: JSONValue = ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]
        let body = try Fixture.body(
            ChatRequest(
                model: "m", messages: [.user("Hi")],
                tools: [
                    ToolDefinition(
                        name: "get_weather", description: "Current weather", parameters: schema, strict: true),
                    ToolDefinition(name: "now"),
                ]))
        #expect(
            body["tools"]
                == [
                    ["name": "get_weather", "description": "Current weather", "input_schema": schema],
                    ["name": "now", "input_schema": ["type": "object"]],
                ])
    }

    @Test(
        "tool choice maps to auto, none, any and tool",
        arguments: [
            (ToolChoice.auto, ["type": "auto"] as JSONValue),
            (ToolChoice.none, ["type": "none"] as JSONValue),
            (ToolChoice.required, ["type": "any"] as JSONValue),
            (ToolChoice.tool("get_weather"), ["type": "tool", "name": "get_weather"] as JSONValue),
        ]
    )
    func toolChoice(choice: ToolChoice, expected: JSONValue) throws {
        let body = try Fixture.body(
            ChatRequest(
                model: "m", messages: [.user("Hi")], tools: [ToolDefinition(name: "get_weather")], toolChoice: choice))
        #expect(body["tool_choice"] == expected)
    }

    // MARK: Images

    @Test("images: base64 as a base64 source, https as a url source, a data: URL as a base64 source")
    func images() throws {
        let messages = try Fixture.messages([
            .user([
                .text("Compare"),
                .image(.base64("iVBORw0KGgo=", mediaType: "image/png")),
                .image(.url("https://example.com/cat.jpg", detail: "high")),
                .image(.url("data:image/webp;base64,UklGRg==")),
            ])
        ])
        #expect(
            messages?[0]?["content"]
                == [
                    ["type": "text", "text": "Compare"],
                    [
                        "type": "image",
                        "source": ["type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="],
                    ],
                    ["type": "image", "source": ["type": "url", "url": "https://example.com/cat.jpg"]],
                    ["type": "image", "source": ["type": "base64", "media_type": "image/webp", "data": "UklGRg=="]],
                ])
    }

    @Test(
        "a data: URL that is not base64 fails before sending",
        arguments: ["data:image/png,abc", "data:;base64,abc", "data:image/png;base64,"])
    func badDataURL(url: String) throws {
        let error = try #require(throws: SluiceError.self) {
            try Fixture.messages([.user([.image(.url(url))])])
        }
        #expect(error.code == .invalidRequest)
    }

    // MARK: Parameters

    @Test("sampling, stop sequences and the user id are sent; seed and response format are not")
    func parameters() throws {
        let body = try Fixture.body(
            ChatRequest(
                model: "m", messages: [.user("Hi")], temperature: 0.5, topP: 0.9, maxOutputTokens: 100,
                stopSequences: ["\n\nHuman:", "END"], seed: 42,
                responseFormat: .jsonSchema(name: "x", schema: ["type": "object"]), user: "user-7",
                metadata: ["trace": "abc"]))
        #expect(body["temperature"]?.doubleValue == 0.5)
        #expect(body["top_p"]?.doubleValue == 0.9)
        #expect(body["stop_sequences"] == ["\n\nHuman:", "END"])
        #expect(body["metadata"] == ["user_id": "user-7"])
        #expect(body["seed"] == nil)
        #expect(body["response_format"] == nil)
        #expect(body["tools"] == nil)
        #expect(body["tool_choice"] == nil)
    }

    @Test("extra fields are merged last and override what the adapter wrote")
    func extraFields() throws {
        let body = try Fixture.body(
            ChatRequest(
                model: "m", messages: [.user("Hi")],
                extraFields: ["top_k": 40, "max_tokens": 10, "thinking": ["type": "enabled", "budget_tokens": 1024]]))
        #expect(body["top_k"] == 40)
        #expect(body["max_tokens"] == 10)
        #expect(body["thinking"]?["budget_tokens"] == 1024)
    }

    @Test("the body is written in a fixed key order, an extra field in the place of the one it replaces")
    func bodyBytes() throws {
        var request = ChatRequest(
            model: "m",
            messages: [
                .system("S"), .user("Hi"),
                ChatMessage(role: .assistant, content: [.text("A")], thinking: [ThinkingBlock(text: "T", signature: "g")]),
                .user("Q\n"),
            ],
            temperature: 0.5)
        request.extraFields = ["top_k": 40, "max_tokens": 10, "stream": false]
        let built = try Fixture.adapter.chatRequest(request, stream: true, endpoint: Fixture.endpoint)
        #expect(
            String(decoding: try #require(built.body), as: UTF8.self)
                == #"{"model":"m","max_tokens":10,"system":"S","messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]},"#
                + #"{"role":"assistant","content":[{"type":"thinking","thinking":"T","signature":"g"},{"type":"text","text":"A"}]},"#
                + #"{"role":"user","content":[{"type":"text","text":"Q\n"}]}],"temperature":0.5,"stream":false,"top_k":40}"#
        )
    }

    @Test("a temperature that is not finite fails before sending")
    func nonFiniteTemperature() throws {
        let error = try #require(throws: SluiceError.self) {
            try Fixture.body(ChatRequest(model: "m", messages: [.user("Hi")], temperature: .nan))
        }
        #expect(error.code == .invalidRequest)
    }

    @Test("a role Anthropic does not know fails before sending")
    func unknownRole() throws {
        let error = try #require(throws: SluiceError.self) {
            try Fixture.messages([ChatMessage(role: ChatMessage.Role("function"), content: [.text("x")])])
        }
        #expect(error.code == .invalidRequest)
        #expect(error.message.contains("function"))
    }

    // MARK: Secrets

    @Test("the API key is only in the x-api-key header: not in the body, nor any description")
    func keyNotLeaked() throws {
        let request = try Fixture.adapter.chatRequest(
            ChatRequest(model: "m", messages: [.user("Hi")]), stream: true, endpoint: Fixture.endpoint)
        let body = String(decoding: try #require(request.body), as: UTF8.self)
        #expect(!body.contains(Fixture.apiKey))
        #expect(!String(describing: request).contains(Fixture.apiKey))
        #expect(!String(reflecting: request).contains(Fixture.apiKey))
        #expect(!request.headers.description.contains(Fixture.apiKey))
        #expect(!String(describing: Fixture.endpoint).contains(Fixture.apiKey))
        #expect(request.headers.fields.filter { $0.value.contains(Fixture.apiKey) }.map(\.name) == ["x-api-key"])
    }
}
