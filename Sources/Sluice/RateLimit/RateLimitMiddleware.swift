import Synchronization

/// Keeps every attempt within its API key's requests and tokens per minute, over a pool of keys.
///
/// For each attempt it chooses the key that can admit the request soonest, reserves 1 request and
/// the call's ``ClientContext/tokenEstimate`` (`input + maxOutput` from the token bucket; `input` and
/// `maxOutput` from Anthropic's input and output buckets) — waiting on the clock in FIFO order when
/// the budget is not there —, sets ``ClientContext/keyID``, puts the key on the request and sends it.
/// Then it learns from the answer:
///
/// - the limits in the headers (`x-ratelimit-limit-*`, `anthropic-ratelimit-*-limit`) become the
///   key's limits in every dimension configured without one or above the provider's
///   (``Configuration/learnsLimitsFromHeaders``, on by default; each change is a `limit_learned`
///   event);
/// - rate-limit headers (`x-ratelimit-remaining-*`, `anthropic-ratelimit-*-remaining`) lower the
///   local buckets when the provider has less left than the local model thinks (never raise them);
/// - a 429 with `retry-after-ms` / `retry-after` puts the key in cooldown (at most
///   ``Configuration/maxCooldown``): every waiter pauses, and a waiter the pause would push past its
///   deadline or its maximum wait fails at once. Without either, when learning, the cooldown lasts
///   until the exhausted limit's reset (`x-ratelimit-reset-*`, `anthropic-ratelimit-*-reset`), else
///   1 s doubled with each 429 in a row (both at most ``Configuration/maxCooldown``);
/// - a 401, or a 429 `insufficient_quota`, removes the key from the ``pool`` and sends the request
///   again with another key of the pool when one is left (nothing of such an answer reaches the
///   caller; the retry policy is not involved);
/// - a non-2xx answer, or an error thrown before one, refunds the tokens (the request still counts);
/// - a 2xx answer settles when the call's ``ClientContext/usage`` completes, by the configured
///   ``RateLimitSettlementPolicy`` (or, if the body ends otherwise first, with the usage seen so far).
///
/// It fails at once, without waiting, with ``SluiceError/Code/requestTooLarge`` (the cost exceeds a
/// bucket's capacity on every key), ``SluiceError/Code/rateLimitWaitExceedsDeadline`` (the projected
/// wait passes ``ClientContext/deadline``), ``SluiceError/Code/rateLimitWouldWait`` (the
/// ``RateLimitWaitPolicy`` forbids the wait), ``SluiceError/Code/loadShed`` (the key's queue,
/// bounded by ``Configuration/queue``, is full) or ``SluiceError/Code/noUsableKeys``.
///
/// Waiting calls are admitted by ``CallOptions/priority``, then in arrival order; a call's projected
/// wait counts only the calls queued ahead of it, those of its priority or higher (see
/// <doc:LoadShedding>).
///
/// ```swift
/// let limiter = RateLimitMiddleware(
///     configuration: .init(apiKey: key, limits: RateLimits(requestsPerMinute: 500, tokensPerMinute: 200_000)),
///     adapter: OpenAIAdapter(),
///     clock: SystemClock.shared
/// )
/// ```
///
/// - Important: Place it inside the retry layer (every attempt spends budget) and outside the
///   concurrency limiter (waiting for budget holds no permit). A cancelled waiting task leaves the
///   queue and throws `CancellationError` promptly. Each reservation is settled exactly once. Its
///   mirror (`dump`) shows key ids, never secrets.
public struct RateLimitMiddleware: ClientMiddleware, CustomReflectable {
    public let configuration: Configuration
    /// The keys and which are still usable.
    public let pool: RateLimitKeyPool
    /// Where the buckets live.
    public let store: any RateLimitStore
    /// How successful calls settle.
    public let settlement: RateLimitSettlementPolicy
    let clock: any SluiceClock
    let authorize: @Sendable (inout ClientRequest, String) -> Void
    /// Reads what a response's headers say about the key's limits: the adapter's reading, or the
    /// OpenAI and Anthropic headers for a limiter made without an adapter.
    var observe: @Sendable (HTTPHeaders) -> RateLimitObservation? = { RateLimitObservation(headers: $0) }
    /// The key requests already carry when they reach the limiter (the client's own), if known: a
    /// request sent with that key needs no second authorization.
    var preauthorizedSecret: String?
    /// Whether this is the limiter a client adds only to learn its one key's limits: it leaves 401s
    /// and `insufficient_quota` to the caller (no key leaves the pool) and reports no settlement
    /// while nothing limits the key.
    var learnsOnly = false
    /// The limits learned from the provider's headers, and runs of 429s.
    let learned = LearnedRateLimits()

    /// A limiter that authorizes requests the way `adapter` does.
    public init(configuration: Configuration, adapter: any ProviderAdapter, clock: any SluiceClock = SystemClock.shared) {
        self.init(configuration: configuration, provider: adapter.provider, clock: clock) { request, key in
            adapter.authorize(&request, apiKey: key)
        }
        observe = { adapter.rateLimitObservation($0) }
    }

    /// A limiter that puts keys on requests with `authorize`.
    public init(
        configuration: Configuration,
        provider: Provider,
        clock: any SluiceClock = SystemClock.shared,
        authorize: @escaping @Sendable (inout ClientRequest, String) -> Void
    ) {
        self.configuration = configuration
        self.pool = RateLimitKeyPool(keys: configuration.keys)
        self.store = configuration.store ?? InMemoryRateLimitStore(clock: clock)
        self.settlement = configuration.settlement ?? .default(for: provider)
        self.clock = clock
        self.authorize = authorize
    }

    public nonisolated(nonsending) func intercept(
        _ request: ClientRequest,
        context: ClientContext,
        next: Next
    ) async throws -> ClientResponse {
        while true {
            let (response, keyLeft) = try await send(request, context, next: next)
            // The key answered 401 or `insufficient_quota` and left the pool. Nothing of this answer
            // reached the caller and the provider did no work: send with another key, if one is left.
            guard keyLeft, !pool.candidates(for: context.model).isEmpty else { return response }
            response.body.discard()
        }
    }

    /// A reservation made and the key it is for (its id and secret only: this is held in the async
    /// frames of the send).
    private struct Admission {
        var reservation: RateLimitReservation
        var keyID: KeyID
        var secret: String
        /// Nothing limits the key yet (its limits, learned ones included, are all unlimited).
        var unlimited: Bool
    }

    /// One admission and send; `keyLeft` when the answer took the key out of the pool.
    ///
    /// Admission and the handling of the answer run in functions of their own: this one stays on
    /// the task while the layers below send, and a task keeps the memory its deepest frames took for
    /// as long as it runs (a stream's whole life), so it holds only what the send needs.
    private nonisolated(nonsending) func send(
        _ request: ClientRequest, _ context: ClientContext, next: Next
    ) async throws -> (response: ClientResponse, keyLeft: Bool) {
        let admission = try await admit(context)
        var request = request
        if admission.secret != preauthorizedSecret { authorize(&request, admission.secret) }
        var context = context
        context.keyID = admission.keyID
        context.usage.servedBy = admission.keyID

        let response: ClientResponse
        do {
            response = try await next(request, context)
        } catch {
            settleFailed(admission.reservation, error)
            throw error
        }
        return await answered(response, admission, context: context)
    }

    /// Settles the reservation of a send that failed.
    @inline(never)
    private func settleFailed(_ reservation: RateLimitReservation, _ error: any Error) {
        // The request may have reached the provider and been counted before the failure (a
        // dropped connection, a timeout): keep the charge. Erring this way costs some throughput
        // after failures; the other way costs 429s. A refusal below (a spend budget, the
        // concurrency queue) that sent nothing says so: refund all.
        store.settle(reservation, charge: Self.wasNeverSent(error) ? .zero : reservation.cost)
    }

    /// Chooses a key and reserves its budget, waiting for it if need be (reporting the wait).
    ///
    /// Building the reservation request and checking the reservation run in synchronous functions
    /// out of line: this frame is on the send's deepest stack, whose memory a task keeps until it
    /// ends, so it holds only what lives across the reservation (the call's cost and wait policy are
    /// looked up there too).
    @inline(never)
    private nonisolated(nonsending) func admit(_ context: ClientContext) async throws -> Admission {
        let start = clock.now
        while true {
            let request = try reservationRequest(context)
            let reservation: RateLimitReservation
            do {
                reservation = try await store.reserve(request)
            } catch {
                Self.reportIfShed(error, context, priority: request.priority)
                throw error
            }
            if let admission = admission(reservation, request, context, since: start) { return admission }
        }
    }

    /// The reservation request for the keys that may serve `context`'s model now.
    @inline(never)
    private func reservationRequest(_ context: ClientContext) throws -> RateLimitReservationRequest {
        let cost = RateLimitCost(estimate: context.tokenEstimate)
        let policy = context.options.rateLimitWaitPolicy ?? configuration.waitPolicy
        let configured = pool.candidates(for: context.model)
        let candidates = configuration.learnsLimitsFromHeaders ? learned.applied(to: configured) : configured
        guard !candidates.isEmpty else { throw noUsableKeys() }
        var request = RateLimitReservationRequest(
            candidates: candidates, cost: cost, deadline: context.deadline, maxWait: policy.maxWait,
            safetyMargin: configuration.safetyMargin)
        if context.events.isEnabled {
            let events = RateLimitEventReporter(context, cost: cost)
            request.onWait = { events.waitStarted($0) }
            request.onStoreEvent = { events.storeEvent($0) }
        }
        request.priority = context.options.priority ?? .default
        request.maxWaiting = configuration.queue.maxWaiting
        return request
    }

    /// The admission `reservation` grants, reporting the end of its wait; nil (with the budget given
    /// back) when its key left the pool while the request waited, to choose again.
    @inline(never)
    private func admission(
        _ reservation: RateLimitReservation, _ request: RateLimitReservationRequest, _ context: ClientContext,
        since start: Duration
    ) -> Admission? {
        guard let key = pool.activeKey(reservation.bucket.keyID) else {
            store.settle(reservation, charge: .zero)
            return nil
        }
        if reservation.queued {
            var admitted = context
            admitted.keyID = key.id
            let waited = clock.now - start
            let tokens = request.cost.tokens
            admitted.events.emit(.rateLimitWaitEnded, admitted) { event in
                event.waited = waited
                event.tokens = tokens
            }
        }
        let unlimited = request.candidates.first { $0.bucket == reservation.bucket }?.limits.isUnlimited ?? true
        return Admission(reservation: reservation, keyID: key.id, secret: key.secret, unlimited: unlimited)
    }

    /// Learns from the answer to an admitted request and settles (or arranges to settle) its
    /// reservation.
    @inline(never)
    private nonisolated(nonsending) func answered(
        _ response: ClientResponse, _ admission: Admission, context: ClientContext
    ) async -> (response: ClientResponse, keyLeft: Bool) {
        let bucket = admission.reservation.bucket
        let learns = configuration.learnsLimitsFromHeaders
        let observation = observe(response.headers)
        if learns, let limit = observation?.limit, !limit.isEmpty {
            await learn(limit, on: bucket, context: context)
        }
        guard (200..<300).contains(response.status) else {
            return await refused(response, admission, observation, context: context)
        }
        if learns { learned.accepted(bucket) }
        var corrected = false
        if let observation { corrected = await sync(admission.reservation, observation, context: context) }
        settleLater(response, admission, context: context, corrected: corrected)
        return (response, false)
    }

    /// A non-2xx answer: settles now, corrects the buckets, and for a 429 or 401 pauses the key or
    /// takes it out of the pool.
    @inline(never)
    private nonisolated(nonsending) func refused(
        _ response: ClientResponse, _ admission: Admission, _ observation: RateLimitObservation?,
        context: ClientContext
    ) async -> (response: ClientResponse, keyLeft: Bool) {
        var response = response
        let reservation = admission.reservation
        let keyID = admission.keyID
        // A 429 was refused at admission, so its tokens were not charged: refund them first, then
        // correct. Any other failure may have been admitted and counted: keep the charge.
        store.settle(reservation, charge: response.status == 429 ? reservation.cost.requestOnly : reservation.cost)
        if let observation { await sync(reservation, observation, context: context) }
        if response.status == 429 {
            let learns = configuration.learnsLimitsFromHeaders
            if let cooldown = cooldown(after: observation, on: reservation.bucket, learns: learns) {
                await startCooldown(reservation.bucket, for: cooldown, context: context)
            }
            if !learnsOnly { response = await inspectQuota(response, keyID: keyID, context: context) }
        } else if response.status == 401, !learnsOnly {
            removeKey(keyID, reason: .authenticationFailed, context: context)
        }
        let keyLeft = (response.status == 401 || response.status == 429) && pool.activeKey(keyID) == nil
        return (response, keyLeft)
    }

    /// A 2xx answer settles when the call's usage completes, or with the usage seen so far if the
    /// body ends otherwise first.
    @inline(never)
    private func settleLater(_ response: ClientResponse, _ admission: Admission, context: ClientContext, corrected: Bool) {
        // One object for both callbacks: a closure capturing a single reference needs no context of its own.
        // A key nothing limits yet settles silently under a client's learning-only limiter.
        let silent = learnsOnly && admission.unlimited
        let settler = Settler(
            store: store, reservation: admission.reservation, estimate: context.tokenEstimate, policy: settlement,
            context: silent ? nil : context, corrected: corrected)
        context.usage.onComplete { usage in settler.settleReporting(usage) }
        response.body.onTermination { termination in
            if case .finished = termination { return }
            settler.settleWithLatestUsage()
        }
    }

    /// The error for a pool with no key left (built out of line: an error's room is not part of the
    /// async frames).
    @inline(never)
    private func noUsableKeys() -> any Error {
        SluiceError(.noUsableKeys, "every API key was removed from the pool: \(Self.describe(pool.removedKeys))")
    }

    /// Emits `load_shed` when `error` is the store's refusal of a full queue.
    @inline(never)
    private static func reportIfShed(_ error: any Error, _ context: ClientContext, priority: CallPriority) {
        guard let error = error as? SluiceError, error.code == .loadShed else { return }
        context.events.emitLoadShed(context, error, queue: "rate_limit", priority: priority)
    }

    /// Whether `error` says the request was refused below before anything was sent.
    @inline(never)
    private static func wasNeverSent(_ error: any Error) -> Bool {
        (error as? SluiceError)?.neverSent ?? false
    }

    /// Pauses the bucket for `duration` and reports `cooldown_started` now and `cooldown_ended` when
    /// it is over (from a task that sleeps on the clock: one per 429 with a delay, only when someone
    /// listens).
    @inline(never)
    private nonisolated(nonsending) func startCooldown(
        _ bucket: RateLimitBucketID, for duration: Duration, context: ClientContext
    ) async {
        let until = clock.now + duration
        await store.cooldown(bucket, until: until)
        context.events.emit(.cooldownStarted, context) { $0.delay = duration }
        guard context.events.isEnabled else { return }
        let clock = self.clock
        Task {
            try? await clock.sleep(until: until)
            context.events.emit(.cooldownEnded, context) { $0.delay = duration }
        }
    }

    /// How long a 429 pauses the key: its `retry-after`; else, when learning, until the exhausted
    /// limit's reset, else a backoff that doubles with each 429 in a row; at most
    /// ``Configuration/maxCooldown``. `nil` for no pause.
    private func cooldown(after observation: RateLimitObservation?, on bucket: RateLimitBucketID, learns: Bool) -> Duration? {
        let rejections = learns ? learned.rejected(bucket) : 0
        let delay: Duration
        if let retryAfter = observation?.retryAfter, retryAfter > .zero {
            delay = retryAfter
        } else if !learns {
            return nil
        } else if let reset = observation?.reset, reset > .zero {
            delay = reset
        } else {
            delay = LearnedRateLimits.backoff(after: rejections, cap: configuration.maxCooldown)
        }
        let capped = min(delay, configuration.maxCooldown)
        return capped > .zero ? capped : nil
    }

    /// Applies the limits an answer gave to `bucket`'s set: in the store at once (before the same
    /// answer's remaining counts correct it), and for every request after; emits `limit_learned` for
    /// each dimension whose limit in force changed.
    @inline(never)
    private nonisolated(nonsending) func learn(
        _ limit: RateLimitObservation.Remaining, on bucket: RateLimitBucketID, context: ClientContext
    ) async {
        guard let configured = pool.candidates(for: context.model).first(where: { $0.bucket == bucket }) else { return }
        let (candidate, changes) = learned.record(limit, for: configured)
        guard !changes.isEmpty else { return }
        await store.adopt(candidate, safetyMargin: configuration.safetyMargin)
        for change in changes {
            context.events.emit(.limitLearned, context) { event in
                event.reason = change.dimension.rawValue
                event.limit = change.limit
                event.text = change.previous.map { "was \($0) per minute" } ?? "was unlimited"
            }
        }
    }

    @discardableResult
    @inline(never)
    private nonisolated(nonsending) func sync(
        _ reservation: RateLimitReservation, _ observation: RateLimitObservation, context: ClientContext
    ) async -> Bool {
        guard !observation.remaining.isEmpty else { return false }
        guard await store.sync(reservation, with: observation) else { return false }
        context.events.emit(.rateLimitCorrected, context)
        return true
    }

    /// Reads a 429's body (error bodies are small) for `insufficient_quota`, removing the key if so,
    /// and returns the response with the same bytes for the layers above.
    @inline(never)
    private nonisolated(nonsending) func inspectQuota(_ response: ClientResponse, keyID: KeyID, context: ClientContext) async -> ClientResponse {
        var response = response
        let bytes: [UInt8]
        do {
            bytes = try await response.body.collect(upTo: 1 << 16)
        } catch {
            response.body = .empty
            return response
        }
        response.body = ResponseBody(bytes: bytes)
        if Self.contains(bytes, Self.insufficientQuota) { removeKey(keyID, reason: .insufficientQuota, context: context) }
        return response
    }

    private func removeKey(_ id: KeyID, reason: SluiceError.Code, context: ClientContext) {
        if pool.remove(id, reason: reason) {
            context.events.emit(.keyRemoved, context) { $0.reason = reason.name }
        }
    }

    private static let insufficientQuota = Array("insufficient_quota".utf8)

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }

    private static func describe(_ removed: [RateLimitKeyPool.RemovedKey]) -> String {
        removed.map { "\($0.id) (\($0.reason))" }.joined(separator: ", ")
    }
}

/// Reports what happens while a call waits for its reservation: `rate_limit_wait_started` as a wait
/// begins, with its projected length and reason, and `rate_limit_store` for what a shared store
/// reports. Made only when someone listens; one object for both callbacks, each a closure capturing
/// only it (no context of its own).
final class RateLimitEventReporter: Sendable {
    private let context: ClientContext
    private let cost: RateLimitCost

    init(_ context: ClientContext, cost: RateLimitCost) {
        self.context = context
        self.cost = cost
    }

    func waitStarted(_ notice: RateLimitWaitNotice) {
        var waiting = context
        waiting.keyID = notice.bucket.keyID
        let tokens = cost.tokens
        waiting.events.emit(.rateLimitWaitStarted, waiting) { event in
            event.delay = notice.delay
            event.reason = notice.reason.rawValue
            event.tokens = tokens
        }
    }

    func storeEvent(_ event: RateLimitStoreEvent) {
        context.events.emit(.rateLimitStore, context) { emitted in
            emitted.reason = event.kind.name
            emitted.text = event.detail
        }
    }
}

/// Settles one reservation exactly once, from whichever comes first: the usage report or a body
/// that ended without finishing.
final class Settler: Sendable {
    private let store: any RateLimitStore
    private let reservation: RateLimitReservation
    private let estimate: TokenEstimate
    private let policy: RateLimitSettlementPolicy
    /// The call's context (with the key chosen), for the usage and the `usage_settled` event.
    private let context: ClientContext?
    /// Whether the call's own reply lowered the buckets to the provider's remaining budget.
    private let corrected: Bool
    private let done = Atomic<Bool>(false)

    init(
        store: any RateLimitStore, reservation: RateLimitReservation, estimate: TokenEstimate,
        policy: RateLimitSettlementPolicy, context: ClientContext? = nil, corrected: Bool = false
    ) {
        self.store = store
        self.reservation = reservation
        self.estimate = estimate
        self.policy = policy
        self.context = context
        self.corrected = corrected
    }

    /// Settles on the first call and returns `true`; later calls do nothing and return `false`.
    @discardableResult
    func settle(_ usage: Usage?) -> Bool {
        guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        let charge = Self.charge(policy, estimate, usage, corrected: corrected)
        store.settle(reservation, charge: reservation.cost.charging(charge))
        return true
    }

    /// The policy's charge; when the call's own reply corrected the buckets, without giving back its
    /// cache reads. The provider's remaining budget counted the call as it counts it (reads left
    /// out), and the corrected bucket took that figure: giving the reads back too would credit them
    /// twice. Such a call keeps its input charge up to the reservation.
    static func charge(
        _ policy: RateLimitSettlementPolicy, _ estimate: TokenEstimate, _ usage: Usage?, corrected: Bool
    ) -> TokenCharge {
        var charge = policy.charge(estimate, usage)
        if corrected, let reads = usage?.cachedInputTokens, reads > 0, charge.input < estimate.input {
            charge.input = min(estimate.input, charge.input.saturatingAdding(reads))
        }
        return charge
    }

    /// Settles with the usage seen so far: the body ended without finishing.
    func settleWithLatestUsage() {
        settleReporting(context?.usage.latest)
    }

    /// Settles on the first call and emits `usage_settled` with `usage`.
    func settleReporting(_ usage: Usage?) {
        guard settle(usage), let context else { return }
        let reserved = estimate.total
        context.events.emit(.usageSettled, context) { event in
            event.tokens = reserved
            event.usage = usage
        }
    }
}

extension RateLimitMiddleware {
    /// The configuration, pool and settlement policy; no secret.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: ["configuration": configuration, "pool": pool, "settlement": settlement],
            displayStyle: .struct
        )
    }
}
