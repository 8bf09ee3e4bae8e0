import SluiceTesting
import Testing

@testable import Sluice

/// The samples of RoutingAndFallback.md and CircuitBreaking.md, compiled (and run against in-memory
/// deployments); `DocumentationSamplesTests` checks they are here line for line.
@Suite("Routing articles")
struct RoutingArticleTests {
    // MARK: RoutingAndFallback.md

    static func ordered(openAI: LLMClient, azure: LLMClient) async throws -> (LLMRouter, ChatResponse) {
        let router = try LLMRouter(
            [
                Deployment(name: "openai", client: openAI, model: "gpt-4o-mini"),
                Deployment(name: "azure-eu", client: azure),
            ],
            policy: RoutingPolicy(strategy: .ordered),
            ownsClients: true)
        let reply = try await router.chat(ChatRequest(model: "gpt-4o-mini", messages: [.user("Hi")]))
        return (router, reply)
    }

    static func classes() -> RoutingPolicy {
        var policy = RoutingPolicy(strategy: .weighted)
        policy.fallbackOn = [.serverError, .overloaded, .timeout, .connectionFailure]
        return policy
    }

    static func allFailed(router: LLMRouter, request: ChatRequest) async throws -> [String] {
        var printed: [String] = []
        func print(_ items: String...) { printed.append(items.joined(separator: " ")) }
        do {
            _ = try await router.chat(request)
        } catch let error as SluiceError where error.code == .allDeploymentsFailed {
            for failure in (error.cause as? RoutingFailures)?.failures ?? [] {
                print(failure.deployment, failure.error?.code.name ?? "circuit open")
            }
        }
        return printed
    }

    static func stream(router: LLMRouter, request: ChatRequest) async throws -> ChatResponse {
        let reply = try await router.streamChat(request) { event in
            if case .textDelta(let text) = event { print(text, terminator: "") }
        }
        return reply
    }

    static func responses(router: LLMRouter) async throws -> String {
        var printed: [String] = []
        func print(_ text: String) { printed.append(text) }
        let response = try await router.createResponse(ResponsesRequest(model: "gpt-5-mini", input: "Hi"))
        print(response.outputText)
        return printed.joined()
    }

    static func returnable(router: LLMRouter) async throws -> String {
        var printed = ""
        func print(_ text: String, terminator: String) { printed += text + terminator }
        func answer(_ question: String, with router: LLMRouter) -> ChatEventStream {
            router.chatStream(ChatRequest(model: "gpt-4o-mini", messages: [.user(question)]))
        }

        for try await case .textDelta(let text) in answer("What is a sluice?", with: router) {
            print(text, terminator: "")
        }
        return printed
    }

    // MARK: CircuitBreaking.md

    static func breaker(deployments: [Deployment]) throws -> LLMRouter {
        let breaker = CircuitBreakerPolicy(
            failureRatio: 0.5, window: .seconds(30), minimumCalls: 10,
            consecutiveFailures: 5, openDuration: .seconds(30), halfOpenProbes: 1)
        let router = try LLMRouter(deployments, policy: RoutingPolicy(circuitBreaker: breaker))
        return router
    }

    static func shared(deployments: [Deployment], breakers: any CircuitBreakerStore) throws -> LLMRouter {
        let breaker = CircuitBreakerPolicy()
        let router = try LLMRouter(deployments, policy: RoutingPolicy(circuitBreaker: breaker), breakerStore: breakers)
        return router
    }

    static func states(router: LLMRouter) -> [String] {
        var printed: [String] = []
        func print(_ text: String) { printed.append(text) }
        for (name, state) in router.circuitStates where state != .closed {
            print("\(name): \(state)")
        }
        return printed
    }

    @Test("the articles' samples are in sync and do what the articles say")
    func samples() async throws {
        try ArticleCode.expectInSync(article: "RoutingAndFallback.md", count: 6)
        try ArticleCode.expectInSync(article: "CircuitBreaking.md", count: 3)

        let clock = TestClock()
        let openAI = ScriptedDeployment("openai", .status(503), clock: clock)
        let azure = ScriptedDeployment("azure-eu", clock: clock)
        let (router, reply) = try await Self.ordered(openAI: openAI.client, azure: azure.client)
        #expect(reply.text == "from azure-eu")
        azure.set(.status(500))
        let request = ChatRequest(model: "m", messages: [.user("hi")])
        #expect(try await Self.allFailed(router: router, request: request) == ["openai server_error", "azure-eu server_error"])
        await router.shutdown()
        #expect(openAI.client.isShuttingDown)
        #expect(Self.classes().fallbackOn.contains(.rateLimited) == false)

        let down = ScriptedDeployment("down", .status(503), clock: clock)
        let up = ScriptedDeployment("up", .stream([ScriptedDeployment.text("ok")], then: nil), clock: clock)
        let breaking = try Self.breaker(deployments: [down.deployment(), up.deployment()])
        for _ in 0..<5 { #expect(try await Self.stream(router: breaking, request: request).text == "ok") }
        #expect(Self.states(router: breaking) == ["down: open"])
        // The returnable stream passes over the open circuit to the deployment that streams.
        #expect(try await Self.returnable(router: breaking) == "ok")
    }
}
