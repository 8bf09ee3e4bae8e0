import Sluice
import Testing

@Suite("DefaultTokenEstimator")
struct DefaultTokenEstimatorTests {
    let estimator = DefaultTokenEstimator()

    /// The mock server's documented arithmetic (SluiceMockServer.MockTokenEstimator), for OpenAI chat.
    static func mockTextTokens(_ text: String) -> Int { (text.utf8.count + 3) / 4 }
    static func mockOpenAIPrompt(_ request: ChatRequest) -> Int {
        let messages = request.messages.reduce(3) { $0 + mockTextTokens($1.text) + 4 }
        let tools = request.tools.reduce(0) {
            $0 + mockTextTokens($1.name) + mockTextTokens($1.description ?? "") + mockTextTokens($1.parameters.description)
        }
        return messages + tools
    }

    static let requests: [ChatRequest] = [
        ChatRequest(model: "m", messages: [.user("Hi")]),
        ChatRequest(model: "m", messages: [.system("You are terse."), .user("What is a sluice? Explain in one line.")]),
        ChatRequest(model: "m", messages: [.user("こんにちは、世界。水門とは何ですか？"), .assistant("🚰 A gate for water.")]),
        ChatRequest(
            model: "m",
            messages: [
                .user("Weather in Paris?"),
                .assistant("", toolCalls: [ToolCall(id: "c1", name: "get_weather", arguments: #"{"city": "Paris"}"#)]),
                .tool(callID: "c1", #"{"temp": 21}"#),
            ],
            tools: [
                ToolDefinition(
                    name: "get_weather", description: "Current weather",
                    parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]])
            ]),
        ChatRequest(model: "m", messages: [.user([.text("a b c d e f g"), .text("h"), .text("ijk")])]),
    ]

    @Test("never estimates below the mock server's estimate", arguments: requests)
    func neverBelowMock(request: ChatRequest) {
        #expect(estimator.estimateInputTokens(request) >= Self.mockOpenAIPrompt(request))
    }

    @Test("counts 3 per request, 4 per message and about 4 ASCII bytes a token")
    func basicArithmetic() {
        #expect(estimator.estimateInputTokens(ChatRequest(model: "m", messages: [.user("Hello")])) == 3 + 4 + 2)
        #expect(DefaultTokenEstimator.textTokens("abcd") == 1)
        #expect(DefaultTokenEstimator.textTokens("水門") == 2)
        #expect(DefaultTokenEstimator.textTokens("") == 0)
    }

    @Test("text tokens are never below ceil(utf8 bytes / 4)", arguments: ["a", "héllo wörld", "日本語のテキスト", "🚰🚰🚰", "mixed ascii 和 text"])
    func textNeverBelowBytes(text: String) {
        #expect(DefaultTokenEstimator.textTokens(text) >= (text.utf8.count + 3) / 4)
    }

    @Test("images count by the providers' size rules, and the most either charges when the size is unknown")
    func images() {
        // OpenAI: 1024×1024 high detail → 768×768 → 4 tiles → 765; Anthropic: 1024×1024 / 750 → 1399.
        #expect(DefaultTokenEstimator.imageTokens(width: 1024, height: 1024) == 1_399)
        // A small image: OpenAI 85 + 170 = 255; Anthropic 200×200 / 750 = 54.
        #expect(DefaultTokenEstimator.imageTokens(width: 200, height: 200) == 255)
        // A 1×1 PNG, base64: its header says 1×1.
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        #expect(estimator.imageTokens(.base64(png, mediaType: "image/png")) == 255)
        #expect(estimator.imageTokens(.url("https://example.com/cat.jpg")) == 1_600)
    }

    @Test("tools, named tool choice and response schemas add to the estimate")
    func toolsAndSchemas() {
        let plain = ChatRequest(model: "m", messages: [.user("Hi")])
        var withTool = plain
        withTool.tools = [ToolDefinition(name: "lookup", parameters: ["type": "object"])]
        withTool.toolChoice = .tool("lookup")
        var withSchema = plain
        withSchema.responseFormat = .jsonSchema(name: "answer", schema: ["type": "object"])
        #expect(estimator.estimateInputTokens(withTool) > estimator.estimateInputTokens(plain) + 8)
        #expect(estimator.estimateInputTokens(withSchema) > estimator.estimateInputTokens(plain) + 8)
    }

    @Test("the last assistant turn's thinking counts as input; earlier turns' thinking does not")
    func thinkingOfTheLastAssistantTurn() {
        let thinking = ThinkingBlock(text: String(repeating: "abcd", count: 100), signature: "sig")
        let plain = ChatRequest(
            model: "m", messages: [.user("Hi"), .assistant("Yes"), .user("And?"), .assistant("No")])
        var withThinking = plain
        withThinking.messages[1].thinking = [thinking]
        #expect(estimator.estimateInputTokens(withThinking) == estimator.estimateInputTokens(plain))
        withThinking.messages[3].thinking = [thinking, .redacted(data: String(repeating: "x", count: 40))]
        #expect(estimator.estimateInputTokens(withThinking) == estimator.estimateInputTokens(plain) + 100 + 10)
    }
}
