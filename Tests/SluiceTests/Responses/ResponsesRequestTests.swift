import Testing

@testable import Sluice

@Suite("Responses API request")
struct ResponsesRequestTests {
    let endpoint = ProviderEndpoint(baseURL: "https://api.openai.com/v1/", apiKey: "sk-resp-KEYKEYKEY")

    static let weather = ToolDefinition(
        name: "get_weather", description: "Current weather",
        parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]], strict: true)

    @Test("a plain request is a POST to /responses with a string input and no unset fields")
    func plain() throws {
        let built = try OpenAIAdapter().responsesRequest(
            ResponsesRequest(model: "gpt-5-mini", input: "Hi"), stream: false, endpoint: endpoint)
        #expect(built.method == .post)
        #expect(built.url == "https://api.openai.com/v1/responses")
        #expect(built.headers["authorization"] == "Bearer sk-resp-KEYKEYKEY")
        #expect(built.headers["accept"] == "application/json")
        #expect(String(decoding: try #require(built.body), as: UTF8.self) == #"{"model":"gpt-5-mini","input":"Hi"}"#)
    }

    @Test("every field is written in the Responses format, in order, with items, flat tools and extra fields last")
    func everyField() throws {
        let call = ResponsesFunctionCall(
            id: "fc_1", callID: "call_1", name: "get_weather", arguments: #"{"city":"Oslo"}"#)
        let request = ResponsesRequest(
            model: "o4-mini",
            input: [
                .developer("Be brief."),
                .message(role: .user, content: [.text("Look:"), .image(.url("https://x/y.png", detail: "low"))]),
                .reasoning(ResponsesReasoningItem(id: "rs_1", summary: ["Thought."], encryptedContent: "gAAA")),
                .functionCall(call),
                .functionCallOutput(callID: "call_1", output: "18C"),
                .message(role: .assistant, content: [.text("A"), .text("B")]),
                .raw(["type": "item_reference", "id": "msg_0"]),
            ],
            instructions: "You are terse.",
            tools: [Self.weather],
            toolChoice: .tool("get_weather"),
            reasoning: ResponsesReasoning(effort: .high, summary: "auto"),
            previousResponseID: "resp_0",
            store: false,
            maxOutputTokens: 300,
            metadata: ["b": "2", "a": "1"],
            temperature: 0.7,
            topP: 0.9,
            parallelToolCalls: false,
            include: ["reasoning.encrypted_content"],
            extraFields: ["truncation": "auto", "store": true]
        )
        let built = try OpenAIAdapter().responsesRequest(request, stream: true, endpoint: endpoint)
        #expect(built.headers["accept"] == "text/event-stream")
        let body = try JSONValue(parsing: try #require(built.body))
        let expected = try JSONValue(
            parsing: #"""
                {"model":"o4-mini",
                 "input":[
                   {"type":"message","role":"developer","content":"Be brief."},
                   {"type":"message","role":"user","content":[{"type":"input_text","text":"Look:"},
                     {"type":"input_image","image_url":"https://x/y.png","detail":"low"}]},
                   {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Thought."}],
                    "encrypted_content":"gAAA"},
                   {"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather",
                    "arguments":"{\"city\":\"Oslo\"}"},
                   {"type":"function_call_output","call_id":"call_1","output":"18C"},
                   {"type":"message","role":"assistant","content":[{"type":"output_text","text":"A"},
                     {"type":"output_text","text":"B"}]},
                   {"type":"item_reference","id":"msg_0"}],
                 "instructions":"You are terse.",
                 "tools":[{"type":"function","name":"get_weather","description":"Current weather",
                   "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},
                   "strict":true}],
                 "tool_choice":{"type":"function","name":"get_weather"},
                 "parallel_tool_calls":false,"temperature":0.7,"top_p":0.9,"max_output_tokens":300,
                 "reasoning":{"effort":"high","summary":"auto"},"previous_response_id":"resp_0","store":true,
                 "include":["reasoning.encrypted_content"],"metadata":{"a":"1","b":"2"},"stream":true,
                 "truncation":"auto"}
                """#)
        #expect(body == expected)
        #expect(
            body.objectValue?.keys == [
                "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "temperature", "top_p",
                "max_output_tokens", "reasoning", "previous_response_id", "store", "include", "metadata", "stream",
                "truncation",
            ])
    }

    @Test("non-finite numbers and a negative output limit are typed invalid_request errors")
    func invalidNumbers() {
        for request in [
            ResponsesRequest(model: "m", input: "x", temperature: .nan),
            ResponsesRequest(model: "m", input: "x", topP: .infinity),
            ResponsesRequest(model: "m", input: "x", maxOutputTokens: -1),
        ] {
            #expect(throws: SluiceError.self) {
                do {
                    _ = try OpenAIAdapter().responsesRequest(request, stream: false, endpoint: endpoint)
                } catch let error as SluiceError {
                    #expect(error.code == .invalidRequest)
                    throw error
                }
            }
        }
    }

    @Test("Anthropic refuses the Responses API with a typed unsupported error")
    func anthropicRefuses() throws {
        let anthropic = ProviderEndpoint(baseURL: "https://api.anthropic.com", apiKey: "sk-ant-KEY")
        let error = try #require(throws: SluiceError.self) {
            _ = try AnthropicAdapter().responsesRequest(
                ResponsesRequest(model: "claude", input: "hi"), stream: false, endpoint: anthropic)
        }
        #expect(error.code == .unsupported)
        #expect(error.message.contains("AnthropicAdapter has no Responses API"))
        #expect(!error.message.contains("sk-ant-KEY"))
    }

    @Test("Azure's deployment adapter refuses with a typed unsupported error that points to the v1 API")
    func azureRefuses() throws {
        let azure = ProviderEndpoint(baseURL: "https://r.openai.azure.com", apiKey: "azure-KEY")
        let error = try #require(throws: SluiceError.self) {
            _ = try AzureOpenAIAdapter().responsesRequest(
                ResponsesRequest(model: "gpt", input: "hi"), stream: true, endpoint: azure)
        }
        #expect(error.code == .unsupported)
        #expect(error.message.contains("/openai/v1"))
    }

    @Test("the estimate counts instructions, every item kind and tools, and saturates")
    func estimate() {
        let estimator = DefaultTokenEstimator()
        #expect(estimator.estimateInputTokens(ResponsesRequest(model: "m", input: "Hello")) == 3 + 4 + 2)
        let call = ResponsesFunctionCall(callID: "c", name: "abcd", arguments: "abcdefgh")
        let items = ResponsesRequest(
            model: "m",
            input: [
                .functionCall(call), .functionCallOutput(callID: "c", output: "abcd"),
                .reasoning(ResponsesReasoningItem(id: "r", summary: ["abcd"], encryptedContent: "abcdabcd")),
            ],
            instructions: "abcd")
        // 3 + (4 + 1) + (4 + 1 + 2) + (4 + 1) + (4 + 1 + 2)
        #expect(estimator.estimateInputTokens(items) == 27)
        let tools = ResponsesRequest(model: "m", input: "", tools: [ToolDefinition(name: "abcd")])
        // 3 + 4 + 0, and 8 + 1 + 0 + textTokens(#"{"type":"object"}"#) == 8 + 1 + 5
        #expect(estimator.estimateInputTokens(tools) == 7 + 14)
        let huge = ResponsesRequest(
            model: "m", input: [.user("x")], tools: [ToolDefinition(name: String(repeating: "é", count: 10_000))])
        #expect(estimator.estimateInputTokens(huge) > 10_000)
    }

    @Test("a custom estimator without a Responses rule gets the default one")
    func customEstimator() {
        struct Fixed: TokenEstimator {
            func estimateInputTokens(_ request: ChatRequest) -> Int { 1 }
            func estimateInputTokens(_ request: EmbeddingsRequest) -> Int { 1 }
        }
        #expect(Fixed().estimateInputTokens(ResponsesRequest(model: "m", input: "Hello")) == 9)
    }
}
