extension LLMRouter {
    /// A failure after a stream's first content: thrown as is, never fallen back on.
    struct CommittedStreamFailure: Error {
        let error: any Error
    }

    /// The weight of a new latency sample in the moving average.
    static let latencySmoothing = 0.3

    /// Runs `call` on the deployments in the policy's order until one succeeds or fails with a
    /// failure the router does not fall back on; see the type's documentation.
    func route<Result>(
        _ operation: ClientContext.Operation,
        model: String,
        options: CallOptions,
        _ call: (Deployment) async throws -> Result
    ) async throws -> Result {
        guard !isShuttingDown else { throw SluiceError(.shutdown, "the router is shut down") }
        let events = emitter(options)
        let callID = LLMClient.callCounter.add(1, ordering: .relaxed).newValue
        let order = candidates()
        var failures: [RoutingFailures.Failure] = []
        var lastError: SluiceError?
        for (position, index) in order.enumerated() {
            let deployment = deployments[index]
            let context = ClientContext(
                callID: callID, provider: deployment.client.provider, model: deployment.model ?? model,
                operation: operation, options: options, events: events)
            guard let admission = await admit(index, context: context) else {
                failures.append(RoutingFailures.Failure(deployment: deployment.name, error: nil))
                events.emit(.circuitSkipped, context) { event in event.deployment = deployment.name }
                continue
            }
            let started = clock.now
            do {
                let result = try await call(deployment)
                await finish(index, admission, .success, latency: clock.now - started, context: context, error: nil)
                return result
            } catch {
                let committed = error as? CommittedStreamFailure
                let thrown = committed?.error ?? error
                let typed = SluiceError.wrapping(thrown)
                let cancelled = typed.code == .cancelled || thrown is CancellationError
                let condition = FallbackCondition.classify(typed).flatMap { policy.fallbackOn.contains($0) ? $0 : nil }
                let outcome: CircuitBreaker.Outcome = cancelled ? .ignored : condition == nil ? .success : .failure
                await finish(index, admission, outcome, latency: nil, context: context, error: typed)
                guard let condition, !cancelled, committed == nil else { throw thrown }
                failures.append(RoutingFailures.Failure(deployment: deployment.name, error: typed))
                lastError = typed
                if position < order.count - 1 {
                    events.emit(.fallback, context) { event in
                        event.deployment = deployment.name
                        event.reason = condition.name
                        event.error = typed
                    }
                }
            }
            if Task.isCancelled { throw SluiceError(.cancelled, "the call was cancelled") }
        }
        let summary = RoutingFailures(failures: failures)
        guard let lastError else {
            throw SluiceError(
                .allCircuitsOpen, "every deployment's circuit is open (\(summary))", cause: summary)
        }
        throw SluiceError(
            .allDeploymentsFailed, "every deployment failed: \(summary)", status: lastError.status, cause: summary)
    }

    /// The handlers in scope for a routed call: the router's, the task scope's, the call's own.
    private func emitter(_ options: CallOptions) -> EventEmitter {
        var handlers = eventHandlers
        let scoped = TaskEventHandlers.current
        if !scoped.isEmpty { handlers += scoped }
        let own = options.eventHandlers
        if !own.isEmpty { handlers += own }
        return EventEmitter(handlers: handlers, clock: clock)
    }

    /// The deployments' indices in the order a call tries them: the strategy's choice among those
    /// whose circuit would let a call through, then the rest in order.
    func candidates() -> [Int] {
        let all = Array(deployments.indices)
        let strategy = policy.strategy
        guard strategy != .ordered, all.count > 1 else { return all }
        let draw = strategy == .weighted ? Self.unitInterval(random()) : 0
        let now = clock.now
        let chosen: Int? = state.withLock { state in
            let available = all.filter { index in
                if let shared = state.shared[index] { return now >= shared.blockedUntil }
                return state.breakers[index]?.isAvailable(at: now) ?? true
            }
            switch strategy {
            case .leastBusy:
                return available.min { state.inFlight[$0] < state.inFlight[$1] }
            case .lowestLatency:
                return available.first { state.latency[$0] == nil }
                    ?? available.min { (state.latency[$0] ?? 0) < (state.latency[$1] ?? 0) }
            case .weighted:
                let total = available.reduce(0) { $0 + deployments[$1].weight }
                var target = draw * total
                for index in available {
                    target -= deployments[index].weight
                    if target < 0 { return index }
                }
                return available.last
            case .ordered:
                return available.first
            }
        }
        guard let chosen else { return all }
        return [chosen] + all.filter { $0 != chosen }
    }

    /// `value` clamped to `0..<1` (`0` for NaN).
    static func unitInterval(_ value: Double) -> Double {
        guard value.isFinite else { return value == .infinity ? 1.0.nextDown : 0 }
        return min(max(value, 0), 1.0.nextDown)
    }

    /// How a call went through a deployment's circuit: the router's own, or a shared store's.
    enum Passage {
        case local(CircuitBreaker.Admission)
        case shared(CircuitBreakerAdmission)
    }

    /// Lets a call through deployment `index`'s circuit and counts it in flight, or returns `nil`
    /// when the circuit is open; emits `circuit_half_open` when the circuit turned half-open.
    private func admit(_ index: Int, context: ClientContext) async -> Passage? {
        if let breakerStore, let breaker = policy.circuitBreaker {
            let admission = await breakerStore.admit(deployments[index].name, policy: breaker, now: clock.now)
            let now = clock.now
            state.withLock { state in
                state.shared[index] = SharedCircuit(state: admission.state, blockedUntil: now + admission.retryAfter)
                if admission.admitted { state.inFlight[index] += 1 }
            }
            if let transition = admission.transition { report(transition, index, context: context, error: nil) }
            return admission.admitted ? .shared(admission) : nil
        }
        let now = clock.now
        var transition: CircuitState?
        let admission: CircuitBreaker.Admission? = state.withLock { state in
            var admission = CircuitBreaker.Admission.normal as CircuitBreaker.Admission?
            if state.breakers[index] != nil {
                admission = state.breakers[index]?.admit(at: now, transition: &transition)
            }
            if admission != nil { state.inFlight[index] += 1 }
            return admission
        }
        if let transition { report(transition, index, context: context, error: nil) }
        return admission.map(Passage.local)
    }

    /// Ends a call through deployment `index`: counts it out, records its outcome on the circuit and
    /// its latency (on success), and reports a circuit transition.
    private func finish(
        _ index: Int, _ passage: Passage, _ outcome: CircuitBreaker.Outcome,
        latency: Duration?, context: ClientContext, error: SluiceError?
    ) async {
        let now = clock.now
        var transition: CircuitState? = state.withLock { state in
            state.inFlight[index] -= 1
            if let latency {
                let sample = max(0, latency / .seconds(1))
                if let average = state.latency[index] {
                    state.latency[index] = average + Self.latencySmoothing * (sample - average)
                } else {
                    state.latency[index] = sample
                }
            }
            guard case .local(let admission) = passage else { return nil }
            return state.breakers[index]?.record(outcome, admission: admission, at: now)
        }
        if case .shared(let admission) = passage, let breakerStore, let breaker = policy.circuitBreaker {
            transition = await breakerStore.record(
                outcome, of: admission, deployment: deployments[index].name, policy: breaker, now: now)
            if let transition {
                let at = clock.now
                state.withLock { state in
                    state.shared[index] = SharedCircuit(
                        state: transition, blockedUntil: transition == .open ? at + breaker.openDuration : at)
                }
            }
        }
        if let transition { report(transition, index, context: context, error: error) }
    }

    private func report(_ transition: CircuitState, _ index: Int, context: ClientContext, error: SluiceError?) {
        let kind: ClientEvent.Kind =
            switch transition {
            case .open: .circuitOpened
            case .halfOpen: .circuitHalfOpen
            case .closed: .circuitClosed
            }
        let name = deployments[index].name
        context.events.emit(kind, context) { event in
            event.deployment = name
            if transition == .open { event.error = error }
        }
    }
}
