import Sluice

// The Swift samples of the doc comments in Sources/Sluice/Chat, Client and Responses, each inside a
// function whose parameters supply what the sample leaves to the reader. This file compiling is what
// keeps those samples compiling; `DocumentationSamplesTests` checks that they are here line for line.
// Change them together. The functions are compiled, not run.

enum ChatSymbolSamples {
    // MARK: Chat

    /// CacheControl
    static func cacheControl(longInstructions: String, question: String) -> ChatRequest {
        var system = ChatMessage.system(longInstructions)
        system.cacheControl = .ephemeral                      // 5 minutes
        var request = ChatRequest(model: "claude-sonnet-4-5", messages: [system, .user(question)])
        request.tools[0].cacheControl = .ephemeral(ttl: .oneHour)
        return request
    }

    /// ChatMessage
    static func messages() -> [ChatMessage] {
        let messages: [ChatMessage] = [
            .system("You are terse."),
            .user("What is a sluice?"),
        ]
        return messages
    }

    /// ChatMessage: a tool loop.
    static func toolLoop(client: LLMClient, request: inout ChatRequest) async throws {
        let reply = try await client.chat(request)
        request.messages += [reply.asMessage] + results(for: reply.toolCalls)
    }

    /// The tool results of the tool loop sample.
    static func results(for calls: [ToolCall]) -> [ChatMessage] { [] }

    /// ChatRequest
    static func chatRequest() -> ChatRequest {
        var request = ChatRequest(model: "gpt-4o-mini", messages: [.user("Hello")])
        request.maxOutputTokens = 256
        request.extraFields["logit_bias"] = ["50256": -100]   // sent as is
        return request
    }

    /// ChatStreamAccumulator
    static func accumulator(events: [ChatStreamEvent]) -> ChatResponse {
        var accumulator = ChatStreamAccumulator(provider: .openAI)
        for event in events { accumulator.apply(event) }
        let reply = accumulator.response
        return reply
    }

    /// ReasoningEffort
    static func reasoningEffort() -> ChatRequest {
        var request = ChatRequest(model: "o4-mini", messages: [.user("Prove it.")])
        request.reasoningEffort = .low
        return request
    }

    /// ReplyBlock
    static func replyBlocks(reply: ChatResponse, log: (String) -> Void, run: (ToolCall) -> Void) {
        for block in reply.blocks {
            switch block {
            case .thinking(let thinking): log(thinking.text)
            case .text(let text): print(text)
            case .toolCall(let call): run(call)
            }
        }
    }

    /// ThinkingConfiguration
    static func thinking() -> ChatRequest {
        var request = ChatRequest(model: "claude-sonnet-4-5", messages: [.user("Plan my week.")])
        request.maxOutputTokens = 16_000
        request.thinking = .enabled(budgetTokens: 10_000)
        return request
    }

    /// ToolDefinition
    static func toolDefinition() -> ToolDefinition {
        let weather = ToolDefinition(
            name: "get_weather",
            description: "Current weather for a city",
            parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]
        )
        return weather
    }

    // MARK: Client

    /// ChatEventStream
    static func chatEventStream(client: LLMClient) async throws {
        func answer(_ question: String) -> ChatEventStream {
            client.chatStream(ChatRequest(model: "gpt-4o-mini", messages: [.user(question)]))
        }

        for try await case .textDelta(let text) in answer("What is a sluice?") { print(text, terminator: "") }
    }

    // ChatStream's sample is the Getting Started article's, compiled in ArticleSamples.stream.

    /// LLMClient.chatBatch
    static func chatBatch(client: LLMClient, documents: [String], m: String) async {
        let results = await client.chatBatch(documents.map { ChatRequest(model: m, messages: [.user($0)]) })
        for case .success(let reply) in results { print(reply.text) }
    }

    /// LLMClient.chatBatchResults
    static func chatBatchResults(client: LLMClient, requests: [ChatRequest]) async {
        for await item in client.chatBatchResults(requests, maxConcurrency: 16) {
            print(item.index, (try? item.result.get().text) ?? "failed")
        }
    }

    /// LLMClient.createResponse
    static func createResponse(client: LLMClient) async throws {
        let reply = try await client.createResponse(ResponsesRequest(model: "gpt-5-mini", input: "Hi"))
        print(reply.outputText, reply.usage?.totalTokens ?? 0)
    }

    /// LLMClient.streamChat
    static func streamChat(client: LLMClient, request: ChatRequest) async throws {
        try await client.streamChat(request) { stream in
            for try await case .textDelta(let text) in stream { print(text, terminator: "") }
        }
    }

    /// LLMClient
    static func withClient(key: String) async throws {
        try await withLLMClient(.openAI(apiKey: key)) { client in
            let reply = try await client.chat(ChatRequest(model: "gpt-4o-mini", messages: [.user("Hi")]))
            print(reply.text, reply.usage?.totalTokens ?? 0)
        }
    }

    /// ResponsesStream
    static func responsesStream(client: LLMClient, request: ResponsesRequest) async throws -> ResponsesResponse {
        let reply = try await client.streamResponse(request) { stream in
            for try await case .outputTextDelta(_, _, let text) in stream { print(text, terminator: "") }
            return try await stream.finalResponse()
        }
        return reply
    }

    // MARK: Responses

    /// ResponsesRequest
    static func responsesRequest(client: LLMClient) async throws {
        var request = ResponsesRequest(model: "gpt-5-mini", input: "Write a haiku about rivers.")
        request.instructions = "Answer in English."
        request.maxOutputTokens = 200
        let reply = try await client.createResponse(request)
        print(reply.outputText)
    }

    /// ResponsesResponse
    static func responsesStatus(client: LLMClient, request: ResponsesRequest) async throws {
        let reply = try await client.createResponse(request)
        switch reply.status {
        case .completed: print(reply.outputText)
        case .incomplete: print("cut short:", reply.incompleteReason ?? "?")
        default: print("status", reply.status)
        }
    }

    /// ResponsesResponse.nextInput
    static func nextInput(
        reply: ResponsesResponse, request: inout ResponsesRequest, run: (ResponsesFunctionCall) -> String
    ) {
        let results = reply.functionCalls.map { ResponsesFunctionCallOutput(callID: $0.callID, output: run($0)) }
        request.input = .items(request.input.items + reply.nextInput(results))
    }
}
