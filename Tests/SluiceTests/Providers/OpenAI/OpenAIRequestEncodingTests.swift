import Testing

@testable import Sluice

@Suite("OpenAIAdapter request encoding")
struct OpenAIRequestEncodingTests {
    static let key = "sk-test-SECRETSECRETSECRET0123456789"
    let endpoint = ProviderEndpoint(baseURL: "https://api.openai.com/v1/", apiKey: OpenAIRequestEncodingTests.key)

    /// The request body parsed back.
    func body(_ request: ChatRequest, stream: Bool = false, adapter: OpenAIAdapter = OpenAIAdapter()) throws
        -> JSONValue
    {
        let built = try adapter.chatRequest(request, stream: stream, endpoint: endpoint)
        return try JSONValue(parsing: try #require(built.body))
    }

    @Test("a minimal chat request is a POST to /chat/completions with model and string content")
    func minimal() throws {
        let request = ChatRequest(model: "gpt-4o-mini", messages: [.system("Be terse."), .user("Hello!")])
        let built = try OpenAIAdapter().chatRequest(request, stream: false, endpoint: endpoint)
        #expect(built.method == .post)
        #expect(built.url == "https://api.openai.com/v1/chat/completions")
        let expected = try JSONValue(
            parsing: #"""
                {"model": "gpt-4o-mini",
                 "messages": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Hello!"}]}
                """#)
        #expect(try JSONValue(parsing: try #require(built.body)) == expected)
        // Compact, and the keys in a stable order.
        #expect(
            String(decoding: try #require(built.body), as: UTF8.self)
                == #"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be terse."},{"role":"user","content":"Hello!"}]}"#
        )
    }

    @Test("headers: bearer auth, JSON content type, accept by mode, organization and project, endpoint headers last")
    func headers() throws {
        let adapter = OpenAIAdapter(organization: "org-123", project: "proj_456")
        var endpoint = self.endpoint
        endpoint.headers = ["x-custom": "1", "Accept": "application/x-ndjson"]
        let request = ChatRequest(model: "m", messages: [.user("hi")])

        let unary = try adapter.chatRequest(request, stream: false, endpoint: self.endpoint)
        #expect(unary.headers["authorization"] == "Bearer \(Self.key)")
        #expect(unary.headers["content-type"] == "application/json")
        #expect(unary.headers["accept"] == "application/json")
        #expect(unary.headers["openai-organization"] == "org-123")
        #expect(unary.headers["openai-project"] == "proj_456")

        let streamed = try adapter.chatRequest(request, stream: true, endpoint: self.endpoint)
        #expect(streamed.headers["accept"] == "text/event-stream")

        let custom = try adapter.chatRequest(request, stream: true, endpoint: endpoint)
        #expect(custom.headers["x-custom"] == "1")
        #expect(custom.headers.values(for: "accept") == ["application/x-ndjson"])

        let plain = try OpenAIAdapter().chatRequest(request, stream: false, endpoint: self.endpoint)
        #expect(!plain.headers.contains("openai-organization"))
        #expect(!plain.headers.contains("openai-project"))
    }

    @Test("an endpoint with an empty API key sends no authorization header")
    func noKey() throws {
        let local = ProviderEndpoint(baseURL: "http://127.0.0.1:8000/v1", apiKey: "")
        let built = try OpenAIAdapter().chatRequest(
            ChatRequest(model: "m", messages: [.user("hi")]), stream: false, endpoint: local)
        #expect(!built.headers.contains("authorization"))
        #expect(built.url == "http://127.0.0.1:8000/v1/chat/completions")
    }

    @Test("every sampling and output field is written under its OpenAI name")
    func samplingFields() throws {
        var request = ChatRequest(model: "gpt-4o", messages: [.user("x")])
        request.temperature = 0.7
        request.topP = 0.1
        request.maxOutputTokens = 256
        request.stopSequences = ["\n\n", "END"]
        request.seed = 42
        request.user = "user-1234"
        request.metadata = ["tenant": "acme", "feature": "summaries"]
        let expected = try JSONValue(
            parsing: #"""
                {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}],
                 "temperature": 0.7, "top_p": 0.1, "max_completion_tokens": 256, "stop": ["\n\n", "END"],
                 "seed": 42, "user": "user-1234", "metadata": {"feature": "summaries", "tenant": "acme"}}
                """#)
        let body = try body(request)
        #expect(body == expected)
        // Doubles are written in their shortest round-tripping form, metadata keys sorted.
        let text =
            try OpenAIAdapter().chatRequest(request, stream: false, endpoint: endpoint).body
            .map { String(decoding: $0, as: UTF8.self) } ?? ""
        #expect(text.contains(#""temperature":0.7,"top_p":0.1,"#))
        #expect(text.contains(#""metadata":{"feature":"summaries","tenant":"acme"}"#))
    }

    @Test(
        "maxTokensField chooses between max_completion_tokens and max_tokens",
        arguments: [
            (OpenAIAdapter.MaxTokensField.maxCompletionTokens, "max_completion_tokens", "max_tokens"),
            (OpenAIAdapter.MaxTokensField.maxTokens, "max_tokens", "max_completion_tokens"),
        ])
    func maxTokensField(field: OpenAIAdapter.MaxTokensField, sent: String, notSent: String) throws {
        var request = ChatRequest(model: "m", messages: [.user("x")])
        request.maxOutputTokens = 100
        let body = try body(request, adapter: OpenAIAdapter(maxTokensField: field))
        #expect(body[sent] == 100)
        #expect(body[notSent] == nil)
    }

    @Test("a NaN or infinite temperature is rejected before anything is sent", arguments: [Double.nan, .infinity])
    func nonFiniteTemperature(value: Double) throws {
        var request = ChatRequest(model: "m", messages: [.user("x")])
        request.temperature = value
        let error = try #require(throws: SluiceError.self) {
            try OpenAIAdapter().chatRequest(request, stream: false, endpoint: endpoint)
        }
        #expect(error.code == .invalidRequest)
    }

    @Test("streaming sets stream and asks for usage unless includeStreamUsage is off")
    func streaming() throws {
        let request = ChatRequest(model: "m", messages: [.user("x")])
        let streamed = try body(request, stream: true)
        #expect(streamed["stream"] == true)
        #expect(streamed["stream_options"] == ["include_usage": true])

        let withoutUsage = try body(request, stream: true, adapter: OpenAIAdapter(includeStreamUsage: false))
        #expect(withoutUsage["stream"] == true)
        #expect(withoutUsage["stream_options"] == nil)

        let unary = try body(request)
        #expect(unary["stream"] == nil)
        #expect(unary["stream_options"] == nil)
    }

    @Test("images and several parts become a content array; base64 images become data URLs")
    func multimodal() throws {
        let message = ChatMessage.user([
            .text("What is in these images?"),
            .image(.url("https://example.com/cat.png", detail: "low")),
            .image(.url("https://example.com/dog.png")),
            .image(.base64("iVBORw0KGgo=", mediaType: "image/png")),
        ])
        let body = try body(ChatRequest(model: "gpt-4o", messages: [message]))
        let expected = try JSONValue(
            parsing: #"""
                [{"role": "user", "content": [
                    {"type": "text", "text": "What is in these images?"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/dog.png"}},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
                ]}]
                """#)
        #expect(body["messages"] == expected)

        let single = try self.body(ChatRequest(model: "m", messages: [.user([.image(.url("https://x/y.png"))])]))
        #expect(single["messages"]?[0]?["content"]?.arrayValue?.count == 1)
    }

    @Test("a tool round trip: assistant tool_calls with null content, tool results with tool_call_id, names")
    func toolMessages() throws {
        var named = ChatMessage.user("Weather in Paris and Oslo?")
        named.name = "alice"
        let messages: [ChatMessage] = [
            named,
            .assistant(
                "",
                toolCalls: [
                    ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#),
                    ToolCall(id: "call_2", name: "get_weather", arguments: #"{"city":"Oslo"}"#),
                ]),
            .tool(callID: "call_1", "18°C"),
            .tool(callID: "call_2", "unknown city", isError: true),
            .assistant("Paris is 18°C."),
        ]
        let expected = try JSONValue(
            parsing: #"""
                [{"role": "user", "content": "Weather in Paris and Oslo?", "name": "alice"},
                 {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                    {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
                 {"role": "tool", "content": "18°C", "tool_call_id": "call_1"},
                 {"role": "tool", "content": "unknown city", "tool_call_id": "call_2"},
                 {"role": "assistant", "content": "Paris is 18°C."}]
                """#)
        #expect(try body(ChatRequest(model: "m", messages: messages))["messages"] == expected)
    }

    @Test("an assistant message with text and tool calls keeps its text")
    func assistantTextAndTools() throws {
        let message = ChatMessage.assistant(
            "Let me check.", toolCalls: [ToolCall(id: "call_9", name: "lookup", arguments: "{}")])
        let body = try body(ChatRequest(model: "m", messages: [message]))
        #expect(body["messages"]?[0]?["content"] == "Let me check.")
        #expect(body["messages"]?[0]?["tool_calls"]?[0]?["id"] == "call_9")
    }

    @Test("tools are function definitions with description, parameters and strict when set")
    func tools() throws {
        let parameters: JSONValue = [
            "type": "object", "properties": ["city": ["type": "string"]], "required": ["city"],
            "additionalProperties": false,
        ]
        var request = ChatRequest(model: "m", messages: [.user("x")])
        request.tools = [
            ToolDefinition(name: "get_weather", description: "Current weather", parameters: parameters, strict: true),
            ToolDefinition(name: "now"),
        ]
        let expected = try JSONValue(
            parsing: #"""
                [{"type": "function", "function": {"name": "get_weather", "description": "Current weather",
                   "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                                  "additionalProperties": false},
                   "strict": true}},
                 {"type": "function", "function": {"name": "now", "parameters": {"type": "object"}}}]
                """#)
        #expect(try body(request)["tools"] == expected)
    }

    @Test(
        "tool_choice is auto, none, required or a named function",
        arguments: [
            (ToolChoice.auto, #""auto""#),
            (ToolChoice.none, #""none""#),
            (ToolChoice.required, #""required""#),
            (ToolChoice.tool("get_weather"), #"{"type": "function", "function": {"name": "get_weather"}}"#),
        ])
    func toolChoice(choice: ToolChoice, json: String) throws {
        var request = ChatRequest(model: "m", messages: [.user("x")])
        request.toolChoice = choice
        #expect(try body(request)["tool_choice"] == JSONValue(parsing: json))
    }

    @Test(
        "response_format is text, json_object or json_schema with name, schema and strict",
        arguments: [
            (ResponseFormat.text, #"{"type": "text"}"#),
            (ResponseFormat.jsonObject, #"{"type": "json_object"}"#),
            (
                ResponseFormat.jsonSchema(name: "answer", schema: ["type": "object"], strict: true),
                #"{"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": true}}"#
            ),
            (
                ResponseFormat.jsonSchema(name: "loose", schema: ["type": "object"]),
                #"{"type": "json_schema", "json_schema": {"name": "loose", "schema": {"type": "object"}}}"#
            ),
        ])
    func responseFormat(format: ResponseFormat, json: String) throws {
        var request = ChatRequest(model: "m", messages: [.user("x")])
        request.responseFormat = format
        #expect(try body(request)["response_format"] == JSONValue(parsing: json))
    }

    @Test("extraFields are merged last: new keys appended, existing keys overridden in place")
    func extraFields() throws {
        var request = ChatRequest(model: "gpt-4o", messages: [.user("x")])
        request.temperature = 0.5
        request.extraFields = ["temperature": 1, "logit_bias": ["50256": -100], "reasoning_effort": "low"]
        let built = try OpenAIAdapter().chatRequest(request, stream: true, endpoint: endpoint)
        let body = try JSONValue(parsing: try #require(built.body))
        #expect(body["temperature"] == 1)
        #expect(body["logit_bias"] == ["50256": -100])
        #expect(body["reasoning_effort"] == "low")
        #expect(
            body.objectValue?.keys == [
                "model", "messages", "temperature", "stream", "stream_options", "logit_bias", "reasoning_effort",
            ])
    }

    @Test("the body's bytes: fixed key order, message fields in order, an extra field in its replaced one's place")
    func bodyBytes() throws {
        var request = ChatRequest(
            model: "m",
            messages: [
                .system("S"), ChatMessage(role: .assistant, content: [], toolCalls: [ToolCall(id: "c", name: "f", arguments: "{}")]),
                ChatMessage(role: .tool, content: [.text("r")], toolCallID: "c"),
            ],
            maxOutputTokens: 5)
        request.extraFields = ["user": "u", "max_completion_tokens": 6]
        let built = try OpenAIAdapter().chatRequest(request, stream: false, endpoint: endpoint)
        #expect(
            String(decoding: try #require(built.body), as: UTF8.self)
                == #"{"model":"m","messages":[{"role":"system","content":"S"},{"role":"assistant","content":null,"#
                + #""tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},"#
                + #"{"role":"tool","content":"r","tool_call_id":"c"}],"max_completion_tokens":6,"user":"u"}"#
        )
    }

    @Test("no request description and no request body contains the API key")
    func keyNeverInBodyOrDescription() throws {
        var request = ChatRequest(model: "m", messages: [.user("x")])
        request.tools = [ToolDefinition(name: "t")]
        let built = try OpenAIAdapter().chatRequest(request, stream: true, endpoint: endpoint)
        let bodyText = String(decoding: try #require(built.body), as: UTF8.self)
        #expect(!bodyText.contains(Self.key))
        #expect(!built.headers.description.contains(Self.key))
        #expect(!String(describing: built).contains(Self.key))
        #expect(!String(describing: endpoint).contains(Self.key))
        #expect(!String(describing: OpenAIAdapter()).contains(Self.key))
    }
}
