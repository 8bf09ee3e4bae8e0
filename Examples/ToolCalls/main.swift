// Tool calls and embeddings: the model asks for a tool, the program runs it and sends the result
// back until the model answers in text; then the documents are embedded and ranked by similarity.
//
//     swift run ExampleToolCalls
//
// Runs against the mock LLM server started in-process on 127.0.0.1, or against OpenAI when
// OPENAI_API_KEY is set (embeddings are OpenAI's).
import Sluice
import SluiceMockServer

let weather = ToolDefinition(
    name: "get_weather",
    description: "Current weather for a city",
    parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]])

/// The program's side of the tool: what the model asked for, answered.
func runTool(_ call: ToolCall) throws -> String {
    let arguments = try call.parsedArguments()
    let city = arguments["city"]?.stringValue ?? "somewhere"
    return "18 °C and sunny in \(city)"
}

func run(_ configuration: LLMClient.Configuration, model: String, embeddingModel: String) async throws {
    try await withLLMClient(configuration) { client in
        // The tool loop: at most four turns.
        var request = ChatRequest(
            model: model, messages: [.user("What is the weather in Lyon?")], tools: [weather], maxOutputTokens: 64)
        var reply = try await client.chat(request)
        var turns = 1
        while !reply.toolCalls.isEmpty && turns < 4 {
            request.messages.append(reply.asMessage)
            for call in reply.toolCalls {
                let result = try runTool(call)
                print("tool \(call.name)(\(call.arguments)) -> \(result)")
                request.messages.append(.tool(callID: call.id, result))
            }
            reply = try await client.chat(request)
            turns += 1
        }
        print("answer after \(turns) turns: \(reply.text)")

        // Embeddings: one call for all documents, then cosine similarity to the query.
        let documents = ["A sluice gate controls water flow.", "A lock lifts boats.", "Bread rises in an oven."]
        let embedded = try await client.embed(
            EmbeddingsRequest(model: embeddingModel, inputs: ["How is water flow controlled?"] + documents))
        let query = embedded.embeddings[0]
        let ranked = zip(documents, embedded.embeddings.dropFirst()).map { ($0, cosine(query, $1)) }
            .sorted { $0.1 > $1.1 }
        print("\(embedded.embeddings.count) vectors of \(query.count) dimensions; closest: \(ranked[0].0)")
    }
}

func cosine(_ a: [Float], _ b: [Float]) -> Float {
    var dot: Float = 0
    var normA: Float = 0
    var normB: Float = 0
    for (x, y) in zip(a, b) {
        dot += x * y
        normA += x * x
        normB += y * y
    }
    return normA > 0 && normB > 0 ? dot / (normA.squareRoot() * normB.squareRoot()) : 0
}

if let configuration = try? LLMClient.Configuration.fromEnvironment(), configuration.adapter.provider == .openAI {
    try await run(configuration, model: "gpt-4o-mini", embeddingModel: "text-embedding-3-small")
} else {
    try await MockLLMServer.withRunning(MockServerConfiguration()) { server in
        try await run(
            .openAI(apiKey: "sk-mock", baseURL: server.baseURL + "/v1"), model: "gpt-4o-mini",
            embeddingModel: "text-embedding-3-small")
    }
}
