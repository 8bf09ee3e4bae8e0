import Sluice
import SluiceTesting
import Synchronization
import Testing

// The two code blocks of Sources/Sluice/Sluice.docc/ThinkingAndToolLoops.md, as they stand there
// (less their `import Sluice`): this file compiling is what keeps the article's code compiling.
// Change them together.

/// Asks `question` with thinking on, running the tools the model calls, until it answers in text
/// (at most `maxTurns` calls).
func answer(
    _ question: String,
    tools: [ToolDefinition],
    client: LLMClient,
    maxTurns: Int = 8,
    run: (ToolCall) async throws -> String
) async throws -> ChatResponse {
    var request = ChatRequest(
        model: "claude-sonnet-4-5",
        messages: [.user(question)],
        tools: tools,
        maxOutputTokens: 16_000
    )
    request.thinking = .enabled(budgetTokens: 10_000)
    var reply = try await client.chat(request)
    var turns = 1
    while !reply.toolCalls.isEmpty && turns < maxTurns {
        // The reply as it came: thinking blocks first, signatures unmodified, then text and tool calls.
        request.messages.append(reply.asMessage)
        for call in reply.toolCalls {
            request.messages.append(.tool(callID: call.id, try await run(call)))
        }
        reply = try await client.chat(request)
        turns += 1
    }
    return reply
}

/// Streams a turn, collecting its reasoning and printing its answer as they arrive.
func streamTurn(_ request: ChatRequest, client: LLMClient) async throws -> (ChatResponse, reasoning: String) {
    var reasoning = ""
    let reply = try await client.streamChat(request) { stream in
        for try await event in stream {
            switch event {
            case .thinkingDelta(_, let fragment): reasoning += fragment
            case .textDelta(let text): print(text, terminator: "")
            default: break
            }
        }
        return try await stream.finalResponse()
    }
    return (reply, reasoning)
}

@Suite("The Thinking and tool loops article's code")
struct ThinkingAndToolLoopsArticleTests {
    static let weatherTool = ToolDefinition(
        name: "get_weather", description: "Current weather",
        parameters: ["type": "object", "properties": ["city": ["type": "string"]]])

    /// A first reply: thinking, then a tool call.
    static let toolUseReply = #"""
        {"id":"msg_1","model":"claude-sonnet-4-5","content":[
          {"type":"thinking","thinking":"I should look it up.","signature":"c2lnbmF0dXJl"},
          {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],
         "stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":20}}
        """#

    static let answerReply = #"""
        {"id":"msg_2","model":"claude-sonnet-4-5","content":[
          {"type":"thinking","thinking":"Now answer.","signature":"c2lnMg=="},
          {"type":"text","text":"18 C and sunny."}],
         "stop_reason":"end_turn","usage":{"input_tokens":30,"output_tokens":10}}
        """#

    @Test("the loop sends the thinking block back first, unmodified, and returns the answer")
    func loop() async throws {
        let bodies = Mutex<[JSONValue]>([])
        let transport = InMemoryTransport { request in
            let body = try JSONValue(parsing: request.body ?? [])
            let count = bodies.withLock { bodies in
                bodies.append(body)
                return bodies.count
            }
            let reply = count == 1 ? Self.toolUseReply : Self.answerReply
            return ClientResponse(status: 200, headers: [:], body: ResponseBody(bytes: Array(reply.utf8)))
        }
        var configuration = LLMClient.Configuration.anthropic(apiKey: "sk-ant-article")
        configuration.retryPolicy = .disabled
        let client = LLMClient(configuration, transport: transport)
        let reply = try await answer("Weather in Paris?", tools: [Self.weatherTool], client: client) { call in
            #expect(call.name == "get_weather")
            return "18 C and sunny"
        }
        #expect(reply.text == "18 C and sunny.")
        let sent = bodies.withLock { $0 }
        #expect(sent.count == 2)
        #expect(sent[0]["thinking"] == ["type": "enabled", "budget_tokens": 10_000])
        #expect(
            sent[1]["messages"]?[1]?["content"]?[0]
                == ["type": "thinking", "thinking": "I should look it up.", "signature": "c2lnbmF0dXJl"])
        #expect(sent[1]["messages"]?[2]?["content"]?[0]?["type"] == "tool_result")
    }

    @Test("the article's code blocks are the code in this file, word for word")
    func articleInSync() throws {
        try ArticleCode.expectInSync(article: "ThinkingAndToolLoops.md", count: 2)
    }
}
