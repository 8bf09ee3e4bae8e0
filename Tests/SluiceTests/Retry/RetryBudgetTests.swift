import Sluice
import SluiceTesting
import Testing

@Suite("RetryBudget")
struct RetryBudgetTests {
    @Test("allows the floor plus ratio of recent calls, and refills as the window slides")
    func windowed() async throws {
        let clock = TestClock()
        let budget = RetryBudget(ratio: 0.5, minimumRetries: 2, window: .seconds(10), clock: clock)
        #expect(budget.available() == 2)
        let retry = RetryMiddleware(policy: try RetryPolicy(maxAttempts: 10), budget: budget, clock: clock, random: { 0 })
        // Four calls that each fail until the budget stops them.
        for _ in 0..<4 {
            let script = ScriptedAttempts(Array(repeating: .answer(503, [:], []), count: 10))
            _ = try await TestCalls.send(retry, transport: script.send)
        }
        // 2 + 0.5 * 4 calls = 4 retries in the window, all spent.
        #expect(budget.available() == 0)
        clock.advance(by: .seconds(10))
        #expect(budget.available() == 2)
    }

    @Test("one key's retries do not spend another key's budget")
    func perKey() async throws {
        let clock = TestClock()
        let budget = RetryBudget(ratio: 0, minimumRetries: 1, clock: clock)
        let retry = RetryMiddleware(policy: .default, budget: budget, clock: clock, random: { 0 })
        let script = ScriptedAttempts([.answer(503, [:], []), .answer(200, [:], [])])
        _ = try await TestCalls.send(retry, transport: script.send)
        #expect(budget.available(for: KeyID(rawValue: "key-test")) == 0)
        #expect(budget.available(for: KeyID(rawValue: "key-other")) == 0)  // the client-wide budget is spent too
        let roomy = RetryBudget(ratio: 0, minimumRetries: 5, clock: clock)
        let retry2 = RetryMiddleware(policy: .default, budget: roomy, clock: clock, random: { 0 })
        _ = try await TestCalls.send(retry2, transport: ScriptedAttempts([.answer(503, [:], []), .answer(200, [:], [])]).send)
        #expect(roomy.available(for: KeyID(rawValue: "key-test")) == 4)
        #expect(roomy.available(for: KeyID(rawValue: "key-other")) == 4)
        #expect(roomy.available() == 4)
    }
}
