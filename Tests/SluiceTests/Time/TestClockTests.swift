import Sluice
import SluiceTesting
import Testing

@Suite("TestClock")
struct TestClockTests {
    @Test("sleepers wake only when the clock is advanced past their deadline")
    func wakesOnAdvance() async throws {
        let clock = TestClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(2)); return clock.now }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        #expect(try await sleeper.value == .seconds(2))
        #expect(clock.sleeperCount == 0)
    }

    @Test("a cancelled sleeper throws CancellationError without the clock moving")
    func cancellation() async throws {
        let clock = TestClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(60)) }
        await clock.waitForSleepers(1)
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test("a deadline already reached returns at once")
    func pastDeadline() async throws {
        let clock = TestClock(now: .seconds(10))
        try await clock.sleep(until: .seconds(5))
        #expect(clock.now == .seconds(10))
    }
}
