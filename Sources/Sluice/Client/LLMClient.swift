import Synchronization

/// The entry point: typed chat, streaming and embeddings calls to one provider.
///
/// Make one per provider and key set, share it across tasks, and shut it down when done — or use the
/// scoped form, which always does:
///
/// ```swift
/// try await withLLMClient(.openAI(apiKey: key)) { client in
///     let reply = try await client.chat(ChatRequest(model: "gpt-4o-mini", messages: [.user("Hi")]))
///     print(reply.text, reply.usage?.totalTokens ?? 0)
/// }
/// ```
///
/// `LLMClient` conforms to swift-service-lifecycle's `Service`: in a `ServiceGroup`, a graceful
/// shutdown stops new calls and lets the calls in flight finish before the transport closes.
///
/// - Important: Calls may be made from any task concurrently. After ``shutdown()`` begins, new calls
///   fail at once with ``SluiceError/Code/shutdown``; calls in flight finish first.
public final class LLMClient: Sendable {
    public let configuration: Configuration
    let transport: any ClientTransport
    let chain: MiddlewareChain
    /// The id of ``Configuration/apiKey``, computed once.
    let keyID: KeyID
    /// Where requests go and with which key, built once.
    let endpoint: ProviderEndpoint
    /// The endpoint's host and port, for telemetry.
    let server: ServerLocation?
    private let ownedTransport: CurlTransport?
    /// The concurrency limit layer, when ``Configuration/concurrency`` is set.
    private let concurrencyLimiter: ConcurrencyLimitMiddleware?
    /// What the spend budgets have counted, when ``Configuration/budgets`` is not empty.
    private let budgetLedger: SpendBudgetLedger?
    /// The source of call ids, shared with ``LLMRouter`` so that a routed call's id is unique too.
    static let callCounter = Atomic<UInt64>(0)
    private let state = Mutex(LifecycleState())

    private struct LifecycleState {
        var inFlight = 0
        var shuttingDown = false
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    /// A client with its own ``CurlTransport`` made from `configuration.transport`.
    public convenience init(_ configuration: Configuration) throws {
        let transport = try CurlTransport(configuration: configuration.transport)
        self.init(configuration, transport: transport, owning: transport)
    }

    /// A client over a transport you own (an `InMemoryTransport` in unit tests, or a shared
    /// `CurlTransport`); ``shutdown()`` does not shut it down.
    public convenience init(_ configuration: Configuration, transport: any ClientTransport) {
        self.init(configuration, transport: transport, owning: nil)
    }

    /// A client over `transport`, shutting down `owned` (the transport it made, if any) with it.
    private init(_ configuration: Configuration, transport: any ClientTransport, owning owned: CurlTransport?) {
        self.configuration = configuration
        self.transport = transport
        ownedTransport = owned
        keyID = KeyID(apiKey: configuration.apiKey)
        endpoint = configuration.endpoint
        server = ServerLocation(baseURL: configuration.endpoint.baseURL)
        concurrencyLimiter = Self.makeConcurrencyLimiter(configuration)
        let ledger =
            configuration.budgets.isEmpty
            ? nil
            : SpendBudgetLedger(
                budgets: configuration.budgets, prices: configuration.prices,
                store: configuration.budgetStore ?? InMemorySpendBudgetStore(clock: configuration.clock))
        budgetLedger = ledger
        chain = Self.makeChain(
            configuration, transport: transport, concurrencyLimiter: concurrencyLimiter, budgetLedger: ledger)
    }

    /// Requests holding or waiting for a concurrency permit, over the client and per key; `nil` when
    /// ``Configuration/concurrency`` is not set. A request holds its permit until its body ends, so
    /// with nothing in flight both counts are 0 — a gauge for metrics, and a leak check in tests.
    public var concurrencyGauges: ConcurrencyGauges? { concurrencyLimiter?.gauges }

    /// What each spend budget has spent and holds in reserve in its current window (see
    /// ``SpendBudgetStatus``), in the order of ``Configuration/budgets``; a budget of every tenant or
    /// every key has one status per tenant or key seen. Empty with no budgets. With nothing in flight
    /// every reservation is zero — a leak check in tests.
    ///
    /// Read without suspending from the default in-memory store; empty when
    /// ``Configuration/budgetStore`` is set (read ``sharedBudgetStatus()`` then).
    public var budgetStatus: [SpendBudgetStatus] { budgetLedger?.localStatus() ?? [] }

    /// What each spend budget has spent and holds in reserve in its current window, as
    /// ``Configuration/budgetStore`` counts it (across every process sharing it), in the order of
    /// ``Configuration/budgets``. Empty with no budgets.
    public func sharedBudgetStatus() async -> [SpendBudgetStatus] { await budgetLedger?.status() ?? [] }

    private static func makeConcurrencyLimiter(_ configuration: Configuration) -> ConcurrencyLimitMiddleware? {
        configuration.concurrency.map {
            ConcurrencyLimitMiddleware(limits: $0, clock: configuration.clock, store: configuration.concurrencyStore)
        }
    }

    /// The layers, outermost first:
    ///
    /// 1. ``Configuration/outerMiddleware`` (yours, once per call)
    /// 2. ``DeadlineMiddleware`` — one deadline for the whole call
    /// 3. ``RetryMiddleware`` — attempts, backoff, server delay hints, the retry budget
    /// 4. ``Configuration/attemptMiddleware`` (yours, once per attempt)
    /// 5. ``RateLimitMiddleware`` — per-key requests and tokens per minute (configured, or learned
    ///    from the provider's headers unless ``Configuration/learnsLimitsFromHeaders`` is off)
    /// 6. the spend budgets — the attempt's worst case reserved on the key the limiter chose, settled
    ///    to the real usage (when ``Configuration/budgets`` is not empty)
    /// 7. ``ConcurrencyLimitMiddleware`` — permits held until the body ends (when configured)
    /// 8. ``AttemptTimeoutMiddleware`` — head, first token, idle gap, attempt total
    /// 9. the transport (with the attempt's `attempt_started` / `response_head` events around it)
    ///
    /// Every attempt spends rate budget, so the limiter sits inside retry; waiting for rate budget
    /// must not hold a permit, so the limiter sits outside the concurrency limit.
    static func makeChain(
        _ configuration: Configuration, transport: any ClientTransport, concurrencyLimiter: ConcurrencyLimitMiddleware?,
        budgetLedger: SpendBudgetLedger? = nil
    ) -> MiddlewareChain {
        let clock = configuration.clock
        var layers: [any ClientMiddleware] = configuration.outerMiddleware
        layers.append(DeadlineMiddleware(policy: configuration.timeouts, clock: clock))
        let budget = configuration.retryBudget.map {
            RetryBudget(ratio: $0.ratio, minimumRetries: $0.minimumRetries, window: $0.window, clock: clock)
        }
        layers.append(
            RetryMiddleware(
                policy: configuration.retryPolicy,
                budget: budget,
                clock: clock,
                bufferLimit: configuration.maxResponseBytes
            )
        )
        layers += configuration.attemptMiddleware
        if let rateLimits = configuration.rateLimits {
            var limiter = RateLimitMiddleware(configuration: rateLimits, adapter: configuration.adapter, clock: clock)
            // The adapter authorizes every request with the client's key: the limiter re-authorizes
            // only when it chooses another key of its pool.
            limiter.preauthorizedSecret = configuration.apiKey
            layers.append(limiter)
        } else if configuration.learnsLimitsFromHeaders {
            // No limits configured: a limiter on the client's one key, unlimited until the
            // provider's headers say otherwise, that leaves 401s and spent quotas to the caller.
            var limiter = RateLimitMiddleware(
                configuration: RateLimitMiddleware.Configuration(apiKey: configuration.apiKey, limits: .unlimited),
                adapter: configuration.adapter, clock: clock)
            limiter.preauthorizedSecret = configuration.apiKey
            limiter.learnsOnly = true
            layers.append(limiter)
        }
        if let budgetLedger { layers.append(SpendBudgetMiddleware(ledger: budgetLedger)) }
        if let concurrencyLimiter { layers.append(concurrencyLimiter) }
        var timeouts = AttemptTimeoutMiddleware(policy: configuration.timeouts, clock: clock)
        // A transport that times the head itself on the real clock saves a task per attempt.
        timeouts.transportTimesHead = transport.enforcesResponseHeadTimeout && clock is SystemClock
        layers.append(timeouts)
        return MiddlewareChain(middleware: layers, transport: transport)
    }

    /// A fresh context for one call, with the handlers in scope: the client's, the task scope's,
    /// then the call's own.
    @inline(never)  // keeps its temporaries out of the async frame of `run`, held for a whole stream
    func makeContext(
        operation: ClientContext.Operation,
        model: String,
        estimate: TokenEstimate,
        options: CallOptions
    ) -> ClientContext {
        var handlers = configuration.eventHandlers
        let scoped = TaskEventHandlers.current
        if !scoped.isEmpty { handlers += scoped }
        let own = options.eventHandlers
        if !own.isEmpty { handlers += own }
        var options = options
        if let priority = configuration.priority, options.priority == nil { options.priority = priority }
        return ClientContext(
            callID: Self.callCounter.add(1, ordering: .relaxed).newValue,
            provider: provider,
            model: model,
            operation: operation,
            tokenEstimate: estimate,
            keyID: keyID,
            options: options,
            events: EventEmitter(handlers: handlers, clock: configuration.clock)
        )
    }

    /// Runs one call of any kind through the middleware chain, the one path every operation takes:
    ///
    /// 1. counts the call in flight (refused once shutdown has begun) and builds its context, with the
    ///    operation's kind, model and token estimate;
    /// 2. emits `request_started`;
    /// 3. encodes the request for the provider and sends it through the chain;
    /// 4. turns a non-2xx answer into the provider's typed error, or decodes the reply and hands it
    ///    to `consume`, then ends the body (a no-op for a body already read to its end);
    /// 5. completes the call's usage report and emits `request_succeeded`, or `request_cancelled`,
    ///    `timeout` and `request_failed`.
    ///
    /// A cancellation is thrown as ``SluiceError/Code/cancelled``.
    nonisolated(nonsending) func run<Operation: CallOperation, Result>(
        _ operation: Operation,
        options: CallOptions,
        consume: nonisolated(nonsending) (Operation.Reply) async throws -> Result
    ) async throws -> Result {
        try enterCall()
        defer { callEnded() }
        var context = makeContext(
            operation: operation.kind,
            model: operation.model,
            estimate: operation.tokenEstimate(configuration),
            options: options
        )
        operation.prepare(&context)
        // A closure, not the method itself: a partially applied method costs an allocation.
        let started = callStarted(context) { operation.requestDetails() }
        do {
            let request = try operation.encode(for: configuration.adapter, endpoint: endpoint)
            let response = try await send(request, context: context)
            guard (200..<300).contains(response.status) else {
                throw await providerFailure(response)
            }
            let result: Result
            let usage: Usage?
            var details: ClientEvent.ReplyDetails?
            var estimatedOutput = 0
            do {
                defer { response.body.discard() }
                let reply = try await Self.decode(operation, response, client: self, context: context, started: started)
                usage = operation.usage(of: reply)
                result = try await consume(reply)
                if context.events.isEnabled {
                    (details, estimatedOutput) = Self.describe(operation, reply, usage: usage, context: context)
                }
            }
            callSucceeded(context, usage: usage, reply: details, estimatedOutput: estimatedOutput, started: started)
            return result
        } catch {
            callFailed(context, error, started: started)
            throw Self.callError(error)
        }
    }

    /// Runs a call whose reply is the result.
    nonisolated(nonsending) func run<Operation: CallOperation>(
        _ operation: Operation,
        options: CallOptions
    ) async throws -> Operation.Reply {
        try await run(operation, options: options) { $0 }
    }

    /// `operation`'s reply to `response`, decoded out of line: what decoding needs is not part of
    /// ``run(_:options:consume:)``'s async frame, which a stream's task keeps while it runs.
    @inline(never)
    private static nonisolated(nonsending) func decode<Operation: CallOperation>(
        _ operation: Operation, _ response: ClientResponse, client: LLMClient, context: ClientContext, started: Duration
    ) async throws -> Operation.Reply {
        try await operation.decode(response, client: client, context: context, started: started)
    }

    /// What the reply says of itself for `request_succeeded`, and the client's estimate of its output
    /// when the provider reported no usage (out of line, like `decode(_:_:client:context:started:)`).
    @inline(never)
    private static func describe<Operation: CallOperation>(
        _ operation: Operation, _ reply: Operation.Reply, usage: Usage?, context: ClientContext
    ) -> (ClientEvent.ReplyDetails?, Int) {
        let details = operation.replyDetails(of: reply)
        guard usage == nil, context.usage.latest == nil else { return (details, 0) }
        return (details, operation.estimatedOutputTokens(of: reply))
    }

    /// ``providerError(_:)``, or the error reading the body, boxed: out of line, so that the error's
    /// room is not part of ``run(_:options:consume:)``'s async frame (a task keeps the memory its
    /// deepest frames took for as long as it runs, a stream's whole life).
    @inline(never)
    nonisolated(nonsending) func providerFailure(_ response: ClientResponse) async -> any Error {
        do {
            return try await providerError(response)
        } catch {
            return error
        }
    }

    /// Emits `request_started` with the request's details and the server it goes to; returns the
    /// start time for the latency (zero with no handler).
    @inline(never)  // keeps its temporaries out of the async frame of `run`, held for a whole stream
    func callStarted(
        _ context: ClientContext, details: () -> ClientEvent.RequestDetails = { ClientEvent.RequestDetails() }
    ) -> Duration {
        guard context.events.isEnabled else { return .zero }
        let started = configuration.clock.now
        var request = details()
        request.serverAddress = server?.address
        request.serverPort = server?.port
        context.events.emit(.requestStarted, context) { $0.request = request }
        return started
    }

    /// Completes the call's usage report with `usage` and emits `request_succeeded`: with the usage
    /// reported, else the client's estimate (the prompt estimate and `estimatedOutput`, flagged
    /// ``Usage/isEstimated``), never none.
    @inline(never)  // keeps its temporaries out of the async frame of `run`, held for a whole stream
    func callSucceeded(
        _ context: ClientContext, usage reported: Usage?, reply: ClientEvent.ReplyDetails? = nil,
        estimatedOutput: Int = 0, started: Duration
    ) {
        context.usage.complete(with: reported)
        guard context.events.isEnabled else { return }
        let context = Self.servedContext(context)
        context.events.emit(.requestSucceeded, context) { event in
            event.usage =
                reported ?? context.usage.latest
                ?? .estimated(input: context.tokenEstimate.input, output: estimatedOutput)
            event.latency = event.instant - started
            event.reply = reply
        }
    }

    /// Completes the call's usage report and emits `request_cancelled`, or `timeout` (for a time
    /// limit) and `request_failed`.
    @inline(never)  // keeps its temporaries out of the async frame of `run`, held for a whole stream
    func callFailed(_ context: ClientContext, _ error: any Error, started: Duration) {
        context.usage.complete(with: nil)
        guard context.events.isEnabled else { return }
        let context = Self.servedContext(context)
        let typed = SluiceError.wrapping(error)
        // A stream cut after content arrived, with no usage reported: the estimate of what it had
        // generated, so the tokens it cost are not counted as 0.
        let usage = context.usage.latest ?? typed.partialResponse.map {
            Usage.estimated(input: context.tokenEstimate.input, output: Usage.estimatedOutputTokens(of: $0))
        }
        if typed.code == .cancelled || error is CancellationError {
            context.events.emit(.requestCancelled, context) { $0.usage = usage }
        } else {
            if let phase = TimeoutPhase.phase(of: typed.code) {
                context.events.emit(.timeout, context) { $0.phase = phase }
            }
            context.events.emit(.requestFailed, context) { event in
                event.error = typed
                event.usage = usage
                event.latency = event.instant - started
            }
        }
    }

    /// `context` naming the key that served the call (a pool may have chosen another than the
    /// client's own), for the call-level events emitted after the attempts.
    static func servedContext(_ context: ClientContext) -> ClientContext {
        guard context.events.isEnabled, let served = context.usage.servedBy, served != context.keyID else {
            return context
        }
        var context = context
        context.keyID = served
        return context
    }

    /// The provider this client speaks to.
    public var provider: Provider { configuration.adapter.provider }

    // MARK: Calls

    /// Sends a chat request and returns the whole reply.
    ///
    /// Throws a ``SluiceError``: the provider's error (``SluiceError/Code/rateLimited``,
    /// ``SluiceError/Code/badRequest``, … with ``SluiceError/providerError`` and
    /// ``SluiceError/requestID``), a transport error, or ``SluiceError/Code/decodingFailed``.
    public func chat(_ request: ChatRequest, options: CallOptions = CallOptions()) async throws -> ChatResponse {
        let defaults = configuration.defaults
        let prepared = defaults.changes(request) ? defaults.apply(to: request) : request
        return try await run(ChatOperation(request: prepared), options: options)
    }

    /// Sends a single user prompt (with an optional system prompt) to `model`, or the default model.
    public func chat(_ prompt: String, system: String? = nil, model: String? = nil) async throws -> ChatResponse {
        var messages: [ChatMessage] = []
        if let system { messages.append(.system(system)) }
        messages.append(.user(prompt))
        return try await chat(ChatRequest(model: model ?? "", messages: messages))
    }

    /// Embeds each input; vectors come back in input order.
    public func embed(_ request: EmbeddingsRequest, options: CallOptions = CallOptions()) async throws
        -> EmbeddingsResponse
    {
        var prepared = request
        if prepared.model.isEmpty, let model = configuration.defaults.model { prepared.model = model }
        return try await run(EmbeddingsOperation(request: prepared), options: options)
    }

    /// The typed error for a non-2xx response (its body read up to 1 MiB).
    ///
    /// The error keeps the status and request id whatever happens to the body: when reading it fails
    /// (the connection drops, a time limit passes, the body is cut), the part read so far is decoded,
    /// the message says the body could not be read, and the read failure is the ``SluiceError/cause``.
    /// Only a cancelled call throws its cancellation instead. The configured keys are redacted from
    /// the provider's text, whatever their shape.
    nonisolated(nonsending) func providerError(_ response: ClientResponse) async throws -> SluiceError {
        let limit = 1 << 20
        var body: [UInt8] = []
        var readFailure: SluiceError?
        do {
            for try await chunk in response.body {
                body.append(contentsOf: chunk.prefix(limit - body.count))
                if body.count == limit {
                    response.body.discard()
                    break
                }
            }
        } catch {
            if Task.isCancelled || error is CancellationError { throw error }
            let typed = SluiceError.wrapping(error)
            if typed.code == .cancelled { throw typed }
            readFailure = typed
        }
        var error = configuration.adapter.decodeError(status: response.status, headers: response.headers, body: body)
        if error.requestID == nil { error.requestID = Self.requestID(response.headers) }
        if error.status == nil { error.status = response.status }
        error.responseHead = HTTPResponseHead(response)
        if let readFailure {
            error.message += " (the error body could not be read in full: \(readFailure.code))"
            if error.cause == nil { error.cause = readFailure }
        }
        let secrets = knownSecrets
        error.message = SecretRedaction.redact(error.message, secrets: secrets)
        if let message = error.providerError?.message {
            error.providerError?.message = SecretRedaction.redact(message, secrets: secrets)
        }
        return error
    }

    /// The keys this client may send: its own and its rate limiter's pool.
    var knownSecrets: [String] {
        [configuration.apiKey] + (configuration.rateLimits?.keys.map(\.secret) ?? [])
    }

    static func requestID(_ headers: HTTPHeaders) -> String? {
        headers["x-request-id"] ?? headers["request-id"]
    }

    // MARK: Lifecycle

    /// Counts a call in flight, or throws ``SluiceError/Code/shutdown`` once shutdown has begun.
    func enterCall() throws(SluiceError) {
        let admitted = state.withLock { state in
            guard !state.shuttingDown else { return false }
            state.inFlight += 1
            return true
        }
        guard admitted else { throw SluiceError(.shutdown, "the client is shut down") }
    }

    /// What a call throws for `error`: a cancellation becomes ``SluiceError/Code/cancelled``.
    @inline(never)  // keeps its temporaries out of the async frame of `run`, held for a whole stream
    static func callError(_ error: any Error) -> any Error {
        error is CancellationError ? SluiceError(.cancelled, "the call was cancelled") : error
    }

    func callEnded() {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
            state.inFlight -= 1
            guard state.shuttingDown, state.inFlight == 0 else { return [] }
            defer { state.drained = [] }
            return state.drained
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Whether ``shutdown()`` has begun.
    public var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// How many calls are in flight (a stream counts until its scope ends).
    public var inFlightCalls: Int { state.withLock { $0.inFlight } }

    /// Stops accepting calls, waits for the calls in flight to finish, then shuts down the transport
    /// the client made (not one that was passed in). Idempotent.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state in
                state.shuttingDown = true
                if state.inFlight == 0 { return true }
                state.drained.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        await ownedTransport?.shutdown()
    }
}

/// Runs `body` with a new client and shuts the client down when `body` returns or throws.
public func withLLMClient<Result>(
    _ configuration: LLMClient.Configuration,
    _ body: (LLMClient) async throws -> Result
) async throws -> Result {
    let client = try LLMClient(configuration)
    do {
        let result = try await body(client)
        await client.shutdown()
        return result
    } catch {
        await client.shutdown()
        throw error
    }
}
