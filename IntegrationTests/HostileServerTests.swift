import Foundation
import Sluice
import Testing

/// A hostile server on loopback: each case answers with an absurd number somewhere (a header, a
/// usage count, a length) and the client must end every call with a reply or a typed error — never
/// a trap, and never a wait past the call's deadline.
///
/// The server is a small Python program that writes each case's answer byte for byte, so nothing
/// between it and libcurl tidies the values up. A case is chosen by the first path segment of the
/// client's base URL (`http://127.0.0.1:PORT/CASE/v1`).
@Suite("Hostile server", .serialized, .timeLimit(.minutes(2)))
struct HostileServerTests {
    /// What the server answers for one case.
    struct Answer: Encodable {
        var status: Int = 200
        var headers: [[String]] = []
        var body: String = ""
        /// `Content-Length` as sent; the body's length when `nil`.
        var contentLength: String?
    }

    static let plainReply =
        #"{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":USAGE}"#

    static func openAIReply(usage: String) -> String { plainReply.replacingOccurrences(of: "USAGE", with: usage) }

    static func openAIStream(usage: String) -> String {
        #"data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},"finish_reason":null}]}"#
            + "\n\n"
            + #"data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#
            + "\n\n"
            + #"data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[],"usage":"# + usage + "}\n\n"
            + "data: [DONE]\n\n"
    }

    static func anthropicReply(usage: String) -> String {
        #"{"id":"m1","type":"message","role":"assistant","model":"c","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":"#
            + usage + "}"
    }

    static func anthropicStream(usage: String) -> String {
        func event(_ name: String, _ data: String) -> String { "event: \(name)\ndata: \(data)\n\n" }
        return event(
            "message_start",
            #"{"type":"message_start","message":{"id":"m1","type":"message","role":"assistant","content":[],"model":"c","usage":"#
                + usage + "}}")
            + event("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#)
            + event("ping", #"{"type":"ping"}"#)
            + event("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}"#)
            + event("content_block_stop", #"{"type":"content_block_stop","index":0}"#)
            + event("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":"# + usage + "}")
            + event("message_stop", #"{"type":"message_stop"}"#)
    }

    static let maxUsage =
        #"{"prompt_tokens":9223372036854775807,"completion_tokens":9223372036854775807,"total_tokens":9223372036854775807,"input_tokens":9223372036854775807,"output_tokens":9223372036854775807,"cache_read_input_tokens":9223372036854775807,"cache_creation_input_tokens":9223372036854775807}"#
    static let oddUsage =
        #"{"prompt_tokens":-5,"completion_tokens":12.9,"total_tokens":"many","input_tokens":1e300,"output_tokens":null,"cache_read_input_tokens":{"x":1}}"#

    static let sse = ["content-type", "text/event-stream"]
    static let json = ["content-type", "application/json"]

    static let cases: [String: Answer] = [
        "retry-after-huge": Answer(status: 503, headers: [json, ["retry-after", "1e300"]], body: "{}"),
        "retry-after-ms-huge": Answer(status: 503, headers: [json, ["retry-after-ms", "1e300"]], body: "{}"),
        "retry-after-digits": Answer(status: 503, headers: [json, ["retry-after", "99999999999999999999999999"]], body: "{}"),
        "retry-after-far-date": Answer(
            status: 503, headers: [json, ["retry-after", "Fri, 31 Dec 99999999999999 23:59:59 GMT"]], body: "{}"),
        "reset-huge": Answer(
            status: 429,
            headers: [
                json, ["x-ratelimit-remaining-requests", "0"], ["x-ratelimit-reset-requests", "99999999999999999999ns"],
            ],
            body: #"{"error":{"type":"requests","code":"rate_limit_exceeded","message":"slow down"}}"#),
        "anthropic-reset-far": Answer(
            status: 429,
            headers: [
                json, ["anthropic-ratelimit-requests-remaining", "0"],
                ["anthropic-ratelimit-requests-reset", "9999-12-31T23:59:59Z"],
            ],
            body: #"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#),
        "rate-limit-429-huge": Answer(
            status: 429, headers: [json, ["retry-after", "1e300"], ["x-ratelimit-remaining-requests", "0"]],
            body: #"{"error":{"type":"requests","code":"rate_limit_exceeded","message":"slow down"}}"#),
        "absurd-limits": Answer(
            headers: [
                json, ["x-ratelimit-remaining-tokens", "99999999999999999999999"],
                ["x-ratelimit-remaining-requests", "-7"], ["x-ratelimit-limit-requests", "nan"],
                ["x-ratelimit-limit-tokens", "1e300"], ["x-ratelimit-reset-tokens", "1h2m3.5s"],
                ["anthropic-ratelimit-tokens-remaining", "inf"],
            ],
            body: openAIReply(usage: #"{"prompt_tokens":3,"completion_tokens":2}"#)),
        "usage-max": Answer(headers: [json], body: openAIReply(usage: maxUsage)),
        "usage-odd": Answer(headers: [json], body: openAIReply(usage: oddUsage)),
        "stream-usage-max": Answer(headers: [sse], body: openAIStream(usage: maxUsage)),
        "anthropic-usage-max": Answer(headers: [json], body: anthropicReply(usage: maxUsage)),
        "anthropic-usage-odd": Answer(headers: [json], body: anthropicReply(usage: oddUsage)),
        "anthropic-stream-usage-max": Answer(headers: [sse], body: anthropicStream(usage: maxUsage)),
        "malformed-json": Answer(headers: [json], body: #"{"id":"c1","choices":[{"index":0,"message":{"content":"#),
        "content-length-huge": Answer(headers: [json], body: "{}", contentLength: "1000000000000"),
        "content-length-absurd": Answer(headers: [json], body: "{}", contentLength: "99999999999999999999999999"),
        "content-length-negative": Answer(headers: [json], body: "{}", contentLength: "-5"),
    ]

    /// A client for `provider` whose base URL selects `name`, with a 10 s deadline per call, rate
    /// limits on its key and a usage tracker, so every layer that reads wire numbers is in the path.
    static func withClient<Result>(
        _ provider: Provider, case name: String, server: HostileTestServer, tracker: UsageTracker = UsageTracker(),
        _ body: (LLMClient) async throws -> Result
    ) async throws -> Result {
        var configuration: LLMClient.Configuration =
            provider == .openAI
            ? .openAI(apiKey: "KEY-MARKER-hostile", baseURL: server.url("/\(name)/v1"))
            : .anthropic(apiKey: "KEY-MARKER-hostile", baseURL: server.url("/\(name)"))
        configuration.timeouts.total = .seconds(10)
        configuration.rateLimits = RateLimitMiddleware.Configuration(
            apiKey: "KEY-MARKER-hostile", limits: RateLimits(requestsPerMinute: 6_000, tokensPerMinute: 10_000_000))
        configuration.rateLimits?.safetyMargin = .none
        configuration.eventHandlers = [tracker]
        return try await withLLMClient(configuration) { client in try await body(client) }
    }

    static let request = ChatRequest(model: "m", messages: [.user("Hello")], maxOutputTokens: 16)

    /// Runs `call` and returns its error's code, or `nil` when it succeeded.
    static func code(_ call: () async throws -> Void) async -> SluiceError.Code? {
        do {
            try await call()
            return nil
        } catch let error as SluiceError {
            #expect(!error.description.contains("KEY-MARKER"))
            return error.code
        } catch {
            Issue.record("not a SluiceError: \(error)")
            return nil
        }
    }

    @Test(
        "an absurd server-directed delay fails at once with retry_delay_too_long, not a trap or a wait",
        arguments: [
            (Provider.openAI, "retry-after-huge"), (.openAI, "retry-after-ms-huge"), (.openAI, "retry-after-digits"),
            (.openAI, "retry-after-far-date"), (.openAI, "reset-huge"), (.anthropic, "anthropic-reset-far"),
        ])
    func absurdDelays(provider: Provider, name: String) async throws {
        try await withHostileServer { server in
            try await Self.withClient(provider, case: name, server: server) { client in
                let code = await Self.code { _ = try await client.chat(Self.request) }
                #expect(code == .retryDelayTooLong)
            }
        }
    }

    @Test("a 429 with an absurd retry-after cools the key for at most a minute; the next call fails at once")
    func absurdCooldown() async throws {
        try await withHostileServer { server in
            try await Self.withClient(.openAI, case: "rate-limit-429-huge", server: server) { client in
                #expect(await Self.code { _ = try await client.chat(Self.request) } == .retryDelayTooLong)
                // The key now cools down for the 60 s cap, past the 10 s deadline: the limiter says so.
                #expect(await Self.code { _ = try await client.chat(Self.request) } == .rateLimitWaitExceedsDeadline)
            }
        }
    }

    @Test("absurd rate-limit headers on a good reply are read saturating; the reply arrives")
    func absurdLimitHeaders() async throws {
        try await withHostileServer { server in
            try await Self.withClient(.openAI, case: "absurd-limits", server: server) { client in
                let reply = try await client.chat(Self.request)
                #expect(reply.text == "hi")
                #expect(reply.usage?.totalTokens == 5)
            }
        }
    }

    @Test(
        "usage counts of Int64.max or odd types: the reply arrives with clamped counts, totals and cost saturate",
        arguments: [
            (Provider.openAI, "usage-max", false), (.openAI, "usage-odd", false), (.openAI, "stream-usage-max", true),
            (.anthropic, "anthropic-usage-max", false), (.anthropic, "anthropic-usage-odd", false),
            (.anthropic, "anthropic-stream-usage-max", true),
        ])
    func hostileUsage(provider: Provider, name: String, stream: Bool) async throws {
        try await withHostileServer { server in
            let tracker = UsageTracker()
            try await Self.withClient(provider, case: name, server: server, tracker: tracker) { client in
                for _ in 0..<3 {
                    let reply =
                        stream ? try await client.streamChat(Self.request) { _ in } : try await client.chat(Self.request)
                    #expect(reply.text == "hi")
                    let usage = try #require(reply.usage)
                    #expect((0...3_000_000_000_000).contains(usage.inputTokens))
                    #expect((0...1_000_000_000_000).contains(usage.outputTokens))
                }
            }
            let totals = tracker.snapshot().totals
            #expect(totals.succeeded == 3)
            #expect(totals.inputTokens >= 0)
        }
    }

    @Test(
        "a malformed or absurd body ends in a typed error",
        arguments: [
            ("malformed-json", SluiceError.Code.decodingFailed), ("content-length-huge", .bodyTooLarge),
        ])
    func badBodies(name: String, expected: SluiceError.Code) async throws {
        try await withHostileServer { server in
            try await Self.withClient(.openAI, case: name, server: server) { client in
                #expect(await Self.code { _ = try await client.chat(Self.request) } == expected)
            }
        }
    }

    @Test("an unparseable Content-Length ends in a typed error or the reply, never a hang", arguments: ["content-length-absurd", "content-length-negative"])
    func unparseableLength(name: String) async throws {
        try await withHostileServer { server in
            try await Self.withClient(.openAI, case: name, server: server) { client in
                let code = await Self.code { _ = try await client.chat(Self.request) }
                #expect(code != .deadlineExceeded)
            }
        }
    }
}

/// Runs `body` with a hostile test server on 127.0.0.1, stopped afterwards.
func withHostileServer<Result>(_ body: (HostileTestServer) async throws -> Result) async throws -> Result {
    let server = try await HostileTestServer.start(cases: HostileServerTests.cases)
    defer { server.stop() }
    return try await body(server)
}

/// The Python server behind ``HostileServerTests``.
struct HostileTestServer: Sendable {
    let server: LoopbackPythonProcess

    var port: Int { server.port }
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }
    func stop() { server.stop() }

    static func start(cases: [String: HostileServerTests.Answer]) async throws -> HostileTestServer {
        let server = try await LoopbackPythonProcess.start(
            "hostile", script: hostileServerScript, files: ["cases.json": try JSONEncoder().encode(cases)],
            arguments: ["cases.json"])
        return HostileTestServer(server: server)
    }
}

/// Reads each request (head and Content-Length body), answers the case its first path segment
/// names byte for byte, and closes the connection. Exits when its parent (the test process) is gone.
let hostileServerScript = #"""
import json, os, socket, sys, threading

cases = json.load(open(sys.argv[2]))
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(listener.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
parent = os.getppid()

def serve(conn):
    try:
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        target = lines[0].split(" ")[1]
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            rest += chunk
        name = target.split("/")[1] if target.count("/") >= 1 else ""
        answer = cases.get(name, {"status": 404, "headers": [], "body": "no such case", "contentLength": None})
        body = answer["body"].encode()
        out = "HTTP/1.1 %d Hostile\r\n" % answer["status"]
        for header in answer["headers"]:
            out += "%s: %s\r\n" % (header[0], header[1])
        length = answer.get("contentLength")
        out += "content-length: %s\r\n" % (length if length is not None else len(body))
        out += "connection: close\r\n\r\n"
        conn.sendall(out.encode("latin-1") + body)
    except OSError:
        pass
    finally:
        conn.close()

def watch_parent():
    import time
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(0)

threading.Thread(target=watch_parent, daemon=True).start()
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""#
