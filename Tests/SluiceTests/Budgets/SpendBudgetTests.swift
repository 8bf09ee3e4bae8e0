import Sluice
import SluiceTesting
import Synchronization
import Testing

/// Every prompt is 10 tokens, so a call's worst case is known: 10 in + its max output.
private struct TenTokens: TokenEstimator {
    func estimateInputTokens(_ request: ChatRequest) -> Int { 10 }
    func estimateInputTokens(_ request: EmbeddingsRequest) -> Int { 10 }
}

/// Holds every request until opened.
private final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Counts refused calls across tasks.
private final class Refusals: Sendable {
    let count = Mutex(0)
}

@Suite("Spend budgets")
struct SpendBudgetTests {
    /// Model `m`: $1 per million input tokens (1,000 n$ each), $2 per million output (2,000 n$ each).
    /// A call of max 10 output tokens reserves 10×1,000 + 10×2,000 = 30,000 n$ and 20 tokens; its
    /// reply reports 10 in + 5 out = 20,000 n$ and 15 tokens.
    static func client(
        _ budgets: [SpendBudget], apiKey: String = "sk-BUDGET-SECRET-MARKER", clock: TestClock = TestClock(),
        events: EventRecorder? = nil, transport: InMemoryTransport? = nil
    ) throws -> (LLMClient, InMemoryTransport) {
        var configuration = LLMClient.Configuration.openAI(apiKey: apiKey, baseURL: "http://127.0.0.1:1/v1")
        configuration.retryPolicy = .disabled
        configuration.clock = clock
        configuration.tokenEstimator = TenTokens()
        configuration.prices = ["m": ModelPrice(input: 1, output: 2)]
        if let events { configuration.eventHandlers = [events] }
        try configuration.setBudgets(budgets)
        let transport = transport ?? Self.okTransport()
        return (LLMClient(configuration, transport: transport), transport)
    }

    static func okTransport() -> InMemoryTransport {
        InMemoryTransport { _ in
            ClientResponse(status: 200, body: ResponseBody(bytes: UsageTestBodies.completion(model: "m", input: 10, output: 5)))
        }
    }

    static func request(_ model: String = "m") -> ChatRequest {
        ChatRequest(model: model, messages: [.user("hi")], maxOutputTokens: 10)
    }

    static func options(tenant: String?) -> CallOptions {
        var options = CallOptions()
        options.tenant = tenant
        return options
    }

    @Test("a USD budget stops calls at the budget, with a typed error naming it and reporting the spend")
    func usdBudget() async throws {
        let events = EventRecorder()
        let (client, transport) = try Self.client([SpendBudget("usd-cap", maxCost: Cost(nanodollars: 100_000))], events: events)
        // 0+30k, 20k+30k, 40k+30k, 60k+30k fit in 100k; 80k+30k does not.
        for _ in 0..<4 { _ = try await client.chat(Self.request()) }
        let error = await #expect(throws: SluiceError.self) { try await client.chat(Self.request()) }
        #expect(error?.code == .budgetExceeded)
        let message = error?.message ?? ""
        #expect(message.contains("\"usd-cap\""))
        #expect(message.contains("$0.000100"))  // the limit
        #expect(message.contains("spent $0.000080"))
        #expect(message.contains("needs up to $0.000030"))
        #expect(transport.requests.count == 4)
        let status = try #require(client.budgetStatus.first)
        #expect(status.spentCost == Cost(nanodollars: 80_000))
        #expect(status.spentTokens == 60)
        #expect(status.reservedCost == .zero)
        #expect(status.remainingCost == Cost(nanodollars: 20_000))
        let refused = events.events(ofKind: .budgetExceeded)
        #expect(refused.count == 1)
        #expect(refused.first?.reason == "usd-cap")
        #expect(refused.first?.error?.code == .budgetExceeded)
        // Not retried, even by a policy that retries: the refusal is final until spend resets.
        #expect(!RetryPolicy.default.retryableErrorCodes.contains(.budgetExceeded))
    }

    @Test("a token budget counts input plus output tokens; a call that can never fit fails at once")
    func tokenBudget() async throws {
        let (client, transport) = try Self.client([SpendBudget("tokens", maxTokens: 50)])
        // 0+20, 15+20, 30+20 fit in 50; 45+20 does not.
        for _ in 0..<3 { _ = try await client.chat(Self.request()) }
        let error = await #expect(throws: SluiceError.self) { try await client.chat(Self.request()) }
        #expect(error?.code == .budgetExceeded)
        #expect(error?.message.contains("spent 45 tokens") == true)
        #expect(transport.requests.count == 3)

        let (small, smallTransport) = try Self.client([SpendBudget("tiny", maxTokens: 19)])
        let never = await #expect(throws: SluiceError.self) { try await small.chat(Self.request()) }
        #expect(never?.code == .budgetExceeded)
        #expect(never?.message.contains("can never fit") == true)
        #expect(smallTransport.requests.isEmpty)
    }

    @Test("each tenant has its own budget; a named tenant's budget counts only that tenant")
    func tenants() async throws {
        let (client, transport) = try Self.client([
            SpendBudget("per-tenant", scope: .everyTenant, maxTokens: 20),
            SpendBudget("acme-only", scope: .tenant("acme"), maxTokens: 1_000),
        ])
        _ = try await client.chat(Self.request(), options: Self.options(tenant: "acme"))
        await #expect(throws: SluiceError.self) { try await client.chat(Self.request(), options: Self.options(tenant: "acme")) }
        _ = try await client.chat(Self.request(), options: Self.options(tenant: "globex"))
        // No tenant: no tenant budget applies.
        for _ in 0..<3 { _ = try await client.chat(Self.request()) }
        #expect(transport.requests.count == 5)
        let statuses = client.budgetStatus
        #expect(statuses.map(\.instance) == ["acme", "globex", nil])
        #expect(statuses.map(\.spentTokens) == [15, 15, 15])
    }

    @Test("a fixed window resets the spend when the clock enters the next window")
    func windowRollover() async throws {
        let clock = TestClock()
        let (client, transport) = try Self.client([SpendBudget("minute", window: .fixed(.seconds(60)), maxTokens: 20)], clock: clock)
        _ = try await client.chat(Self.request())
        await #expect(throws: SluiceError.self) { try await client.chat(Self.request()) }
        clock.advance(by: .seconds(59))
        await #expect(throws: SluiceError.self) { try await client.chat(Self.request()) }
        clock.advance(by: .seconds(1))
        #expect(client.budgetStatus.first?.spentTokens == 0)
        #expect(client.budgetStatus.first?.windowStart == .seconds(60))
        _ = try await client.chat(Self.request())
        #expect(transport.requests.count == 2)
    }

    @Test("concurrent calls cannot overspend: calls in flight hold their worst case")
    func concurrentReservations() async throws {
        let gate = Gate()
        let transport = InMemoryTransport { _ in
            await gate.wait()
            return ClientResponse(status: 200, body: ResponseBody(bytes: UsageTestBodies.completion(model: "m", input: 10, output: 5)))
        }
        let (client, _) = try Self.client([SpendBudget("tokens", maxTokens: 50)], transport: transport)
        let refusals = Refusals()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    do {
                        _ = try await client.chat(Self.request())
                    } catch let error as SluiceError where error.code == .budgetExceeded {
                        refusals.count.withLock { $0 += 1 }
                    }
                }
            }
            // Two fit (40 of 50 reserved); the other three are refused while those two are in flight.
            await RL.eventually("two in flight, three refused") { transport.requests.count == 2 && refusals.count.withLock { $0 } == 3 }
            #expect(client.budgetStatus.first?.reservedTokens == 40)
            gate.open()
            try await group.waitForAll()
        }
        let status = try #require(client.budgetStatus.first)
        #expect(status.reservedTokens == 0)
        #expect(status.spentTokens == 30)
    }

    @Test("a transport error, an error answer and a cancellation release the reservation")
    func releases() async throws {
        let failing = InMemoryTransport { request in
            if request.body.map({ String(decoding: $0, as: UTF8.self).contains("refuse") }) == true {
                throw SluiceError(.connectionRefused, "nothing listens")
            }
            return ClientResponse(status: 500, body: ResponseBody(bytes: UsageTestBodies.serverError))
        }
        let (client, _) = try Self.client([SpendBudget("tokens", maxTokens: 20)], transport: failing)
        let refused = ChatRequest(model: "m", messages: [.user("refuse")], maxOutputTokens: 10)
        await #expect(throws: SluiceError.self) { try await client.chat(refused) }
        await #expect(throws: SluiceError.self) { try await client.chat(Self.request()) }
        // Both released: a third still fits, and fails the same way rather than on the budget.
        let third = await #expect(throws: SluiceError.self) { try await client.chat(Self.request()) }
        #expect(third?.code != .budgetExceeded)
        #expect(client.budgetStatus.first?.reservedTokens == 0)
        #expect(client.budgetStatus.first?.spentTokens == 0)

        let hanging = InMemoryTransport { _ in
            try await Task.sleep(for: .seconds(3_600))
            return ClientResponse(status: 200)
        }
        let (slow, _) = try Self.client([SpendBudget("tokens", maxTokens: 20)], transport: hanging)
        let call = Task { try await slow.chat(Self.request()) }
        await RL.eventually("the call in flight") { hanging.requests.count == 1 }
        #expect(slow.budgetStatus.first?.reservedTokens == 20)
        call.cancel()
        let cancelled = await #expect(throws: SluiceError.self) { try await call.value }
        #expect(cancelled?.code == .cancelled)
        #expect(slow.budgetStatus.first?.reservedTokens == 0)
        #expect(slow.budgetStatus.first?.spentTokens == 0)
    }

    @Test("a budget of every key counts each key by id, and never shows the key")
    func perKeyWithoutSecrets() async throws {
        let secret = "sk-BUDGET-SECRET-MARKER"
        let (client, _) = try Self.client([SpendBudget("per-key", scope: .everyKey, maxTokens: 20)], apiKey: secret)
        _ = try await client.chat(Self.request())
        let error = await #expect(throws: SluiceError.self) { try await client.chat(Self.request()) }
        let id = KeyID(apiKey: secret)
        #expect(client.budgetStatus.first?.instance == id.rawValue)
        #expect(error?.message.contains(id.rawValue) == true)
        var dumped = ""
        dump(error, to: &dumped)
        dump(client.budgetStatus, to: &dumped)
        dump(client.configuration, to: &dumped)
        #expect(!dumped.contains(secret))
        #expect(!String(describing: error).contains(secret))
        // A budget on another key's id does not apply.
        let (other, otherTransport) = try Self.client([SpendBudget("other", scope: .key(KeyID(apiKey: "sk-other")), maxTokens: 20)])
        for _ in 0..<3 { _ = try await other.chat(Self.request()) }
        #expect(otherTransport.requests.count == 3)
    }

    @Test("a USD budget refuses a model with no price instead of counting it as $0")
    func unpricedModel() async throws {
        let (client, transport) = try Self.client([SpendBudget("usd", maxUSD: 10)])
        let error = await #expect(throws: SluiceError.self) { try await client.chat(Self.request("not-in-the-table")) }
        #expect(error?.code == .budgetUnpricedModel)
        #expect(error?.message.contains("not-in-the-table") == true)
        #expect(transport.requests.isEmpty)
        // A token budget needs no price.
        let (tokens, _) = try Self.client([SpendBudget("tokens", maxTokens: 100)])
        _ = try await tokens.chat(Self.request("not-in-the-table"))
    }

    @Test("bad budgets are typed configuration errors at construction")
    func configurationErrors() throws {
        let bad: [() throws -> SpendBudget] = [
            { try SpendBudget("", maxTokens: 1) },
            { try SpendBudget("none") },
            { try SpendBudget("zero", maxTokens: 0) },
            { try SpendBudget("negative", maxTokens: -5) },
            { try SpendBudget("zero-usd", maxUSD: 0) },
            { try SpendBudget("negative-usd", maxUSD: -1) },
            { try SpendBudget("nan", maxUSD: .nan) },
            { try SpendBudget("infinite", maxUSD: .infinity) },
            { try SpendBudget("sub-nano", maxUSD: 1e-12) },
            { try SpendBudget("zero-cost", maxCost: .zero) },
            { try SpendBudget("both", maxUSD: 1, maxCost: Cost(nanodollars: 2)) },
            { try SpendBudget("window", window: .fixed(.zero), maxTokens: 1) },
            { try SpendBudget("tenant", scope: .tenant(""), maxTokens: 1) },
        ]
        for make in bad {
            let error = #expect(throws: SluiceError.self) { try make() }
            #expect(error?.code == .invalidConfiguration)
            #expect(error?.message.contains("invalid spend budget") == true)
        }
        var configuration = LLMClient.Configuration.openAI(apiKey: "k")
        let duplicate = #expect(throws: SluiceError.self) {
            try configuration.setBudgets([SpendBudget("a", maxTokens: 1), SpendBudget("a", maxUSD: 1)])
        }
        #expect(duplicate?.code == .invalidConfiguration)
        #expect(configuration.budgets.isEmpty)
        let budget = try SpendBudget("ok", window: .fixed(.seconds(3_600)), maxUSD: 2.5)
        #expect(budget.maxCost == Cost(nanodollars: 2_500_000_000))
    }

    @Test("a stream settles from its final usage; a stream cut before its usage counts the reservation")
    func streams() async throws {
        let full = InMemoryTransport { _ in
            ClientResponse(status: 200, body: ResponseBody(bytes: Array((UsageTestBodies.streamChunks + "data: [DONE]\n\n").utf8)))
        }
        let (client, _) = try Self.client([SpendBudget("usd", maxUSD: 1)], transport: full)
        _ = try await client.streamChat(Self.request())
        // The final usage: 9 in (4 of them cached, at the input price here) + 2 out = 9×1,000 + 2×2,000.
        #expect(client.budgetStatus.first?.spentTokens == 11)
        #expect(client.budgetStatus.first?.spentCost == Cost(nanodollars: 13_000))
        #expect(client.budgetStatus.first?.reservedCost == .zero)

        let firstChunk = UsageTestBodies.streamChunks.components(separatedBy: "\n\n")[0] + "\n\n"
        let cut = InMemoryTransport { _ in
            ClientResponse(status: 200, body: ResponseBody(chunks: [Array(firstChunk.utf8)]))
        }
        let (cutClient, _) = try Self.client([SpendBudget("usd", maxUSD: 1)], transport: cut)
        _ = try? await cutClient.streamChat(Self.request())
        // No usage reached: the worst case counts (10 in + 10 out = 30,000 n$), and nothing stays reserved.
        #expect(cutClient.budgetStatus.first?.spentTokens == 20)
        #expect(cutClient.budgetStatus.first?.spentCost == Cost(nanodollars: 30_000))
        #expect(cutClient.budgetStatus.first?.reservedCost == .zero)
    }

    @Test("a refused attempt gives back the rate limiter's reservation: it was never sent")
    func refusalRefundsRateBudget() async throws {
        var configuration = LLMClient.Configuration.openAI(apiKey: "sk-limited", baseURL: "http://127.0.0.1:1/v1")
        configuration.retryPolicy = .disabled
        configuration.clock = TestClock()
        configuration.tokenEstimator = TenTokens()
        configuration.prices = ["m": ModelPrice(input: 1, output: 2)]
        configuration.rateLimits = RateLimitMiddleware.Configuration(
            keys: [APIKey("sk-limited", limits: RateLimits(requestsPerMinute: 2, tokensPerMinute: 1_000))], safetyMargin: .none)
        try configuration.setBudgets([SpendBudget("small-tenant", scope: .tenant("x"), maxTokens: 19)])
        let client = LLMClient(configuration, transport: Self.okTransport())
        // Refused by the budget three times; the two requests a minute are still there for calls the
        // budget admits. Fail-fast: a spent request budget fails at once (rate_limit_would_wait)
        // rather than waiting on a clock that does not move.
        var options = CallOptions()
        options.rateLimitWaitPolicy = .failFast
        var tenantX = options
        tenantX.tenant = "x"
        for _ in 0..<3 {
            let error = await #expect(throws: SluiceError.self) { try await client.chat(Self.request(), options: tenantX) }
            #expect(error?.code == .budgetExceeded)
        }
        _ = try await client.chat(Self.request(), options: options)
        _ = try await client.chat(Self.request(), options: options)
    }
}
