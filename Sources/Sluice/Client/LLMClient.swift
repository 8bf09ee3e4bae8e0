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
    private let ownedTransport: CurlTransport?
    private static let callCounter = Atomic<UInt64>(0)
    private let state = Mutex(LifecycleState())

    private struct LifecycleState {
        var inFlight = 0
        var shuttingDown = false
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    /// A client with its own ``CurlTransport`` made from `configuration.transport`.
    public init(_ configuration: Configuration) throws {
        self.configuration = configuration
        let transport = try CurlTransport(configuration: configuration.transport)
        self.transport = transport
        ownedTransport = transport
        keyID = KeyID(apiKey: configuration.apiKey)
        chain = Self.makeChain(configuration, transport: transport)
    }

    /// A client over a transport you own (an `InMemoryTransport` in unit tests, or a shared
    /// `CurlTransport`); ``shutdown()`` does not shut it down.
    public init(_ configuration: Configuration, transport: any ClientTransport) {
        self.configuration = configuration
        self.transport = transport
        ownedTransport = nil
        keyID = KeyID(apiKey: configuration.apiKey)
        chain = Self.makeChain(configuration, transport: transport)
    }

    /// The layers, outermost first:
    ///
    /// 1. ``Configuration/outerMiddleware`` (yours, once per call)
    /// 2. ``DeadlineMiddleware`` — one deadline for the whole call
    /// 3. ``RetryMiddleware`` — attempts, backoff, server delay hints, the retry budget
    /// 4. ``Configuration/attemptMiddleware`` (yours, once per attempt)
    /// 5. ``RateLimitMiddleware`` — per-key requests and tokens per minute (when configured)
    /// 6. ``ConcurrencyLimitMiddleware`` — permits held until the body ends (when configured)
    /// 7. ``AttemptTimeoutMiddleware`` — head, first token, idle gap, attempt total
    /// 8. the transport
    ///
    /// Every attempt spends rate budget, so the limiter sits inside retry; waiting for rate budget
    /// must not hold a permit, so the limiter sits outside the concurrency limit.
    static func makeChain(_ configuration: Configuration, transport: any ClientTransport) -> MiddlewareChain {
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
            layers.append(RateLimitMiddleware(configuration: rateLimits, adapter: configuration.adapter, clock: clock))
        }
        if let concurrency = configuration.concurrency {
            layers.append(ConcurrencyLimitMiddleware(limits: concurrency, clock: clock))
        }
        layers.append(AttemptTimeoutMiddleware(policy: configuration.timeouts, clock: clock))
        layers.append(AttemptEventsMiddleware())
        return MiddlewareChain(middleware: layers, transport: transport)
    }

    /// A fresh context for one call, with the handlers in scope: the client's, the task scope's,
    /// then the call's own.
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

    func chatContext(_ request: ChatRequest, streaming: Bool, options: CallOptions) -> ClientContext {
        makeContext(
            operation: streaming ? .streamChat : .chat,
            model: request.model,
            estimate: TokenEstimate(
                input: configuration.tokenEstimator.estimateInputTokens(request),
                maxOutput: request.maxOutputTokens ?? configuration.assumedMaxOutputTokens
            ),
            options: options
        )
    }

    /// Runs one call's work: emits `request_started`, then `request_succeeded` (with the usage),
    /// `request_failed` or `request_cancelled`, and completes the call's usage report.
    nonisolated(nonsending) func perform<Result>(
        _ context: ClientContext,
        usage: (Result) -> Usage? = { _ in nil },
        _ work: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        let started = context.events.isEnabled ? configuration.clock.now : .zero
        context.events.emit(.requestStarted, context)
        do {
            let result = try await work()
            let reported = usage(result)
            context.usage.complete(with: reported)
            let context = Self.servedContext(context)
            context.events.emit(.requestSucceeded, context) { event in
                event.usage = reported ?? context.usage.latest
                event.latency = event.instant - started
            }
            return result
        } catch {
            context.usage.complete(with: nil)
            let context = Self.servedContext(context)
            let typed = SluiceError.wrapping(error)
            if typed.code == .cancelled || error is CancellationError {
                context.events.emit(.requestCancelled, context) { $0.usage = context.usage.latest }
            } else {
                if let phase = TimeoutPhase.phase(of: typed.code) {
                    context.events.emit(.timeout, context) { $0.phase = phase }
                }
                context.events.emit(.requestFailed, context) { event in
                    event.error = typed
                    event.usage = context.usage.latest
                    event.latency = event.instant - started
                }
            }
            throw error
        }
    }

    /// `context` naming the key that served the call (a pool may have chosen another than the
    /// client's own), for the call-level events emitted after the attempts.
    static func servedContext(_ context: ClientContext) -> ClientContext {
        guard context.events.isEnabled, let served = context.usage.servedBy, served != context.keyID else { return context }
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
        try await withCall {
            let adapter = configuration.adapter
            let prepared = configuration.defaults.apply(to: request)
            let context = chatContext(prepared, streaming: false, options: options)
            return try await perform(context, usage: { $0.usage }) {
                let httpRequest = try adapter.chatRequest(prepared, stream: false, endpoint: configuration.endpoint)
                let response = try await chain.send(httpRequest, context: context)
                let body = try await successBody(response)
                var reply = try adapter.decodeChatResponse(body, headers: response.headers)
                if reply.requestID == nil { reply.requestID = Self.requestID(response.headers) }
                return reply
            }
        }
    }

    /// Sends a single user prompt (with an optional system prompt) to `model`, or the default model.
    public func chat(_ prompt: String, system: String? = nil, model: String? = nil) async throws -> ChatResponse {
        var messages: [ChatMessage] = []
        if let system { messages.append(.system(system)) }
        messages.append(.user(prompt))
        return try await chat(ChatRequest(model: model ?? "", messages: messages))
    }

    /// Embeds each input; vectors come back in input order.
    public func embed(_ request: EmbeddingsRequest, options: CallOptions = CallOptions()) async throws -> EmbeddingsResponse {
        try await withCall {
            let adapter = configuration.adapter
            var prepared = request
            if prepared.model.isEmpty, let model = configuration.defaults.model { prepared.model = model }
            let context = makeContext(
                operation: .embeddings,
                model: prepared.model,
                estimate: TokenEstimate(input: configuration.tokenEstimator.estimateInputTokens(prepared), maxOutput: 0),
                options: options
            )
            return try await perform(context, usage: { $0.usage }) {
                let httpRequest = try adapter.embeddingsRequest(prepared, endpoint: configuration.endpoint)
                let response = try await chain.send(httpRequest, context: context)
                let body = try await successBody(response)
                var reply = try adapter.decodeEmbeddingsResponse(body, headers: response.headers)
                if reply.requestID == nil { reply.requestID = Self.requestID(response.headers) }
                return reply
            }
        }
    }

    /// Reads a successful body in full, or turns a non-2xx answer into the provider's typed error.
    nonisolated(nonsending) func successBody(_ response: ClientResponse) async throws -> [UInt8] {
        guard (200..<300).contains(response.status) else {
            throw try await providerError(response)
        }
        return try await response.body.collect(upTo: configuration.maxResponseBytes)
    }

    /// The typed error for a non-2xx response (its body read up to 1 MiB).
    nonisolated(nonsending) func providerError(_ response: ClientResponse) async throws -> SluiceError {
        let body: [UInt8]
        do {
            body = try await response.body.collect(upTo: 1 << 20)
        } catch let error as SluiceError where error.code == .bodyTooLarge {
            body = []
        }
        var error = configuration.adapter.decodeError(status: response.status, headers: response.headers, body: body)
        if error.requestID == nil { error.requestID = Self.requestID(response.headers) }
        return error
    }

    static func requestID(_ headers: HTTPHeaders) -> String? {
        headers["x-request-id"] ?? headers["request-id"]
    }

    // MARK: Lifecycle

    /// Counts a call in flight for the duration of `body`, refusing it once shutdown has begun, and
    /// turns a cancellation into ``SluiceError/Code/cancelled``.
    nonisolated(nonsending) func withCall<Result>(
        _ body: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        let admitted = state.withLock { state in
            guard !state.shuttingDown else { return false }
            state.inFlight += 1
            return true
        }
        guard admitted else { throw SluiceError(.shutdown, "the client is shut down") }
        defer { callEnded() }
        do {
            return try await body()
        } catch is CancellationError {
            throw SluiceError(.cancelled, "the call was cancelled")
        }
    }

    private func callEnded() {
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
