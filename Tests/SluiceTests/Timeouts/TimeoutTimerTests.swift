import SluiceTesting
import Testing

@testable import Sluice

@Suite("Timeout layers' shared timer")
struct TimeoutTimerTests {
    /// A transport whose head comes after a suspension, so the span's watchdog is registered.
    static func answerAfterSuspending(_: ClientRequest, _: ClientContext) async throws -> ClientResponse {
        await Task.yield()
        return ClientResponse(status: 200, body: ResponseBody(bytes: [1, 2]))
    }

    @Test("1,000 calls that end before their attempt limits leave nothing in the layer's timer")
    func attemptSpansLeaveNothing() async throws {
        let clock = TestClock()
        let policy = TimeoutPolicy(
            total: nil, responseHead: .seconds(60), streamingResponseHead: .seconds(60), firstToken: .seconds(60),
            idle: .seconds(60), attempt: .seconds(60))
        let middleware = AttemptTimeoutMiddleware(policy: policy, clock: clock)
        for call in 0..<1_000 {
            let response = try await TestCalls.send(middleware, call.isMultiple(of: 2) ? .chat : .streamChat) {
                try await Self.answerAfterSuspending($0, $1)
            }
            if call.isMultiple(of: 3) {
                response.body.discard()
            } else {
                #expect(try await TestCalls.read(response.body) == [[1, 2]])
            }
        }
        #expect(middleware.timer.pendingCount == 0)
        #expect(clock.sleeperCount == 0)
    }

    @Test("1,000 calls that end before their deadline leave nothing in the layer's timer")
    func deadlineSpansLeaveNothing() async throws {
        let clock = TestClock()
        let middleware = DeadlineMiddleware(policy: TimeoutPolicy(total: .seconds(60)), clock: clock)
        for _ in 0..<1_000 {
            let response = try await TestCalls.send(middleware) { try await Self.answerAfterSuspending($0, $1) }
            #expect(try await TestCalls.read(response.body) == [[1, 2]])
        }
        #expect(middleware.timer.pendingCount == 0)
        #expect(clock.sleeperCount == 0)
    }

    @Test("of many calls in flight on one layer, one task sleeps on the clock, for the earliest deadline")
    func oneSleeperForManyCalls() async throws {
        let clock = TestClock()
        let middleware = DeadlineMiddleware(policy: TimeoutPolicy(total: .seconds(30)), clock: clock)
        let stalls = (0..<20).map { _ in Stall() }
        var calls: [Task<ClientResponse, any Error>] = []
        for (index, stall) in stalls.enumerated() {
            calls.append(Task { try await TestCalls.send(middleware) { _, _ in try await stall.wait() } })
            await yieldUntil("call \(index) registered") { middleware.timer.pendingCount == index + 1 }
            clock.advance(by: .seconds(1))
        }
        await clock.waitForSleepers(1)
        #expect(clock.sleeperCount == 1)
        #expect(clock.nextDeadline == .seconds(30))
        clock.advance(to: .seconds(60))
        for call in calls {
            let error = await #expect(throws: SluiceError.self) { try await call.value }
            #expect(error?.code == .deadlineExceeded)
        }
        #expect(middleware.timer.pendingCount == 0)
        await yieldUntil("the timer's task stopped") { clock.sleeperCount == 0 }
    }
}
