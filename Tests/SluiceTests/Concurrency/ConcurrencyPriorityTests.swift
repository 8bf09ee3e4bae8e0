import Sluice
import SluiceTesting
import Synchronization
import Testing

@Suite("ConcurrencyLimitMiddleware priorities and load shedding", .timeLimit(.minutes(1)))
struct ConcurrencyPriorityTests {
    let keyA = KeyID(rawValue: "key-a")

    func transport() -> InMemoryTransport {
        InMemoryTransport { _ in ClientResponse(status: 200, body: ResponseBody(bytes: [1, 2, 3])) }
    }

    func context(_ priority: CallPriority?, key: KeyID? = KeyID(rawValue: "key-a"), events: EventRecorder? = nil)
        -> ClientContext
    {
        var options = CallOptions()
        options.priority = priority
        return ClientContext(
            callID: 1, provider: .openAI, model: "m", operation: .chat, keyID: key, options: options,
            events: events.map { EventEmitter(handlers: [$0], clock: TestClock()) } ?? .none)
    }

    /// A limiter enforcing `limits` with queues of at most `maxWaiting` per key.
    func bounded(_ limits: ConcurrencyLimits, maxWaiting: Int) throws -> ConcurrencyLimitMiddleware {
        var limits = limits
        limits.queue = try AdmissionQueuePolicy(maxWaiting: maxWaiting)
        return ConcurrencyLimitMiddleware(limits: limits, clock: TestClock())
    }

    /// Starts a call named `name` that records its name once sent, or `name!code` when it fails, and
    /// waits until `waiting` calls are queued.
    func start(
        _ name: String, _ priority: CallPriority?, limiter: ConcurrencyLimitMiddleware, transport: InMemoryTransport,
        order: Recorder<String>, waiting: Int, key: KeyID? = KeyID(rawValue: "key-a")
    ) async -> Task<Void, Never> {
        let task = Task {
            do {
                let response = try await limiter.send(
                    limiterRequest(name), context: context(priority, key: key), to: transport)
                order.append(name)
                _ = try await response.body.collect(upTo: 100)
            } catch let error as SluiceError {
                order.append("\(name)!\(error.code)")
            } catch {
                order.append("\(name)!cancelled")
            }
        }
        await yieldUntil("\(name) queued") { limiter.waiting == waiting }
        return task
    }

    @Test("waiters are admitted by priority, then in arrival order, across keys")
    func priorityOrder() async throws {
        let transport = transport()
        let limiter = ConcurrencyLimitMiddleware(
            limits: ConcurrencyLimits(maxConcurrentRequests: 1), clock: TestClock())
        let holder = try await limiter.send(limiterRequest("holder"), to: transport)
        let order = Recorder<String>()
        let arrivals: [(String, CallPriority?, KeyID)] = [
            ("b0", .batch, keyA), ("d0", nil, KeyID(rawValue: "key-b")), ("i0", .interactive, keyA),
            ("b1", .batch, KeyID(rawValue: "key-b")), ("i1", .interactive, KeyID(rawValue: "key-b")),
            ("d1", .default, keyA),
        ]
        var tasks: [Task<Void, Never>] = []
        for (index, (name, priority, key)) in arrivals.enumerated() {
            tasks.append(
                await start(
                    name, priority, limiter: limiter, transport: transport, order: order, waiting: index + 1, key: key))
        }
        #expect(transport.requests.count == 1)
        holder.body.discard()
        for task in tasks { await task.value }
        #expect(order.all == ["i0", "i1", "d0", "d1", "b0", "b1"])
        #expect(limiter.gauges == ConcurrencyGauges())
    }

    @Test("a full queue refuses a call of no higher priority; a higher one displaces the latest lowest waiter")
    func boundedQueue() async throws {
        let transport = transport()
        let limiter = try bounded(ConcurrencyLimits(maxConcurrentRequestsPerKey: 1), maxWaiting: 2)
        let holder = try await limiter.send(limiterRequest("holder"), to: transport)
        let order = Recorder<String>()
        let b0 = await start("b0", .batch, limiter: limiter, transport: transport, order: order, waiting: 1)
        let b1 = await start("b1", .batch, limiter: limiter, transport: transport, order: order, waiting: 2)

        let events = EventRecorder()
        let refused = await #expect(throws: SluiceError.self) {
            _ = try await limiter.send(limiterRequest("b2"), context: context(.batch, events: events), to: transport)
        }
        #expect(refused?.code == .loadShed)
        #expect(events.events.map(\.kind) == [.permitWaitStarted, .loadShed, .permitWaitEnded])
        #expect(events.events.first { $0.kind == .loadShed }?.reason == "concurrency")

        let i0 = await start("i0", .interactive, limiter: limiter, transport: transport, order: order, waiting: 2)
        await yieldUntil("b1 shed") { order.all == ["b1!load_shed"] }
        let d0 = await start("d0", .default, limiter: limiter, transport: transport, order: order, waiting: 2)
        await yieldUntil("b0 shed") { order.all == ["b1!load_shed", "b0!load_shed"] }
        let full = await #expect(throws: SluiceError.self) {
            _ = try await limiter.send(limiterRequest("d1"), context: context(.default), to: transport)
        }
        #expect(full?.code == .loadShed)
        #expect(transport.requests.count == 1, "no shed call was sent")
        holder.body.discard()
        for task in [b0, b1, i0, d0] { await task.value }
        #expect(order.all == ["b1!load_shed", "b0!load_shed", "i0", "d0"])
        #expect(limiter.gauges == ConcurrencyGauges())
    }

    @Test("a cancelled waiter leaves the bounded queue and frees its place; no permit leaks")
    func cancellationFreesPlace() async throws {
        let transport = transport()
        let limiter = try bounded(ConcurrencyLimits(maxConcurrentRequests: 1), maxWaiting: 1)
        let holder = try await limiter.send(limiterRequest("holder"), to: transport)
        let order = Recorder<String>()
        let first = await start("first", .batch, limiter: limiter, transport: transport, order: order, waiting: 1)
        first.cancel()
        await first.value
        #expect(order.all == ["first!cancelled"])
        #expect(limiter.waiting == 0)
        let second = await start("second", .batch, limiter: limiter, transport: transport, order: order, waiting: 1)
        holder.body.discard()
        await second.value
        #expect(order.all == ["first!cancelled", "second"])
        #expect(limiter.gauges == ConcurrencyGauges())
    }

    @Test("a call without a priority is admitted at once when a permit is free, and counts as default")
    func noPriorityNoCost() async throws {
        let transport = transport()
        let limiter = ConcurrencyLimitMiddleware(
            limits: ConcurrencyLimits(maxConcurrentRequests: 2), clock: TestClock())
        let response = try await limiter.send(limiterRequest("plain"), context: limiterContext(), to: transport)
        #expect(limiter.inFlight == 1)
        response.body.discard()
        #expect(limiter.gauges == ConcurrencyGauges())
    }

    @Test(
        "a call whose deadline the waiters ahead of it are projected to pass is refused at once; a higher priority is not"
    )
    func deadlineFromPosition() async throws {
        let clock = TestClock()
        let transport = transport()
        let limiter = ConcurrencyLimitMiddleware(
            limits: ConcurrencyLimits(maxConcurrentRequestsPerKey: 1), clock: clock)
        // Eight calls that hold the permit 1 s each teach the limiter the average hold.
        for index in 0..<8 {
            let response = try await limiter.send(limiterRequest("warm\(index)"), to: transport)
            clock.advance(by: .seconds(1))
            response.body.discard()
        }
        let holder = try await limiter.send(limiterRequest("holder"), to: transport)
        let order = Recorder<String>()
        let queued = await start("b0", .batch, limiter: limiter, transport: transport, order: order, waiting: 1)

        func call(_ name: String, _ priority: CallPriority, deadline: Duration) -> Task<Void, Never> {
            var context = context(priority)
            context.deadline = deadline
            return Task { [context] in
                do {
                    let response = try await limiter.send(limiterRequest(name), context: context, to: transport)
                    order.append(name)
                    response.body.discard()
                } catch let error as SluiceError {
                    order.append("\(name)!\(error.code)")
                } catch {
                    order.append("\(name)!cancelled")
                }
            }
        }
        // One batch call ahead with a limit of one: a full round, about 1 s, past a 0.5 s deadline.
        let refused = call("b1", .batch, deadline: clock.now + .milliseconds(500))
        await refused.value
        #expect(order.all == ["b1!permit_wait_exceeds_deadline"])
        #expect(limiter.waiting == 1, "refused without queueing")
        // An interactive call with the same deadline has nobody ahead of it: it queues, first.
        let interactive = call("i0", .interactive, deadline: clock.now + .milliseconds(500))
        await yieldUntil("the interactive call queued") { limiter.waiting == 2 }
        holder.body.discard()
        await interactive.value
        await queued.value
        #expect(order.all == ["b1!permit_wait_exceeds_deadline", "i0", "b0"])
        #expect(limiter.gauges == ConcurrencyGauges())
    }
}
