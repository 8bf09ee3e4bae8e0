import ArgumentParser
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
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
            Once listening, prints exactly one JSON line on stdout for scripts (use
            --port 0 and read the port from it), such as
            {"admin":false,"anthropic_base_url":"http://127.0.0.1:PORT",
            "host":"127.0.0.1","openai_base_url":"http://127.0.0.1:PORT/v1",
            "port":PORT,"url":"http://127.0.0.1:PORT"} (on one line). Everything
            else (the banner, logs, the stats when it stops on SIGINT or SIGTERM)
            goes to stderr.
            Endpoints: POST /v1/chat/completions, POST /v1/responses,
            POST /v1/embeddings, GET /v1/models (OpenAI, Authorization: Bearer),
            POST /v1/messages (Anthropic, x-api-key and anthropic-version).

            The admin API under /_mock/ is off unless --admin-token or the
            environment variable SLUICE_MOCK_ADMIN_TOKEN gives it a token (prefer
            the variable: a command line is visible to other users). Its requests
            need "Authorization: Bearer TOKEN": GET /_mock/health, GET /_mock/stats,
            POST /_mock/reset, GET /_mock/requests (the request journal,
            ?limit=N&since=SEQ), DELETE /_mock/requests, PUT /_mock/faults,
            POST /_mock/outcomes, PUT /_mock/limits. --journal-capacity sets how
            many requests the journal keeps (0 turns it off).

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

    @Option(help: "Turn on the admin API under /_mock/ with this bearer token (default: SLUICE_MOCK_ADMIN_TOKEN, else off).")
    var adminToken: String?

    @Option(help: "Requests the journal keeps, oldest dropped first; 0 turns it off.")
    var journalCapacity: Int = 1000

    /// The admin token: the option, else the environment variable; `nil` when neither is set.
    var resolvedAdminToken: String? {
        if let adminToken = self.adminToken { return adminToken }
        guard let value = getenv("SLUICE_MOCK_ADMIN_TOKEN") else { return nil }
        let token = String(cString: value)
        return token.isEmpty ? nil : token
    }

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
        guard (0...1_000_000).contains(self.journalCapacity) else {
            throw ValidationError("--journal-capacity must be 0...1000000")
        }
        if let adminToken = self.adminToken, adminToken.isEmpty {
            throw ValidationError("--admin-token must not be empty")
        }
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
        print(try Self.listeningLine(server))
        fflush(nil)  // scripts wait for this line
        Self.note("Mock LLM server listening on \(server.baseURL)")
        Self.note("  OpenAI base URL:    \(server.baseURL)/v1")
        Self.note("  Anthropic base URL: \(server.baseURL)  (POST /v1/messages)")
        Self.note("  Admin API:          " + (server.configuration.admin == nil ? "off" : "on, under /_mock/"))
        let signal = await Self.waitForTerminationSignal()
        Self.note("Received \(signal == SIGINT ? "SIGINT" : "SIGTERM"), shutting down")
        await server.shutdown()
        let stats = server.stats
        Self.note(
            "Served \(stats.requests) requests (\(stats.unauthorized) unauthorized, \(stats.badRequests) bad); "
                + "peak in flight \(stats.peakInFlight); \(stats.completionTokensSent) completion tokens; \(stats.disconnects) disconnects"
        )
        for (name, key) in stats.keys.sorted(by: { $0.key < $1.key }) {
            Self.note(
                "  \(name): \(key.requests) requests, \(key.rateLimited) rate-limited, \(key.faults) faults, \(key.tokensCharged) tokens charged"
                    + (key.inputTokensCharged + key.outputTokensCharged > 0
                        ? " (Anthropic: \(key.inputTokensCharged) input, \(key.outputTokensCharged) output)" : "")
                    + (key.cacheReadInputTokens + key.cacheCreationInputTokens > 0
                        ? "; cache: \(key.cacheReadInputTokens) read, \(key.cacheCreationInputTokens) written" : "")
            )
        }
        for (kind, count) in stats.faultsInjected.sorted(by: { $0.key < $1.key }) {
            Self.note("  fault \(kind): \(count)")
        }
    }

    /// The line printed on stdout once the server listens.
    struct ListeningLine: Codable, Equatable {
        var url: String
        var host: String
        var port: Int
        var openAIBaseURL: String
        var anthropicBaseURL: String
        var admin: Bool

        enum CodingKeys: String, CodingKey {
            case url, host, port, admin
            case openAIBaseURL = "openai_base_url"
            case anthropicBaseURL = "anthropic_base_url"
        }
    }

    /// The one-line JSON description of a listening server (no secret in it).
    static func listeningLine(_ server: MockLLMServer) throws -> String {
        let line = ListeningLine(
            url: server.baseURL, host: server.configuration.host, port: server.port,
            openAIBaseURL: server.baseURL + "/v1", anthropicBaseURL: server.baseURL,
            admin: server.configuration.admin != nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(line), as: UTF8.self)
    }

    /// Writes a line of prose to stderr.
    private static func note(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
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
        configuration.journal = .init(capacity: self.journalCapacity)
        configuration.admin = self.resolvedAdminToken.map { MockAdminAccess(token: $0) }
        var logger = Logger(label: "sluice.mock-server", factory: { StreamLogHandler.standardError(label: $0) })  // stdout is for the JSON line
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
        let settings = MockFault.NamedSettings(
            afterTokens: self.faultAfterTokens, stall: .seconds(self.stallSeconds),
            retryAfter: .milliseconds(self.faultRetryAfterMs), slow: .milliseconds(self.slowMs))
        var entries: [MockFaultPlan.Entry] = []
        var total = 0.0
        for entry in self.faultRates {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let probability = Double(parts[1]), (0...1).contains(probability) else {
                throw ValidationError("--fault-rate takes KIND=PROBABILITY with a probability in 0...1, got '\(entry)'")
            }
            guard let fault = MockFault.named(String(parts[0]), settings: settings) else {
                throw ValidationError("unknown fault kind '\(parts[0])'")
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
