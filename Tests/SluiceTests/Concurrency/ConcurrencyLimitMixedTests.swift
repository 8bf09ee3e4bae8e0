import Sluice
import SluiceTesting
import Synchronization
import Testing

@Suite("ConcurrencyLimitMiddleware under mixed load", .timeLimit(.minutes(1)))
struct ConcurrencyLimitMixedTests {
    enum Operation: CaseIterable, Sendable {
        case readToEnd, discard, releaseUnread, bodyFails, transportThrows, cancelled, deadline
    }

    /// A small deterministic generator, so a failure can be reproduced.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    final class DoneCounter: Sendable {
        let count = Atomic<Int>(0)
        let deadlineFailures = Atomic<Int>(0)
        let cancellations = Atomic<Int>(0)
    }

    @Test(
        "after 1,000 mixed requests (every ending, cancellations, deadlines) no permit is leaked",
        arguments: [UInt64(1), 2, 3])
    func noLeaks(seed: UInt64) async throws {
        struct Refused: Error {}
        let clock = TestClock()
        let keys = (0..<3).map { KeyID(rawValue: "key-\($0)") }
        let limits = ConcurrencyLimits(
            maxConcurrentRequests: 6, maxConcurrentRequestsPerKey: 3, perKeyOverrides: [keys[2]: 1])
        let limiter = ConcurrencyLimitMiddleware(limits: limits, clock: clock)
        let probe = InFlightProbe()
        let transport = InMemoryTransport { request in
            await Task.yield()
            if request.url.hasSuffix("transportThrows") { throw Refused() }
            let body =
                request.url.hasSuffix("bodyFails")
                ? ResponseBody(source: FailingBodySource()) : ResponseBody(chunks: [[1], [2]])
            probe.track(body)
            return ClientResponse(status: 200, body: body)
        }

        var generator = SplitMix(state: seed)
        let plan = (0..<1_000).map { _ in
            (Operation.allCases.randomElement(using: &generator)!, keys.randomElement(using: &generator)!)
        }
        let done = DoneCounter()
        var tasks: [Task<Void, Never>] = []
        for (index, (operation, key)) in plan.enumerated() {
            let deadline: Duration? = operation == .deadline ? clock.now + .seconds(1) : nil
            let task = Task {
                defer { done.count.add(1, ordering: .relaxed) }
                do {
                    var response: ClientResponse? = try await limiter.send(
                        limiterRequest("\(index)/\(operation)"), context: limiterContext(key: key, deadline: deadline),
                        to: transport)
                    await Task.yield()
                    switch operation {
                    case .readToEnd, .bodyFails, .cancelled, .deadline:
                        _ = try await response?.body.collect(upTo: 100)
                    case .discard:
                        response?.body.discard()
                    case .releaseUnread, .transportThrows:
                        break
                    }
                    response = nil
                } catch let error as SluiceError where error.code == .permitWaitExceedsDeadline {
                    done.deadlineFailures.add(1, ordering: .relaxed)
                } catch is CancellationError {
                    done.cancellations.add(1, ordering: .relaxed)
                } catch {}
            }
            if operation == .cancelled { task.cancel() }
            tasks.append(task)
            if index.isMultiple(of: 50) { clock.advance(by: .seconds(1)) }
        }
        // Deadlines pass for whoever is still queued with one; everyone else gets through.
        await yieldUntil("every request ended") {
            clock.advance(by: .seconds(1))
            #expect(probe.active <= 6)
            return done.count.load(ordering: .relaxed) == plan.count
        }
        for task in tasks { await task.value }

        #expect(done.deadlineFailures.load(ordering: .relaxed) > 0, "some waiters ran out of time in the queue")
        #expect(done.cancellations.load(ordering: .relaxed) > 0, "some waiters were cancelled")
        #expect(limiter.gauges == ConcurrencyGauges())
        #expect(probe.active == 0)
        #expect(probe.peak <= 6)
        #expect(clock.sleeperCount == 0, "no deadline timer outlives its waiter")

        // Every permit is free: six requests over two keys go through without waiting.
        var held: [ClientResponse] = []
        for index in 0..<6 {
            held.append(
                try await limiter.send(
                    limiterRequest("after\(index)"), context: limiterContext(key: keys[index % 2]), to: transport))
        }
        #expect(limiter.gauges.inFlight == 6)
        for response in held { response.body.discard() }
    }
}
