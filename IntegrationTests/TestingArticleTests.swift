import Sluice
import SluiceMockServer
import Testing

// The code of the article "Testing your service with the mock server", word for word: compiled
// and run here, and checked against the article by `articleCode()`.

/// The article's "service": answers a question with the help of a `get_weather` tool, in a tool loop
/// of at most four turns.
func weatherAnswer(baseURL: String, question: String) async throws -> String {
    let tool = ToolDefinition(
        name: "get_weather", description: "Current weather for a city",
        parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]])
    return try await withLLMClient(.openAI(apiKey: "sk-checkout", baseURL: baseURL)) { client in
        var request = ChatRequest(model: "gpt-4o-mini", messages: [.user(question)], tools: [tool])
        var reply = try await client.chat(request)
        for _ in 0..<3 where !reply.toolCalls.isEmpty {
            request.messages.append(reply.asMessage)
            for call in reply.toolCalls {
                let city = try call.parsedArguments()["city"]?.stringValue ?? "nowhere"
                request.messages.append(.tool(callID: call.id, "18 degrees in \(city)"))
            }
            reply = try await client.chat(request)
        }
        return reply.text
    }
}

func weatherConfiguration() throws -> MockServerConfiguration {
    var configuration = MockServerConfiguration()
    configuration.keys = [MockAPIKey(name: "checkout", secret: "sk-checkout")]
    configuration.script = MockScript(rules: [
        MockRule(
            name: "weather-call",
            match: MockMatch(message: try MockPattern("(?i)weather"), toolResult: false),
            reply: MockReply(toolCalls: [MockReply.ToolCall(name: "get_weather", arguments: #"{"city":"Paris"}"#)])),
        MockRule(
            name: "weather-answer",
            match: MockMatch(toolResult: true),
            reply: MockReply(text: "Sunny and 18 degrees in Paris.")),
    ])
    return configuration
}

@Suite("Article: Testing your service with the mock server")
struct TestingArticleTests {
    @Test("the article's code is the code compiled here")
    func articleCode() throws {
        try ArticleCode.expectInSync(article: "TestingWithTheMockServer.md", count: 4)
    }

    @Test func answersInTheModelsWords() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration()) { server in
            let configuration = LLMClient.Configuration.openAI(apiKey: "sk-test", baseURL: server.baseURL + "/v1")
            try await withLLMClient(configuration) { client in
                let reply = try await client.chat("What is a sluice?", model: "gpt-4o-mini")
                #expect(reply.text == MockReplyGenerator.reply(to: "What is a sluice?", tokens: 20))
                #expect(server.stats.requests == 1)
            }
        }
    }

    @Test func sendsTheToolResultBack() async throws {
        let configuration = try weatherConfiguration()
        try await MockLLMServer.withRunning(configuration) { server in
            let answer = try await weatherAnswer(baseURL: server.baseURL + "/v1", question: "Weather in Paris?")
            #expect(answer == "Sunny and 18 degrees in Paris.")

            let sent = server.requests
            #expect(sent.map(\.rule) == ["weather-call", "weather-answer"])
            #expect(sent.allSatisfy { $0.path == "/v1/chat/completions" && $0.key == "checkout" })
            #expect(sent[1].body.contains("18 degrees in Paris"))
            #expect(!sent.contains { $0.body.contains("sk-checkout") })
        }
    }

    @Test func ridesOutFaultsAndLimits() async throws {
        var configuration = MockServerConfiguration()
        configuration.keys = [MockAPIKey(name: "checkout", secret: "sk-checkout")]
        try await MockLLMServer.withRunning(configuration) { server in
            var settings = LLMClient.Configuration.openAI(apiKey: "sk-checkout", baseURL: server.baseURL + "/v1")
            settings.retryPolicy = try RetryPolicy(initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(50))
            try await withLLMClient(settings) { client in
                // The next two requests fail, whatever they ask; the third is answered.
                server.enqueue([.fault(.overloaded()), .fault(.serverError(503)), .success])
                _ = try await client.chat("Hello", model: "gpt-4o-mini")
                #expect(server.stats.faults(.http503) == 1)
                #expect(server.stats.requests == 3)

                // From now on, one request in twenty fails with 503 (seeded, so every run is the same),
                // and the key may send 60 requests a minute.
                server.setFaults(MockFaultPlan(seed: 7, [.rate(0.05, .serverError(503))]))
                server.setLimits(MockRateLimits(requestsPerMinute: 60), forKey: "checkout")
                for _ in 0..<5 { _ = try await client.chat("Hello", model: "gpt-4o-mini") }
                #expect(server.requests.allSatisfy { $0.key == "checkout" })
            }
        }
    }
}
