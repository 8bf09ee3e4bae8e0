import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// An in-process mock LLM server for tests and benchmarks: OpenAI-compatible and Anthropic
/// endpoints, per-key rate limits with the provider's headers, and scripted or seeded faults.
///
/// ## Overview
///
/// Start it on a free loopback port, point any HTTP client at ``baseURL`` (OpenAI clients at
/// `baseURL + "/v1"`, Anthropic clients at `baseURL`), and assert on ``stats``. It does not
/// depend on the Sluice client library, so it works with any client.
///
/// ```swift
/// try await MockLLMServer.withRunning(MockServerConfiguration()) { server in
///     // POST \(server.baseURL)/v1/chat/completions with "Authorization: Bearer sk-test"
///     // POST \(server.baseURL)/v1/messages with "x-api-key: sk-test", "anthropic-version: 2023-06-01"
///     #expect(server.stats.requests == 1)
/// }
/// ```
///
/// ## OpenAI endpoints
///
/// - `POST /v1/chat/completions`: a `chat.completion`, or with `"stream": true` a
///   `text/event-stream` of `chat.completion.chunk` events ending with `data: [DONE]`
///   (`stream_options.include_usage` adds the usage chunk with `choices: []`).
///   The reply is ``MockReplyGenerator/words(for:tokens:)`` of the last user message,
///   ``MockServerConfiguration/replyTokens`` long, capped by `max_completion_tokens` /
///   `max_tokens` (then `finish_reason` is `"length"`), or a tool call (see Tool calls).
///   Usage follows ``MockTokenEstimator``.
/// - `POST /v1/responses`: a `response` object, or with `"stream": true` its semantic events
///   (`response.created` … `response.completed`); text, or a `function_call` item by the tool-call
///   rule, or text when the input ends with a `function_call_output`; cut at `max_output_tokens`
///   (at least 16) with status `incomplete`. See `OpenAIRoutes.responses(_:context:)`.
/// - `POST /v1/embeddings`: `input` as a string, strings, a token array or token arrays; unit
///   vectors of `dimensions` (or ``MockServerConfiguration/embeddingDimensions``) floats,
///   `encoding_format: "base64"` supported.
/// - `GET /v1/models`: ``MockServerConfiguration/models``; with an `anthropic-version` header, in
///   Anthropic's shape (`type: model`, `display_name`, `created_at`, `has_more`) and Anthropic's auth.
///
/// These need `Authorization: Bearer <key>`; a missing key, or an unknown one when
/// ``MockServerConfiguration/acceptsUnknownKeys`` is `false`, gets 401 with
/// `{"error":{...,"type":"invalid_request_error","code":"invalid_api_key"}}`. A body that is not
/// valid JSON or lacks `messages` gets 400 with an OpenAI-style error body.
///
/// ## Anthropic endpoint
///
/// - `POST /v1/messages`: a `message` (`{"id":"msg_…","type":"message","role":"assistant",
///   "model",…,"content":[{"type":"text","text":…}],"stop_reason","stop_sequence":null,"usage":
///   {"input_tokens","cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens"}}`),
///   or with `"stream": true` the named events `message_start`, `content_block_start`, `ping`,
///   `content_block_delta` (one `text_delta` per token), `content_block_stop`, `message_delta`
///   (`stop_reason` and the final `usage.output_tokens`) and `message_stop`. The reply is the
///   same generated text as on the OpenAI route, capped by `max_tokens` (then `stop_reason` is
///   `"max_tokens"`, else `"end_turn"`), or a `tool_use` block (see Tool calls). `usage.input_tokens`
///   is ``MockTokenEstimator/messagesPromptTokens(system:messageContents:toolTokens:)``.
///
/// It needs `x-api-key: <key>`: a missing or unknown one gets 401
/// `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`. A
/// missing `anthropic-version` header, a missing `model`, `max_tokens` (or one below 1) or
/// `messages`, and a body that is not valid JSON get 400 `invalid_request_error`. Responses carry
/// `request-id: req_<n>`.
///
/// With `thinking` on (`{"type":"enabled"}` or `"adaptive"`), the reply starts with a `thinking`
/// block of generated reasoning signed with a server secret (streamed at index 0 as
/// `thinking_delta`s, one `signature_delta` and `content_block_stop`; its tokens count as output),
/// and the request's assistant turns are checked as Anthropic checks them: a dropped, altered or
/// unsigned thinking block before the last `tool_use` gets Anthropic's 400 and message. A prompt
/// that contains Anthropic's test string `ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING` gets a
/// `redacted_thinking` block instead, whose `data` must come back unaltered (see `MockThinking`).
///
/// Every response also carries `x-request-id: req_<n>`.
///
/// ## Journal and admin API
///
/// Every request is kept in a bounded journal (``requests``, ``MockJournalEntry``): redacted
/// headers, the body up to a cap, the key name, the rate-limit state at admission and the outcome,
/// including how a stream ended. ``setFaults(_:)`` and ``setLimits(_:forKey:)`` switch faults and
/// limits from the next request on. With ``MockServerConfiguration/admin`` set, an admin API under
/// `/_mock/` (bearer token; health, stats, reset, the journal, faults, outcomes, limits) does the
/// same over HTTP; without it `/_mock/…` is 404. See the MockServerAdminAPI article.
///
/// ## Tool calls
///
/// When a request offers tools (`tools`), the mock answers with a call to one of them when
/// `tool_choice` forces one — Anthropic `{"type":"tool","name":…}` or `{"type":"any"}`, OpenAI
/// `{"type":"function","function":{"name":…}}` or `"required"` (the named tool, else the first) —
/// or when there is no `tool_choice` (or it is auto) and the last user message contains `weather`
/// in any case (the first tool) and the request does not end with a tool's result (so a tool loop
/// ends in a text answer). A `none` choice never calls a tool; forcing a tool that is not in
/// `tools` is a 400. The arguments are generated from the tool's schema deterministically: every
/// property of an object, keys sorted, gets the first `enum` value (or the `const`) when there is
/// one, else by type: a string is one word of ``MockReplyGenerator`` seeded with the property's
/// path (`get_weather.city`), an integer `FNV-1a(path) % 100`, a number that plus 0.5, a boolean
/// `true`, an array one item from `items`, an object its own properties. The JSON text is compact
/// with sorted keys; its ``MockTokenEstimator/textTokens(_:)`` are the output tokens.
///
/// - OpenAI: `message.tool_calls: [{"id":"call_…","type":"function","function":{"name",
///   "arguments":"<JSON text>"}}]`, `content: null`, `finish_reason: "tool_calls"`. Streamed, the
///   first chunk carries `tool_calls[0]` with `index: 0`, `id`, `type`, `function.name` and
///   `arguments: ""`, then each chunk one fragment of `arguments`, then `finish_reason: "tool_calls"`.
/// - Anthropic: `content: [{"type":"tool_use","id":"toolu_…","name",…,"input":{…}}]`,
///   `stop_reason: "tool_use"`. Streamed, `content_block_start` carries the block with `input: {}`,
///   then `input_json_delta` events carry `partial_json` fragments of the input's JSON text.
///
/// ## Limits
///
/// Chat, embeddings and messages requests pass the key's ``MockRateLimits`` (token buckets, see
/// there). OpenAI responses (200, injected errors and 429) carry, for each limited dimension,
/// `x-ratelimit-limit-requests` / `-tokens` (the per-minute limits), `x-ratelimit-remaining-*`
/// (whole units left after this request) and `x-ratelimit-reset-*` (time until the bucket is full,
/// formatted like OpenAI: `"20ms"`, `"1s"`, `"2.5s"`, `"1m30s"`, `"6m0s"`). A 429 from the limiter
/// has `retry-after` (whole seconds, rounded up), `retry-after-ms`, and a body with
/// `"type":"requests"` or `"tokens"` and `"code":"rate_limit_exceeded"`.
///
/// Anthropic responses carry `anthropic-ratelimit-requests-limit` / `-remaining` / `-reset`,
/// the same for `input-tokens` and `output-tokens`, and `anthropic-ratelimit-tokens-*` repeating
/// whichever of input and output has fewer tokens remaining. A reset is the instant the bucket is
/// full again, as an RFC 3339 UTC timestamp rounded up to the second (`2026-11-21T19:50:12Z`),
/// from ``MockServerClock/unixTime()``. Output tokens are reserved as `max_tokens` at admission and
/// the unused part is returned when the response ends, so a later response's headers show it. A
/// 429 from the limiter has `retry-after` (whole seconds) and a `rate_limit_error` body.
///
/// ## Faults
///
/// ``enqueue(_:forKey:)`` scripts the next requests' outcomes; ``MockServerConfiguration/faults``
/// injects faults at seeded random rates. See ``MockFault`` for what each does; on the Anthropic
/// route the error bodies and events take Anthropic's shapes.
///
/// ## Scripted replies
///
/// ``MockServerConfiguration/script`` (or ``addRules(_:)`` at run time) holds rules matched on
/// each chat, responses, embeddings and messages request: path, model, key name, headers, a
/// pattern over the last user message, a tool result at the end (see ``MockMatch``). The first
/// rule that matches answers (else the script's default reply) with its ``MockReply``: text sent
/// whole, tool calls in the shapes above (several: OpenAI `tool_calls` indexes 0, 1, … and one
/// Anthropic `tool_use` block each), usage, finish/stop reason, an HTTP error status in the
/// provider's error shape with its headers and message, a delay, stream chunking, or a fault; a
/// rule's `replies` answer in turn, the last one repeating. The order that decides an answer: the
/// key's limits (a 429 consumes nothing), then queued outcomes, then rules, then the default
/// reply, then random faults. A reply's usage is reported and charged to the limits.
///
/// ## Structured output and models
///
/// An OpenAI chat request with `response_format` of type `json_schema` (or a responses request
/// with `text.format` of that type) gets content made from the schema as tool arguments are made;
/// `json_object` gets `{"text":…}`; a scripted text wins. With
/// ``MockServerConfiguration/acceptsUnknownModels`` off, a model not in
/// ``MockServerConfiguration/models`` gets 404: OpenAI `{"error":{"message":"The model `X` does not
/// exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":
/// "model_not_found"}}`, Anthropic `{"type":"error","error":{"type":"not_found_error","message":
/// "model: X"}}`.
///
/// ## Connections
///
/// When a client closes its connection while the server waits (latency, pacing, a stall), the
/// server notices at once, stops the response and counts ``MockServerStats/disconnects``;
/// ``MockServerStats/inFlight`` then returns to its previous value. Because of this, a client
/// that half-closes its socket after sending a request is treated as gone.
///
/// - Important: ``start()`` and ``shutdown()`` may be called from any task, but not concurrently
///   with each other. All other members are thread-safe.
public final class MockLLMServer: Sendable {
    /// The configuration the server was created with.
    public let configuration: MockServerConfiguration

    let engine: MockServerEngine
    private let lifecycle = Mutex<Lifecycle>(.idle)

    private enum Lifecycle: Sendable {
        case idle
        case running(port: Int, task: Task<Void, any Error>?)
        case stopped
    }

    /// Creates a server; it does not listen until ``start()``.
    public init(configuration: MockServerConfiguration = MockServerConfiguration()) {
        self.configuration = configuration
        self.engine = MockServerEngine(configuration: configuration)
    }

    /// Starts a server, runs `body` with it, and shuts the server down when `body` returns or throws.
    ///
    /// ```swift
    /// let reply = try await MockLLMServer.withRunning(configuration) { server in
    ///     try await withLLMClient(.openAI(apiKey: "sk-test", baseURL: server.baseURL + "/v1")) { client in
    ///         try await client.chat("Hello", model: "gpt-4o-mini")
    ///     }
    /// }
    /// ```
    public static func withRunning<T>(
        _ configuration: MockServerConfiguration = MockServerConfiguration(),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (MockLLMServer) async throws -> T
    ) async throws -> T {
        let server = MockLLMServer(configuration: configuration)
        try await server.start()
        do {
            let result = try await body(server)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    /// Binds and starts serving; returns once the server is listening.
    ///
    /// Throws the bind error if the address cannot be used. A server starts once.
    public func start() async throws {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let application = self.makeApplication { port in
            continuation.yield(port)
            continuation.finish()
        }
        let task = Task<Void, any Error> {
            defer { continuation.finish() }
            try await application.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            // The server stopped before listening: surface why.
            try await task.value
            throw MockServerError(message: "the mock server stopped before it was listening")
        }
        let accepted = self.lifecycle.withLock { lifecycle -> Bool in
            guard case .idle = lifecycle else { return false }
            lifecycle = .running(port: port, task: task)
            return true
        }
        if !accepted {
            task.cancel()
            _ = await task.result
            throw MockServerError(message: "a mock server can only be started once")
        }
        self.configuration.logger.info("mock LLM server listening", metadata: ["url": "\(self.baseURL(port: port))"])
    }

    /// Runs the server in the calling task until the task is cancelled or, inside a
    /// swift-service-lifecycle `ServiceGroup`, until graceful shutdown.
    ///
    /// This is the shape of `Service.run()`, so `extension MockLLMServer: Service {}` makes the
    /// server a service. ``port`` and ``baseURL`` are valid once it listens. Use either ``run()``
    /// or ``start()``/``shutdown()``, not both; ``shutdown()`` does not stop ``run()``.
    public func run() async throws {
        let application = self.makeApplication { port in
            self.lifecycle.withLock { lifecycle in
                if case .idle = lifecycle {
                    lifecycle = .running(port: port, task: nil)
                }
            }
        }
        try await application.run()
    }

    /// Stops listening and closes every connection, ending streams and stalls at once. Idempotent.
    public func shutdown() async {
        let task = self.lifecycle.withLock { lifecycle -> Task<Void, any Error>? in
            defer { lifecycle = .stopped }
            if case .running(_, let task) = lifecycle { return task }
            return nil
        }
        guard let task else { return }
        task.cancel()
        _ = await task.result
    }

    /// The port the server listens on (the configured port until it has started).
    public var port: Int {
        self.lifecycle.withLock { lifecycle in
            if case .running(let port, _) = lifecycle { return port }
            return self.configuration.port
        }
    }

    /// The URL to point a client at, such as `"http://127.0.0.1:54321"` (no trailing slash; the
    /// routes are under `/v1`, so an OpenAI client takes `baseURL + "/v1"` and an Anthropic client
    /// `baseURL`).
    public var baseURL: String {
        self.baseURL(port: self.port)
    }

    private func baseURL(port: Int) -> String {
        let host = self.configuration.host.contains(":") ? "[\(self.configuration.host)]" : self.configuration.host
        return "http://\(host):\(port)"
    }

    /// A snapshot of the counters.
    public var stats: MockServerStats {
        self.engine.stats
    }

    /// Zeroes the counters (requests still in flight stay counted in ``MockServerStats/inFlight``).
    public func resetStats() {
        self.engine.resetStats()
    }

    /// Refills every key's buckets, as if no request had been made, and forgets the prompt cache.
    public func resetRateLimits() {
        self.engine.resetLimits()
    }

    /// Queues outcomes for the next admitted chat, embeddings and messages requests, consumed in order.
    ///
    /// With `keyName`, only requests made with that key consume them (the configured
    /// ``MockAPIKey/name``, or ``MockAPIKey/anonymousName(forSecret:)`` for an unknown key);
    /// a request takes the first queued outcome meant for its key or for any key. Queued
    /// outcomes take precedence over the script's rules (``MockServerConfiguration/script``,
    /// ``addRules(_:)``) and over ``MockServerConfiguration/faults``; the key's rate limits come
    /// before all of them.
    ///
    /// ```swift
    /// server.enqueue([.fault(.serverError(503)), .success])
    /// server.enqueue([.fault(.rateLimited())], forKey: "tenant-b")
    /// ```
    public func enqueue(_ outcomes: [MockOutcome], forKey keyName: String? = nil) {
        self.engine.enqueue(outcomes, keyName: keyName)
    }

    /// Queues one fault for the next admitted request (see ``enqueue(_:forKey:)``).
    public func enqueue(_ fault: MockFault, forKey keyName: String? = nil) {
        self.engine.enqueue([.fault(fault)], keyName: keyName)
    }

    /// Scripted outcomes not consumed yet.
    public var pendingOutcomes: Int {
        self.engine.pendingScriptedOutcomes
    }

    /// Drops every scripted outcome not consumed yet.
    public func clearScriptedOutcomes() {
        self.engine.clearScriptedOutcomes()
    }

    /// Appends scripted rules after the current ones (those of
    /// ``MockServerConfiguration/script``, then earlier additions); see ``MockScript`` for how a
    /// rule is chosen.
    ///
    /// ```swift
    /// server.addRules([MockRule(name: "down", match: MockMatch(key: "tenant-b"), reply: MockReply(status: 503))])
    /// ```
    public func addRules(_ rules: [MockRule]) {
        self.engine.addRules(rules)
    }

    /// Drops every rule and the default reply, the configured script's included: the server then
    /// answers as without a script. Queued outcomes (``enqueue(_:forKey:)``) stay.
    public func clearRules() {
        self.engine.clearRules()
    }

    /// The scripted rules in priority order.
    public var rules: [MockRule] {
        self.engine.rules
    }

    // MARK: Journal and run-time settings

    /// The journal: the requests received, oldest first (at most
    /// ``MockServerConfiguration/Journal/capacity``; empty when the journal is off). A request's
    /// entry appears when it arrives and is completed as it is answered.
    public var requests: [MockJournalEntry] {
        self.engine.journal?.page().entries ?? []
    }

    /// How many entries the journal dropped to stay within its capacity since the server
    /// started or the journal was last cleared.
    public var droppedRequests: Int {
        self.engine.journal?.page(limit: 0).dropped ?? 0
    }

    /// Empties the journal (sequence numbers go on from where they were).
    public func clearRequests() {
        self.engine.journal?.clear()
    }

    /// The random faults in force: ``MockServerConfiguration/faults`` until ``setFaults(_:)``.
    public var faults: MockFaultPlan {
        self.engine.faults
    }

    /// Replaces the random faults from the next request on; the generator restarts from the new
    /// plan's seed. Scripted outcomes still come first.
    public func setFaults(_ plan: MockFaultPlan) {
        self.engine.setFaults(plan)
    }

    /// Switches limits from the next request on: those of the key named `keyName` (a configured
    /// ``MockAPIKey/name`` or an ``MockAPIKey/anonymousName(forSecret:)``), or with `nil` the
    /// default limits of keys that have none of their own. A key whose limits change starts
    /// with full buckets of the new sizes.
    public func setLimits(_ limits: MockRateLimits, forKey keyName: String? = nil) {
        if let keyName {
            self.engine.setLimits(defaultLimits: nil, keys: [keyName: limits])
        } else {
            self.engine.setLimits(defaultLimits: limits, keys: [:])
        }
    }

    /// The limits in force for the key named `keyName`, or with `nil` the default limits.
    public func limits(forKey keyName: String? = nil) -> MockRateLimits {
        let limits = self.engine.limits
        guard let keyName else { return limits.defaultLimits }
        return limits.keys[keyName] ?? limits.defaultLimits
    }

    // MARK: Assembly

    /// The logger handed to the HTTP framework: its messages (including a routine error line when
    /// connections are cancelled at shutdown) only pass when the configured level is `debug` or lower.
    private var frameworkLogger: Logger {
        var logger = self.configuration.logger
        if logger.logLevel > .debug {
            logger.logLevel = .critical
        }
        return logger
    }

    private func makeApplication(
        onListening: @escaping @Sendable (Int) -> Void
    ) -> some ApplicationProtocol {
        let router = Router(context: MockRequestContext.self)
        router.add(middleware: MockRequestIDMiddleware(engine: self.engine))
        if let journal = self.engine.journal {
            router.add(
                middleware: MockJournalMiddleware(
                    journal: journal, maxRequestBodySize: self.configuration.maxRequestBodySize,
                    skipsAdminPaths: self.configuration.admin != nil))
        }
        router.add(middleware: MockBodyLimitMiddleware(engine: self.engine))
        OpenAIRoutes(engine: self.engine).register(on: router)
        AnthropicRoutes(engine: self.engine).register(on: router)
        if let access = self.configuration.admin {
            MockAdminRoutes(engine: self.engine, access: access).register(on: router)
        }
        let registry = self.engine.connections
        let fallbackPort = self.configuration.port
        return Application(
            router: router,
            server: .http1(
                configuration: HTTP1Channel.Configuration(
                    additionalChannelHandlers: [ConnectionWatchHandler(registry: registry)]
                )),
            configuration: ApplicationConfiguration(
                address: .hostname(self.configuration.host, port: self.configuration.port),
                serverName: nil,
                backlog: self.configuration.connectionBacklog
            ),
            onServerRunning: { channel in
                onListening(channel.localAddress?.port ?? fallbackPort)
            },
            logger: self.frameworkLogger
        )
    }
}

/// An error from the mock server's own lifecycle (not from a request).
public struct MockServerError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// The message.
    public var description: String { self.message }
}
