import Foundation
import Sluice
import Synchronization
import Testing

/// How streams end over a real connection (CurlTransport against a small Python server on 127.0.0.1):
/// at the provider's end marker rather than when the server closes, and never kept open by pings.
@Suite("Stream ends over loopback")
struct StreamEndTests {
    static let request = ChatRequest(model: "m", messages: [.user("hi")])

    /// Retries off, and a total deadline well below how long the server holds a connection, so that a
    /// stream that does not end on its own fails the test instead of hanging it.
    static func configuration(_ server: SSETestServer, route: String) -> LLMClient.Configuration {
        var configuration = LLMClient.Configuration.openAI(apiKey: "k", baseURL: server.url("/\(route)/v1"))
        configuration.retryPolicy = .disabled
        configuration.timeouts.total = .seconds(15)
        return configuration
    }

    @Test("after [DONE] on a connection the server keeps open, the stream ends and frees its permit and connection")
    func doneThenHeldOpen() async throws {
        try await SSETestServer.with { server in
            try await CurlTransport.withTransport { transport in
                var configuration = Self.configuration(server, route: "hold")
                let limiter = ConcurrencyLimitMiddleware(limits: ConcurrencyLimits(maxConcurrentRequests: 1))
                configuration.attemptMiddleware = [limiter]
                let client = LLMClient(configuration, transport: transport)
                let text = try await client.streamChat(Self.request) { stream in
                    for try await _ in stream {}
                    // Inside the scope, before the server has closed anything: all released already.
                    #expect(stream.isComplete)
                    #expect(limiter.inFlight == 0)
                    return stream.snapshot.text
                }
                #expect(text == "Hello")
                #expect(client.inFlightCalls == 0)
                try await curlWaitUntil { transport.activeTransferCount == 0 }
                // The body never ended, so its connection is closed, not pooled.
                try await curlWaitUntil { try await server.stats(using: transport).disconnects == 1 }
            }
        }
    }

    @Test("after [DONE] and the end of the body, the connection goes back to the pool")
    func doneThenEndReusesTheConnection() async throws {
        try await SSETestServer.with { server in
            try await CurlTransport.withTransport { transport in
                let client = LLMClient(Self.configuration(server, route: "finish"), transport: transport)
                for _ in 0..<3 {
                    #expect(try await client.streamChat(Self.request).text == "Hello")
                }
                let stats = try await server.stats(using: transport)
                #expect(stats.requests == 4)
                #expect(stats.connections == 1)
            }
        }
    }

    @Test("a server that sends only keep-alive comments after the role chunk fails with firstTokenTimeout")
    func pingsOnly() async throws {
        try await SSETestServer.with { server in
            try await CurlTransport.withTransport { transport in
                var configuration = Self.configuration(server, route: "pings")
                configuration.timeouts.firstToken = .milliseconds(400)
                configuration.timeouts.idle = .milliseconds(400)
                let client = LLMClient(configuration, transport: transport)
                let error = await #expect(throws: SluiceError.self) { _ = try await client.streamChat(Self.request) }
                #expect(error?.code == .firstTokenTimeout)
                try await curlWaitUntil { transport.activeTransferCount == 0 }
                try await curlWaitUntil { try await server.stats(using: transport).disconnects == 1 }
            }
        }
    }
}

struct SSETestServerStats: Decodable {
    var connections: Int
    var requests: Int
    var disconnects: Int
}

/// A Python HTTP/1.1 server on 127.0.0.1 that streams an OpenAI chat completion by route prefix:
/// `/hold/…` sends the reply and `[DONE]` but never ends the body (it waits for the client to close),
/// `/finish/…` ends the body after `[DONE]` and keeps the connection, `/pings/…` sends a role chunk
/// and then a keep-alive comment every 50 ms until the client closes. `/stats` counts connections,
/// requests and connections the client closed while the server held them.
final class SSETestServer: Sendable {
    private let server: LoopbackPythonProcess

    private init(server: LoopbackPythonProcess) { self.server = server }

    var port: Int { server.port }
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    func stats(using transport: CurlTransport) async throws -> SSETestServerStats {
        let response = try await transport.send(ClientRequest(url: url("/stats")))
        return try JSONDecoder().decode(
            SSETestServerStats.self, from: Data(try await response.body.collect(upTo: 4096)))
    }

    static func with(_ body: (SSETestServer) async throws -> Void) async throws {
        let server = SSETestServer(server: try await LoopbackPythonProcess.start("sse", script: sseTestServerScript))
        defer { server.server.stop() }
        try await body(server)
    }
}

private let sseTestServerScript = #"""
    import json, os, select, signal, socket, sys, threading, time

    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    parent = os.getppid()

    def watchdog():
        deadline = time.time() + 120
        while os.getppid() == parent and time.time() < deadline:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    stats = {"connections": 0, "requests": 0, "disconnects": 0}
    lock = threading.Lock()

    def bump(name):
        with lock:
            stats[name] += 1

    def read_request(conn, buf):
        while b"\r\n\r\n" not in buf:
            data = conn.recv(65536)
            if not data:
                return None, b""
            buf += data
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        target = lines[0].decode("latin-1").split(" ")[1]
        length = 0
        for line in lines[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        while len(rest) < length:
            data = conn.recv(65536)
            if not data:
                return None, b""
            rest += data
        return target, rest[length:]

    def closed_by_peer(conn, seconds, ping=None):
        end = time.time() + seconds
        while time.time() < end:
            ready, _, _ = select.select([conn], [], [], 0.05)
            if ready:
                try:
                    if not conn.recv(65536):
                        return True
                except OSError:
                    return True
            elif ping:
                try:
                    conn.sendall(ping)
                except OSError:
                    return True
        return False

    def chunk(text):
        data = text.encode()
        return b"%x\r\n" % len(data) + data + b"\r\n"

    def event(payload):
        return chunk("data: " + json.dumps(payload) + "\n\n")

    def completion(delta, usage=None):
        payload = {"id": "c1", "object": "chat.completion.chunk", "model": "m",
                   "choices": [{"index": 0, "delta": delta}] if delta is not None else []}
        if usage:
            payload["usage"] = usage
        return event(payload)

    HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    REPLY = (completion({"role": "assistant", "content": ""}) + completion({"content": "Hel"})
             + completion({"content": "lo"})
             + completion(None, {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}))
    DONE = chunk("data: [DONE]\n\n")

    def handle(conn):
        bump("connections")
        buf = b""
        try:
            while True:
                target, buf = read_request(conn, buf)
                if target is None:
                    return
                bump("requests")
                if target == "/stats":
                    with lock:
                        data = json.dumps(stats).encode()
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
                elif target.startswith("/hold/"):
                    conn.sendall(HEAD + REPLY + DONE)
                    if closed_by_peer(conn, 60):
                        bump("disconnects")
                    return
                elif target.startswith("/finish/"):
                    conn.sendall(HEAD + REPLY + DONE + b"0\r\n\r\n")
                elif target.startswith("/pings/"):
                    conn.sendall(HEAD + completion({"role": "assistant", "content": ""}))
                    if closed_by_peer(conn, 60, ping=chunk(": keep-alive\n\n")):
                        bump("disconnects")
                    return
                else:
                    conn.sendall(b"HTTP/1.1 404 X\r\nContent-Length: 0\r\n\r\n")
        except (OSError, ValueError, IndexError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port_file = sys.argv[1]
    with open(port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=handle, args=(conn,), daemon=True).start()
    """#
