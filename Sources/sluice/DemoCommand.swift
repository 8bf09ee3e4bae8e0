import ArgumentParser
import Sluice
import SluiceMockServer

/// `sluice demo`: a short, real exchange with the embedded mock LLM server over loopback.
///
/// It starts the mock server on 127.0.0.1 with a per-key limit, then sends through `CurlTransport`: a
/// chat completion, a streamed one printed token by token, requests past the key's limit (the server
/// answers 429 with its rate-limit headers), and a request whose header would split the request line
/// (refused with a typed error before anything is sent). No API key is needed.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a short exchange through Sluice against the embedded mock LLM server."
    )

    @Option(help: "Tokens in each mock reply.")
    var replyTokens = 12

    @Option(help: "Milliseconds between streamed tokens.")
    var tokenMilliseconds = 40

    func run() async throws {
        let demoKey = "demo-key"
        var configuration = MockServerConfiguration()
        configuration.keys = [
            MockAPIKey(name: "demo", secret: demoKey, limits: MockRateLimits(requestsPerMinute: 3, tokensPerMinute: 10_000))
        ]
        configuration.acceptsUnknownKeys = false
        configuration.replyTokens = replyTokens
        configuration.latency = MockLatency(perToken: .milliseconds(tokenMilliseconds))

        try await MockLLMServer.withRunning(configuration) { server in
            print("Mock LLM server on \(server.baseURL) (key 'demo': 3 requests/min, 10,000 tokens/min)\n")
            try await CurlTransport.withTransport { transport in
                try await Self.exchange(transport: transport, server: server, key: demoKey)
            }
            let stats = server.stats
            print("\nServer stats: \(stats.requests) requests, \(stats[key: "demo"].rateLimited) rate-limited, "
                + "\(stats[key: "demo"].tokensCharged) tokens charged, in flight now \(stats.inFlight)")
        }
    }

    static func request(_ server: MockLLMServer, key: String, prompt: String, stream: Bool) -> ClientRequest {
        let streamFields = stream ? #","stream":true,"stream_options":{"include_usage":true}"# : ""
        let body = #"{"model":"gpt-4o-mini","max_tokens":64,"messages":[{"role":"user","content":"\#(prompt)"}]\#(streamFields)}"#
        return ClientRequest(
            method: .post,
            url: server.baseURL + "/v1/chat/completions",
            headers: ["authorization": "Bearer \(key)", "content-type": "application/json"],
            body: Array(body.utf8)
        )
    }

    static func exchange(transport: CurlTransport, server: MockLLMServer, key: String) async throws {
        let clock = ContinuousClock()

        print("1. A chat completion")
        var start = clock.now
        let plain = try await transport.send(request(server, key: key, prompt: "Describe a sluice gate.", stream: false))
        let reply = try JSONValue(parsing: try await plain.body.collect(upTo: 1 << 20))
        print("   HTTP \(plain.status) in \(milliseconds(clock.now - start)) ms, "
            + "x-ratelimit-remaining-requests: \(plain.headers["x-ratelimit-remaining-requests"] ?? "-")")
        print("   reply: \(reply["choices"]?[0]?["message"]?["content"]?.stringValue ?? "")")
        print("   usage: \(reply["usage"]?.description ?? "none")\n")

        print("2. The same, streamed (server-sent events, printed as they arrive)")
        start = clock.now
        let streamed = try await transport.send(request(server, key: key, prompt: "Describe a weir.", stream: true))
        print("   HTTP \(streamed.status), head after \(milliseconds(clock.now - start)) ms\n   ", terminator: "")
        var parser = ServerSentEventParser()
        var usage = "none"
        for try await chunk in streamed.body {
            try parser.parse(chunk) { event in
                guard event.data != "[DONE]", let json = try? JSONValue(parsing: event.data) else { return }
                if let text = json["choices"]?[0]?["delta"]?["content"]?.stringValue {
                    print(text, terminator: "")
                    fflush(nil)  // flush every stream: tokens show as they arrive
                }
                if let reported = json["usage"], !reported.isNull { usage = reported.description }
            }
        }
        print("\n   done in \(milliseconds(clock.now - start)) ms; usage: \(usage)\n")

        print("3. Past the key's limit of 3 requests a minute")
        for attempt in 3...4 {
            let response = try await transport.send(request(server, key: key, prompt: "Once more.", stream: false))
            let body = try JSONValue(parsing: try await response.body.collect(upTo: 1 << 20))
            let detail = response.status == 429
                ? "retry-after-ms: \(response.headers["retry-after-ms"] ?? "-"), \(body["error"]?["code"]?.stringValue ?? "")"
                : "ok"
            print("   request \(attempt): HTTP \(response.status) (\(detail))")
        }

        print("\n4. A header value with a line break never reaches the wire")
        var bad = request(server, key: key, prompt: "Hi", stream: false)
        bad.headers.add(name: "x-note", value: "first line\r\nx-injected: yes")
        do {
            _ = try await transport.send(bad)
            print("   unexpectedly sent")
        } catch let error as SluiceError {
            print("   refused: \(error)")
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
