import Testing

@testable import SluiceMockServer

@Suite("Token estimator and reply generator")
struct EstimatorAndGeneratorTests {
    @Test("text tokens are ceil(utf8 bytes / 4)")
    func textTokens() {
        #expect(MockTokenEstimator.textTokens("") == 0)
        #expect(MockTokenEstimator.textTokens("abcd") == 1)
        #expect(MockTokenEstimator.textTokens("abcde") == 2)
        #expect(MockTokenEstimator.textTokens("héllo") == 2)  // 6 bytes
    }

    @Test("a chat prompt is the sum of (content tokens + 4) over messages, plus 3")
    func chatPrompt() {
        #expect(MockTokenEstimator.chatPromptTokens(messageContents: ["You are terse.", "Hi"]) == 16)
        #expect(MockTokenEstimator.chatPromptTokens(messageContents: []) == 3)
    }

    @Test("admission charges max_tokens when set, else the reply length")
    func admissionCost() {
        #expect(MockTokenEstimator.admissionCost(promptTokens: 10, maxTokens: 100, replyTokens: 20) == 110)
        #expect(MockTokenEstimator.admissionCost(promptTokens: 10, maxTokens: nil, replyTokens: 20) == 30)
    }

    @Test("replies are deterministic, one word per token, and differ between prompts")
    func replies() {
        let first = MockReplyGenerator.words(for: "Hello", tokens: 12)
        #expect(first.count == 12)
        #expect(first == MockReplyGenerator.words(for: "Hello", tokens: 12))
        #expect(first != MockReplyGenerator.words(for: "Goodbye", tokens: 12))
        #expect(MockReplyGenerator.reply(to: "Hello", tokens: 3) == first.prefix(3).joined(separator: " "))
    }

    @Test("embeddings are deterministic unit vectors")
    func embeddings() {
        let vector = MockReplyGenerator.embedding(of: "text", dimensions: 16)
        #expect(vector.count == 16)
        #expect(vector == MockReplyGenerator.embedding(of: "text", dimensions: 16))
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }
        #expect(abs(norm - 1) < 1e-4)
    }

    @Test("unknown keys get a short, stable name that does not contain the secret")
    func anonymousName() {
        let name = MockAPIKey.anonymousName(forSecret: "sk-secret-value")
        #expect(name.hasPrefix("key-"))
        #expect(name.count == 12)
        #expect(!name.contains("secret"))
        #expect(name == MockAPIKey.anonymousName(forSecret: "sk-secret-value"))
        #expect(name != MockAPIKey.anonymousName(forSecret: "sk-secret-valuf"))
    }

    @Test("JSON strings are escaped")
    func jsonEscaping() {
        #expect(JSONText.quoted("plain") == "\"plain\"")
        #expect(JSONText.quoted("a\"b\\c\nd\u{1}") == "\"a\\\"b\\\\c\\nd\\u0001\"")
    }
}

@Suite("Engine: admission, scripting, seeded faults")
struct EngineTests {
    private func engine(_ configure: (inout MockServerConfiguration) -> Void = { _ in }) -> MockServerEngine {
        var configuration = MockServerConfiguration()
        configuration.clock = .manual()
        configure(&configuration)
        return MockServerEngine(configuration: configuration)
    }

    private func outcome(_ admission: Admission) -> MockOutcome? {
        if case .admitted(_, let outcome, _) = admission { return outcome }
        return nil
    }

    @Test("scripted outcomes are consumed in order, and only by their key when one is given")
    func scripted() {
        let engine = self.engine()
        let a = ResolvedKey(name: "a", limits: .unlimited)
        let b = ResolvedKey(name: "b", limits: .unlimited)
        engine.enqueue([.fault(.serverError(503))], keyName: "b")
        engine.enqueue([.fault(.overloaded()), .success], keyName: nil)
        #expect(self.outcome(engine.admit(key: a) { _ in 0 })?.fault == .overloaded())
        #expect(self.outcome(engine.admit(key: b) { _ in 0 })?.fault == .serverError(503))
        #expect(self.outcome(engine.admit(key: b) { _ in 0 }) == .success)
        #expect(self.outcome(engine.admit(key: a) { _ in 0 }) == .success)
        #expect(engine.stats.faults(.http503) == 1)
        #expect(engine.stats.faults(.http529) == 1)
        #expect(engine.stats[key: "b"].faults == 1)
    }

    @Test("a request the limiter rejects does not consume a scripted outcome")
    func rejectedKeepsScript() {
        let engine = self.engine()
        let key = ResolvedKey(name: "a", limits: MockRateLimits(requestsPerMinute: 1))
        engine.enqueue([.fault(.stall())], keyName: nil)
        _ = engine.admit(key: ResolvedKey(name: "a", limits: MockRateLimits(requestsPerMinute: 1))) { _ in 0 }
        #expect(engine.pendingScriptedOutcomes == 0)
        engine.enqueue([.fault(.stall())], keyName: nil)
        guard case .rejected = engine.admit(key: key, cost: { _ in 0 }) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(engine.pendingScriptedOutcomes == 1)
        #expect(engine.stats[key: "a"].rateLimited == 1)
    }

    @Test("random faults are reproducible from the seed")
    func seeded() {
        func run(seed: UInt64) -> [MockFault?] {
            let engine = self.engine {
                $0.faults = MockFaultPlan(seed: seed, [.rate(0.3, .serverError(500)), .rate(0.2, .dropConnection())])
            }
            let key = ResolvedKey(name: "a", limits: .unlimited)
            return (0..<50).map { _ in self.outcome(engine.admit(key: key) { _ in 0 })?.fault }
        }
        let first = run(seed: 42)
        #expect(first == run(seed: 42))
        #expect(first != run(seed: 43))
        #expect(first.contains(nil))
        #expect(first.contains(.serverError(500)))
        #expect(first.contains(.dropConnection()))
    }

    @Test("the reply-length override of the scripted outcome is what gets charged")
    func chargedWithOverride() {
        let engine = self.engine()
        let key = ResolvedKey(name: "a", limits: MockRateLimits(tokensPerMinute: 10_000))
        engine.enqueue([MockOutcome(replyTokens: 50)], keyName: nil)
        _ = engine.admit(key: key) {
            MockTokenEstimator.admissionCost(promptTokens: 10, maxTokens: nil, replyTokens: $0 ?? 20)
        }
        #expect(engine.stats[key: "a"].tokensCharged == 60)
    }

    @Test("in-flight tickets decrement exactly once, also when dropped unreleased")
    func tickets() async {
        let engine = self.engine()
        do {
            let first = await engine.beginRequest()
            let second = await engine.beginRequest()
            #expect(engine.stats.inFlight == 2)
            first.release()
            first.release()
            #expect(engine.stats.inFlight == 1)
            _ = second
        }
        #expect(engine.stats.inFlight == 0)
        #expect(engine.stats.peakInFlight == 2)
    }

    @Test("in-order handling lets a request in only when every earlier one is released")
    func inOrderHandling() async {
        let engine = self.engine { $0.rateLimitReporting = MockRateLimitReporting(handling: .inOrder) }
        let first = await engine.beginRequest()
        let order = EntryOrder()
        let waiting = (1...3).map { number in
            Task {
                let ticket = await engine.beginRequest()
                await order.append(number)
                ticket.release()
            }
        }
        // Each waiter queues in turn (the turnstile is FIFO); none can get in while `first` is held.
        for _ in 0..<200 { await Task.yield() }
        #expect(engine.stats.requests == 1)
        #expect(engine.stats.inFlight == 1)
        first.release()
        for task in waiting { await task.value }
        #expect(engine.stats.requests == 4)
        #expect(engine.stats.inFlight == 0)
        #expect(await order.numbers.sorted() == [1, 2, 3])
    }

    private actor EntryOrder {
        var numbers: [Int] = []
        func append(_ number: Int) { numbers.append(number) }
    }

    @Test("a server that sends no rate-limit headers still enforces its limits")
    func noHeaders() {
        let engine = self.engine { $0.rateLimitReporting = MockRateLimitReporting(sendsHeaders: false) }
        let key = ResolvedKey(name: "a", limits: MockRateLimits(requestsPerMinute: 60, requestBurst: 1))
        guard case .admitted(let status, _, _) = engine.admit(key: key, cost: { _ in 0 }) else {
            Issue.record("the first request fits the burst")
            return
        }
        #expect(status.requests == nil && status.tokens == nil)
        guard case .rejected = engine.admit(key: key, cost: { _ in 0 }) else {
            Issue.record("the second request exceeds the burst of 1")
            return
        }
    }

    @Test("a connection monitor wakes a pause as soon as the connection closes")
    func monitorWakes() async throws {
        let monitor = ConnectionMonitor()
        async let paused = monitor.pause(.seconds(600))
        await Task.yield()
        monitor.markClosed()
        #expect(try await paused == false)
        #expect(try await monitor.pause(.seconds(600)) == false)
    }

    @Test("a connection monitor pause of zero returns at once while connected")
    func monitorZero() async throws {
        let monitor = ConnectionMonitor()
        #expect(try await monitor.pause(.zero))
    }
}
