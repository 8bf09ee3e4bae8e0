import Sluice
import SluiceTesting
import Synchronization
import Testing

// The two code blocks of Sources/Sluice/Sluice.docc/ResponsesAPI.md, as they stand there: this
// file compiling is what keeps the article's code compiling. Change them together.

/// Asks `question`, running the functions the model calls, until it answers in text (at most
/// `maxTurns` calls). With `stored`, each turn continues the previous one on the server.
func respond(
    to question: String,
    tools: [ToolDefinition],
    client: LLMClient,
    stored: Bool = true,
    maxTurns: Int = 8,
    run: (ResponsesFunctionCall) async throws -> String
) async throws -> ResponsesResponse {
    var request = ResponsesRequest(model: "gpt-5-mini", input: .text(question), tools: tools, store: stored)
    request.reasoning = ResponsesReasoning(effort: .low)
    var reply = try await client.createResponse(request)
    var turns = 1
    while !reply.functionCalls.isEmpty && turns < maxTurns {
        var outputs: [ResponsesFunctionCallOutput] = []
        for call in reply.functionCalls {
            outputs.append(ResponsesFunctionCallOutput(callID: call.callID, output: try await run(call)))
        }
        if stored {
            request.previousResponseID = reply.id
            request.input = .items(outputs.map { .functionCallOutput($0) })
        } else {
            request.input = .items(request.input.items + reply.nextInput(outputs))
        }
        reply = try await client.createResponse(request)
        turns += 1
    }
    return reply
}

/// Streams a reply, printing its text as it arrives; returns the final response.
func streamAnswer(_ request: ResponsesRequest, client: LLMClient) async throws -> ResponsesResponse {
    try await client.streamResponse(request) { stream in
        for try await event in stream {
            if case .outputTextDelta(_, _, let text) = event { print(text, terminator: "") }
        }
        return try await stream.finalResponse()
    }
}

@Suite("The Responses API article's code")
struct ResponsesAPIArticleTests {
    static let weatherTool = ToolDefinition(
        name: "get_weather", description: "Current weather",
        parameters: ["type": "object", "properties": ["city": ["type": "string"]]])

    static let callReply = #"""
        {"id":"resp_1","status":"completed","model":"gpt-5-mini","output":[
          {"type":"reasoning","id":"rs_1","summary":[]},
          {"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"}],
         "usage":{"input_tokens":10,"output_tokens":20}}
        """#

    static let answerReply = #"""
        {"id":"resp_2","status":"completed","model":"gpt-5-mini","output":[
          {"type":"message","id":"msg_2","content":[{"type":"output_text","text":"18 C and sunny."}]}],
         "usage":{"input_tokens":30,"output_tokens":10}}
        """#

    @Test(
        "the loop sends outputs after previous_response_id when stored, the whole conversation when not",
        arguments: [true, false])
    func loop(stored: Bool) async throws {
        let bodies = Mutex<[JSONValue]>([])
        let transport = InMemoryTransport { request in
            let body = try JSONValue(parsing: request.body ?? [])
            let count = bodies.withLock { bodies in
                bodies.append(body)
                return bodies.count
            }
            let reply = count == 1 ? Self.callReply : Self.answerReply
            return ClientResponse(status: 200, headers: [:], body: ResponseBody(bytes: Array(reply.utf8)))
        }
        var configuration = LLMClient.Configuration.openAI(apiKey: "sk-article")
        configuration.retryPolicy = .disabled
        let client = LLMClient(configuration, transport: transport)
        let reply = try await respond(
            to: "Weather in Paris?", tools: [Self.weatherTool], client: client, stored: stored
        ) { call in
            #expect(call.name == "get_weather")
            return "18 C and sunny"
        }
        #expect(reply.outputText == "18 C and sunny.")
        let sent = bodies.withLock { $0 }
        #expect(sent.count == 2)
        #expect(sent[0]["reasoning"] == ["effort": "low"])
        let output: JSONValue = ["type": "function_call_output", "call_id": "call_1", "output": "18 C and sunny"]
        if stored {
            #expect(sent[1]["previous_response_id"] == "resp_1")
            #expect(sent[1]["input"] == [output])
        } else {
            #expect(sent[1]["previous_response_id"] == nil)
            #expect(sent[1]["input"]?[0]?["content"] == "Weather in Paris?")
            #expect(sent[1]["input"]?[1] == ["type": "reasoning", "id": "rs_1", "summary": []])
            #expect(sent[1]["input"]?[2]?["call_id"] == "call_1")
            #expect(sent[1]["input"]?[3] == output)
        }
    }

    @Test("the article's code blocks are the code in this file, word for word")
    func articleInSync() throws {
        try ArticleCode.expectInSync(article: "ResponsesAPI.md", count: 2)
    }
}
