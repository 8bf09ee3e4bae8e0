import ArgumentParser
import Dispatch
import Logging
import SluiceMockServer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `sluice mock-server`: runs ``MockLLMServer`` until SIGINT or SIGTERM.
struct MockServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-server",
        abstract: "Run the mock LLM server (OpenAI-compatible and Anthropic, with per-key limits and faults).",
        discussion: """
            Prints the URL it listens on and the base URLs to give OpenAI and Anthropic clients, then
            serves until SIGINT or SIGTERM and prints its stats.
            Endpoints: POST /v1/chat/completions, POST /v1/responses, POST /v1/embeddings,
            GET /v1/models (OpenAI, Authorization: Bearer), POST /v1/messages (Anthropic, x-api-key
            and anthropic-version), GET /_mock/stats, POST /_mock/reset.

            Limits are per key: --rpm applies to both providers, --tpm to the OpenAI routes,
            --itpm and --otpm to the Anthropic route (max_tokens is reserved from --otpm at
            admission and the unused part returned when the response ends).

            Fault kinds for --fault-rate KIND=PROBABILITY: 429, 500, 502, 503, 529 (HTTP errors),
            stall, drop, malformed-json, malformed-sse, error-event, slow-first-token, slow-tokens.
            Example: sluice mock-server --port 8080 --rpm 60 --fault-rate 503=0.05 --fault-rate drop=0.01 --seed 7

            --script FILE loads scripted replies: JSON rules matched in order on path, model, key
            name, headers, a regular expression over the last user message and whether the request
            ends with a tool result, each answering with text, tool calls, usage, a finish reason,
            an HTTP error, a delay, stream chunking or a fault, in sequences ("replies" with
            "times"; the last repeats), plus a "default" reply. Queued outcomes come before rules,
            and the rate limits before both. A malformed script stops the command with
            FILE:LINE:COLUMN: reason on stderr and exit status 1. The format is in the DocC article
            "Scripting the mock server".
            --reject-unknown-models answers 404 to a model not listed with --model (repeatable;
            default gpt-4o-mini, gpt-4o, text-embedding-3-small), as OpenAI and Anthropic do.
            """
    )

    @Option(help: "Address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free port.")
    var port: Int = 0

    @Option(name: .customLong("key"), help: "A known key as NAME=SECRET (repeatable). Stats use NAME.")
    var keys: [String] = []

    @Flag(help: "Answer 401 to keys not given with --key (by default any key is accepted).")
    var rejectUnknownKeys: Bool = false

    @Option(help: "Requests per minute per key (default: unlimited).")
    var rpm: Int?

    @Option(help: "Tokens per minute per key on the OpenAI routes (default: unlimited).")
    var tpm: Int?

    @Option(help: "Anthropic input tokens per minute per key (default: unlimited).")
    var itpm: Int?

    @Option(help: "Anthropic output tokens per minute per key (default: unlimited).")
    var otpm: Int?

    @Option(help: "Request bucket capacity (default: --rpm).")
    var requestBurst: Int?

    @Option(help: "Token bucket capacity (default: --tpm).")
    var tokenBurst: Int?

    @Option(help: "Anthropic input token bucket capacity (default: --itpm).")
    var inputTokenBurst: Int?

    @Option(help: "Anthropic output token bucket capacity (default: --otpm).")
    var outputTokenBurst: Int?

    @Option(help: "Reply length in tokens (words), capped by the request's max_tokens.")
    var replyTokens: Int = 20

    @Option(help: "Anthropic prompt cache: the shortest prefix cached at a cache_control breakpoint, in tokens.")
    var cacheMinTokens: Int = 1024

    @Option(help: "Anthropic prompt cache: the most prefixes kept (expired, then least recently used, go first).")
    var cacheMaxEntries: Int = 4096

    @Option(help: "Embedding vector length when the request has no 'dimensions'.")
    var embeddingDimensions: Int = 8

    @Option(help: "Tokens per streamed content chunk.")
    var tokensPerChunk: Int = 1

    @Option(help: "Milliseconds before every response head.")
    var headLatencyMs: Int = 0

    @Option(help: "Milliseconds before a stream's first token.")
    var firstTokenMs: Int = 0

    @Option(help: "Milliseconds before each later token of a stream.")
    var tokenMs: Int = 0

    @Option(help: "Hold each reply up to this many milliseconds more, at random: replies return out of the order counted.")
    var replyJitterMs: Int = 0

    @Option(help: "Round the remaining token counts in the rate-limit headers down to this unit (Anthropic rounds).")
    var remainingUnit: Int = 1

    @Flag(help: "Handle one request at a time, in arrival order: every rate-limit report counts exactly the requests before it.")
    var inOrder = false

    @Flag(help: "Leave the rate-limit headers out of replies (the limits still hold; 429s keep retry-after).")
    var noRateLimitHeaders = false

    @Option(name: .customLong("fault-rate"), help: "Inject a fault at random as KIND=PROBABILITY (repeatable).")
    var faultRates: [String] = []

    @Option(help: "Seed of the random fault generator.")
    var seed: UInt64 = 0

    @Option(help: "Tokens sent before a stall, drop, malformed-sse or error-event fault acts.")
    var faultAfterTokens: Int = 2

    @Option(help: "Seconds a stall fault stays silent before closing the connection.")
    var stallSeconds: Int = 30

    @Option(help: "Milliseconds of retry-after / retry-after-ms sent with injected 429, 503 and 529.")
    var faultRetryAfterMs: Int = 1000

    @Option(help: "Milliseconds of a slow-first-token or slow-tokens fault.")
    var slowMs: Int = 2000

    @Option(help: "A JSON file of scripted replies (see the discussion); a malformed one exits with FILE:LINE:COLUMN.")
    var script: String?

    @Option(name: .customLong("model"), help: "A model id the server lists and knows (repeatable; replaces the defaults).")
    var models: [String] = []

    @Flag(help: "Answer 404 to a model not given with --model (or not among the defaults), like the real APIs.")
    var rejectUnknownModels = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard (0...65535).contains(self.port) else { throw ValidationError("--port must be 0...65535") }
        guard self.replyTokens >= 0 else { throw ValidationError("--reply-tokens must not be negative") }
        guard self.tokensPerChunk >= 1 else { throw ValidationError("--tokens-per-chunk must be at least 1") }
        guard self.cacheMinTokens >= 1 else { throw ValidationError("--cache-min-tokens must be at least 1") }
        guard self.cacheMaxEntries >= 1 else { throw ValidationError("--cache-max-entries must be at least 1") }
        guard self.embeddingDimensions >= 1 else { throw ValidationError("--embedding-dimensions must be at least 1") }
        for value in [
            self.rpm, self.tpm, self.itpm, self.otpm, self.requestBurst, self.tokenBurst, self.inputTokenBurst,
            self.outputTokenBurst,
        ] {
            if let value, value <= 0 { throw ValidationError("limits must be positive") }
        }
        guard self.headLatencyMs >= 0, self.firstTokenMs >= 0, self.tokenMs >= 0, self.slowMs >= 0,
            self.stallSeconds >= 0,
            self.faultAfterTokens >= 0, self.faultRetryAfterMs >= 0
        else { throw ValidationError("durations and counts must not be negative") }
        guard Logger.Level(rawValue: self.logLevel) != nil else {
            throw ValidationError("unknown --log-level '\(self.logLevel)'")
        }
        _ = try self.makeKeys(limits: .unlimited)
        _ = try self.makeFaultPlan()
    }

    func run() async throws {
        let configuration: MockServerConfiguration
        do {
            configuration = try self.makeConfiguration()
        } catch let error as MockScriptFileError {
            var standardError = StandardError()
            print(error, to: &standardError)
            throw ExitCode.failure
        }
        let server = MockLLMServer(configuration: configuration)
        try await server.start()
        print("Mock LLM server listening on \(server.baseURL)")
        print("  OpenAI base URL:    \(server.baseURL)/v1")
        print("  Anthropic base URL: \(server.baseURL)  (POST /v1/messages)")
        fflush(nil)  // flush stdout so scripts reading the URL see it at once
        let signal = await Self.waitForTerminationSignal()
        print("Received \(signal == SIGINT ? "SIGINT" : "SIGTERM"), shutting down")
        await server.shutdown()
        let stats = server.stats
        print(
            "Served \(stats.requests) requests (\(stats.unauthorized) unauthorized, \(stats.badRequests) bad); "
                + "peak in flight \(stats.peakInFlight); \(stats.completionTokensSent) completion tokens; \(stats.disconnects) disconnects"
        )
        for (name, key) in stats.keys.sorted(by: { $0.key < $1.key }) {
            print(
                "  \(name): \(key.requests) requests, \(key.rateLimited) rate-limited, \(key.faults) faults, \(key.tokensCharged) tokens charged"
                    + (key.inputTokensCharged + key.outputTokensCharged > 0
                        ? " (Anthropic: \(key.inputTokensCharged) input, \(key.outputTokensCharged) output)" : "")
                    + (key.cacheReadInputTokens + key.cacheCreationInputTokens > 0
                        ? "; cache: \(key.cacheReadInputTokens) read, \(key.cacheCreationInputTokens) written" : "")
            )
        }
        for (kind, count) in stats.faultsInjected.sorted(by: { $0.key < $1.key }) {
            print("  fault \(kind): \(count)")
        }
    }

    func makeConfiguration() throws -> MockServerConfiguration {
        let limits = MockRateLimits(
            requestsPerMinute: self.rpm, tokensPerMinute: self.tpm, inputTokensPerMinute: self.itpm,
            outputTokensPerMinute: self.otpm, requestBurst: self.requestBurst, tokenBurst: self.tokenBurst,
            inputTokenBurst: self.inputTokenBurst, outputTokenBurst: self.outputTokenBurst)
        var configuration = MockServerConfiguration()
        configuration.host = self.host
        configuration.port = self.port
        configuration.keys = try self.makeKeys(limits: limits)
        configuration.acceptsUnknownKeys = !self.rejectUnknownKeys
        configuration.defaultLimits = limits
        configuration.replyTokens = self.replyTokens
        configuration.embeddingDimensions = self.embeddingDimensions
        configuration.streaming = .init(tokensPerChunk: self.tokensPerChunk)
        configuration.promptCaching = .init(minimumTokens: self.cacheMinTokens, maxEntries: self.cacheMaxEntries)
        configuration.latency = MockLatency(
            head: .milliseconds(self.headLatencyMs), firstToken: .milliseconds(self.firstTokenMs),
            perToken: .milliseconds(self.tokenMs)
        )
        configuration.rateLimitReporting = MockRateLimitReporting(
            handling: self.inOrder ? .inOrder : .concurrent, replyJitter: .milliseconds(max(0, self.replyJitterMs)),
            remainingUnit: self.remainingUnit, sendsHeaders: !self.noRateLimitHeaders)
        configuration.faults = try self.makeFaultPlan()
        if !self.models.isEmpty { configuration.models = self.models }
        configuration.acceptsUnknownModels = !self.rejectUnknownModels
        if let path = self.script {
            configuration.script = try Self.loadScript(path: path)
        }
        var logger = Logger(label: "sluice.mock-server")
        logger.logLevel = Logger.Level(rawValue: self.logLevel) ?? .info
        configuration.logger = logger
        return configuration
    }

    /// Reads and parses the script file at `path`; a missing, unreadable or malformed one throws
    /// ``MockScriptFileError`` (`FILE:LINE:COLUMN: reason`).
    static func loadScript(path: String) throws(MockScriptFileError) -> MockScript {
        guard let bytes = Self.readFile(path, limit: MockScriptFileError.maxBytes) else {
            throw MockScriptFileError(path: path, line: 0, column: 0, reason: "cannot read the file")
        }
        do {
            return try MockScript.parse(bytes)
        } catch {
            throw MockScriptFileError(path: path, line: error.line, column: error.column, reason: error.reason)
        }
    }

    /// The file's bytes, or `nil` when it cannot be read or is longer than `limit` (then the
    /// bytes are cut at `limit + 1` so that the parser refuses the size).
    private static func readFile(_ path: String, limit: Int) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        if ferror(file) != 0 { return nil }
        return Array(bytes.prefix(limit + 1))
    }

    private func makeKeys(limits: MockRateLimits) throws -> [MockAPIKey] {
        try self.keys.map { entry in
            guard let separator = entry.firstIndex(of: "="), separator != entry.startIndex,
                entry.index(after: separator) != entry.endIndex
            else {
                throw ValidationError("--key takes NAME=SECRET")
            }
            return MockAPIKey(
                name: String(entry[..<separator]), secret: String(entry[entry.index(after: separator)...]),
                limits: limits)
        }
    }

    private func makeFaultPlan() throws -> MockFaultPlan {
        let retryAfter = MockRetryAfter.both(.milliseconds(self.faultRetryAfterMs))
        var entries: [MockFaultPlan.Entry] = []
        var total = 0.0
        for entry in self.faultRates {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let probability = Double(parts[1]), (0...1).contains(probability) else {
                throw ValidationError("--fault-rate takes KIND=PROBABILITY with a probability in 0...1, got '\(entry)'")
            }
            let fault: MockFault
            switch parts[0].lowercased() {
            case "429": fault = .rateLimited(retryAfter: retryAfter)
            case "500": fault = .serverError(500)
            case "502": fault = .serverError(502)
            case "503": fault = .serverError(503, retryAfter: retryAfter)
            case "529": fault = .overloaded(retryAfter: retryAfter)
            case "stall": fault = .stall(afterTokens: self.faultAfterTokens, duration: .seconds(self.stallSeconds))
            case "drop": fault = .dropConnection(afterTokens: self.faultAfterTokens)
            case "malformed-json": fault = .malformedJSON
            case "malformed-sse": fault = .malformedSSE(afterTokens: self.faultAfterTokens)
            case "error-event": fault = .errorEvent(afterTokens: self.faultAfterTokens)
            case "slow-first-token": fault = .firstTokenDelay(.milliseconds(self.slowMs))
            case "slow-tokens": fault = .tokenDelay(.milliseconds(self.slowMs))
            default: throw ValidationError("unknown fault kind '\(parts[0])'")
            }
            total += probability
            entries.append(.rate(probability, fault))
        }
        guard total <= 1 else { throw ValidationError("--fault-rate probabilities add up to more than 1") }
        return MockFaultPlan(seed: self.seed, entries)
    }

    /// Waits for SIGINT or SIGTERM (which stop having their default effect) and returns it.
    private static func waitForTerminationSignal() async -> Int32 {
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        let queue = DispatchQueue(label: "sluice.mock-server.signals")
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        var iterator = signals.makeAsyncIterator()
        let received = await iterator.next() ?? SIGTERM
        for source in sources { source.cancel() }
        return received
    }
}

/// A script file `sluice mock-server --script` could not load: `FILE:LINE:COLUMN: reason`.
struct MockScriptFileError: Error, CustomStringConvertible {
    /// The largest script file read.
    static let maxBytes = 4 * 1024 * 1024

    var path: String
    var line: Int
    var column: Int
    var reason: String

    var description: String { "\(self.path):\(self.line):\(self.column): \(self.reason)" }
}
