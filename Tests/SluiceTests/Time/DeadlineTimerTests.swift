import SluiceTesting
import Synchronization
import Testing

@testable import Sluice

/// Records which registrations fired, in order.
private final class FireLog: Sendable {
    private let fired = Mutex<[Int]>([])

    func action(_ tag: Int) -> DeadlineTimer.Action {
        { [self] in fired.withLock { $0.append(tag) } }
    }

    var all: [Int] { fired.withLock { $0 } }

    /// Yields until `count` registrations have fired (the timer's task runs them after the clock moves).
    func waitFor(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) async {
        await yieldUntil("\(count) fired", { all.count >= count }, sourceLocation: sourceLocation)
    }
}

@Suite("DeadlineTimer")
struct DeadlineTimerTests {
    @Test("deadlines fire in deadline order, equal deadlines in registration order, each once")
    func ordering() async {
        let clock = TestClock()
        let timer = DeadlineTimer(clock: clock)
        let log = FireLog()
        for (tag, seconds) in [(1, 30), (2, 10), (3, 20), (4, 10), (5, 40)] {
            timer.schedule(at: .seconds(seconds), log.action(tag))
        }
        await clock.waitForSleepers(1)
        #expect(clock.sleeperCount == 1, "one task sleeps for every deadline")
        #expect(clock.nextDeadline == .seconds(10))
        clock.advance(to: .seconds(25))
        await log.waitFor(3)
        #expect(log.all == [2, 4, 3])
        await clock.waitForSleepers(1)
        #expect(clock.nextDeadline == .seconds(30))
        clock.advance(to: .seconds(100))
        await log.waitFor(5)
        #expect(log.all == [2, 4, 3, 1, 5])
        await yieldUntil("the timer's task stopped") { clock.sleeperCount == 0 }
        #expect(timer.pendingCount == 0)
    }

    @Test("a registration cancelled before its deadline never fires, and cancel reports who won")
    func cancelBeforeFire() async {
        let clock = TestClock()
        let timer = DeadlineTimer(clock: clock)
        let log = FireLog()
        let cancelled = timer.schedule(at: .seconds(5), log.action(1))
        let kept = timer.schedule(at: .seconds(6), log.action(2))
        #expect(timer.cancel(cancelled))
        #expect(!timer.cancel(cancelled), "a second cancel finds nothing")
        await clock.waitForSleepers(1)
        clock.advance(to: .seconds(10))
        await log.waitFor(1)
        #expect(log.all == [2])
        #expect(!timer.cancel(kept), "a fired registration can no longer be cancelled")
        await yieldUntil("the timer's task stopped") { clock.sleeperCount == 0 }
    }

    @Test("cancelling the last registration stops the timer's task at once")
    func lastCancelStopsTask() async {
        let clock = TestClock()
        let timer = DeadlineTimer(clock: clock)
        let id = timer.schedule(at: .seconds(60)) {}
        await clock.waitForSleepers(1)
        timer.cancel(id)
        #expect(clock.sleeperCount == 0)
        #expect(timer.pendingCount == 0)
    }

    @Test("an earlier deadline registered while the timer sleeps wakes it earlier")
    func earlierInsertRewakes() async {
        let clock = TestClock()
        let timer = DeadlineTimer(clock: clock)
        let log = FireLog()
        timer.schedule(at: .seconds(60), log.action(1))
        await clock.waitForSleepers(1)
        #expect(clock.nextDeadline == .seconds(60))
        timer.schedule(at: .seconds(5), log.action(2))
        // The sleep until 60 s is replaced by one until 5 s, never both.
        #expect(clock.nextDeadline != .seconds(60))
        await clock.waitForSleepers(1)
        #expect(clock.sleeperCount == 1)
        #expect(clock.nextDeadline == .seconds(5))
        clock.advance(to: .seconds(5))
        await log.waitFor(1)
        #expect(log.all == [2])
        await clock.waitForSleepers(1)
        #expect(clock.nextDeadline == .seconds(60))
        #expect(timer.pendingCount == 1)
    }

    @Test("a deadline already past fires at the timer's next wake-up, not inside schedule")
    func pastDeadline() async {
        let clock = TestClock(now: .seconds(10))
        let timer = DeadlineTimer(clock: clock)
        let log = FireLog()
        timer.schedule(at: .seconds(3), log.action(1))
        await log.waitFor(1)
        #expect(log.all == [1])
        #expect(timer.pendingCount == 0)
    }

    @Test("10,000 registrations cancelled leave the heap empty and no task asleep")
    func manyCancelled() async {
        let clock = TestClock()
        let timer = DeadlineTimer(clock: clock)
        let log = FireLog()
        var ids: [DeadlineTimer.ID] = []
        for index in 0..<10_000 {
            // Deadlines in a scrambled order, some equal.
            ids.append(timer.schedule(at: .seconds(60 + (index * 7_919) % 1_000), log.action(index)))
        }
        #expect(timer.pendingCount == 10_000)
        #expect(timer.earliestDeadline == .seconds(60))
        for (position, id) in ids.enumerated().shuffled() {
            #expect(timer.cancel(id), "registration \(position)")
        }
        #expect(timer.pendingCount == 0)
        #expect(timer.earliestDeadline == nil)
        #expect(clock.sleeperCount == 0)
        clock.advance(by: .seconds(3_600))
        #expect(log.all.isEmpty)
    }

    @Test("the heap gives its entries back earliest first after mixed inserts and removals")
    func heapOrder() {
        var heap = DeadlineHeap()
        var nodes: [DeadlineHeap.Node] = []
        for sequence in UInt64(0)..<500 {
            let deadline = Duration.milliseconds(Int64((sequence * 48_271) % 997))
            let node = DeadlineHeap.Node(deadline: deadline, sequence: sequence, action: {})
            heap.insert(node)
            nodes.append(node)
        }
        for node in nodes where node.sequence % 3 == 0 {
            let removed = heap.remove(node)
            #expect(removed)
            #expect(!node.isInHeap)
        }
        let again = heap.remove(nodes[0])
        #expect(!again, "a node removed once is not found again")
        let expected = nodes.filter { $0.sequence % 3 != 0 }
            .sorted { $0.deadline != $1.deadline ? $0.deadline < $1.deadline : $0.sequence < $1.sequence }
        #expect(heap.count == expected.count)
        let popped = heap.popDue(now: .seconds(1_000))
        #expect(popped.map(\.sequence) == expected.map(\.sequence))
        #expect(heap.isEmpty)
    }

    @Test("on the system clock a due registration fires from the dispatch timer, and cancelled ones never do")
    func systemClock() async {
        let timer = DeadlineTimer(clock: SystemClock.shared)
        let log = FireLog()
        let now = SystemClock.shared.now
        for tag in 0..<100 {
            let id = timer.schedule(at: now + .seconds(3_600), log.action(tag))
            #expect(timer.cancel(id))
        }
        #expect(timer.pendingCount == 0)
        await withCheckedContinuation { (fired: CheckedContinuation<Void, Never>) in
            timer.schedule(at: now) { fired.resume() }
        }
        #expect(log.all.isEmpty)
        #expect(timer.pendingCount == 0)
    }
}
