import Foundation
import Synchronization
import Testing

@testable import Sluice

/// CurlTransport against real servers on 127.0.0.1: a small Python server that answers by path (normal
/// replies, garbage, early closes, stalls) and, for TLS, the same server behind a certificate from a
/// CA made with the openssl command at test time.
@Suite("CurlTransport on loopback", .timeLimit(.minutes(2)))
struct CurlTransportTests {
    // MARK: Requests and responses

    @Test("a GET returns status, headers and body")
    func unaryGet() async throws {
        try await withCurlTestServer { server in
            try await CurlTransport.withTransport { transport in
                let response = try await transport.send(ClientRequest(url: server.url("/ok")))
                #expect(response.status == 200)
                #expect(response.headers["content-type"] == "text/plain")
                #expect(response.headers.values(for: "x-multi") == ["a", "b"])
                #expect(response.body.expectedContentLength == 5)
                let body = try await response.body.collect(upTo: 1024)
                #expect(String(decoding: body, as: UTF8.self) == "hello")
                #expect(transport.activeTransferCount == 0)
            }
        }
    }

    @Test("a POST sends its method, headers and body, without Expect or a form content type")
    func postEcho() async throws {
        try await withCurlTestServer { server in
            try await CurlTransport.withTransport { transport in
                let payload = String(repeating: "p", count: 2 * 1024 * 1024)
                var headers: HTTPHeaders = ["x-api-key": "sk-secret", "x-empty": ""]
                headers.add(name: "x-twice", value: "1")
                headers.add(name: "x-twice", value: "2")
                let response = try await transport.send(
                    ClientRequest(
                        method: .post, url: server.url("/echo?q=1"), headers: headers, body: Array(payload.utf8))
                )
                #expect(response.status == 200)
                let echo = try CurlEchoedRequest(try await response.body.collect(upTo: 8 * 1024 * 1024))
                #expect(echo.method == "POST")
                #expect(echo.target == "/echo?q=1")
                #expect(echo.body.count == payload.utf8.count)
                #expect(echo.values("x-api-key") == ["sk-secret"])
                #expect(echo.values("x-empty") == [""])
                #expect(echo.values("x-twice") == ["1", "2"])
                #expect(echo.values("expect").isEmpty)
                #expect(echo.values("content-type").isEmpty)
            }
        }
    }

    @Test("PUT, DELETE and HEAD use their methods", arguments: [HTTPMethod.put, .delete, .head, .patch])
    func otherMethods(method: HTTPMethod) async throws {
        try await withCurlTestServer { server in
            try await CurlTransport.withTransport { transport in
                let body: [UInt8]? = method == .put || method == .patch ? Array("{}".utf8) : nil
                let response = try await transport.send(
                    ClientRequest(method: method, url: server.url("/echo"), body: body))
                #expect(response.status == 200)
                let bytes = try await response.body.collect(upTo: 1 << 20)
                if method == .head {
                    #expect(bytes.isEmpty)
                    #expect(response.body.expectedContentLength == 0)
                } else {
                    let echo = try CurlEchoedRequest(bytes)
                    #expect(echo.method == method.rawValue)
                    #expect(echo.body == (body.map { String(decoding: $0, as: UTF8.self) } ?? ""))
                }
            }
        }
    }

    @Test("interim 100 and 103 heads are skipped; send returns the final head")
    func interimHeads() async throws {
        try await withCurlTestServer { server in
            try await CurlTransport.withTransport { transport in
                let response = try await transport.send(ClientRequest(url: server.url("/continue")))
                #expect(response.status == 201)
                #expect(response.headers["x-final"] == "yes")
                #expect(!response.headers.contains("link"))
                #expect(try await response.body.collect(upTo: 100) == Array("final".utf8))
            }
        }
    }

    @Test("sequential requests reuse one connection")
    func connectionReuse() async throws {
        try await withCurlTestServer { server in
            try await CurlTransport.withTransport { transport in
                for _ in 0..<5 {
                    let response = try await transport.send(ClientRequest(url: server.url("/ok")))
                    _ = try await response.body.collect(upTo: 1024)
                }
                let stats = try await server.stats(using: transport)
                #expect(stats.connections == 1)
                #expect(stats.requests == 6)
            }
        }
    }

    @Test("many concurrent requests queue for a few connections and all succeed")
    func concurrentRequestsShareConnections() async throws {
        try await withCurlTestServer { server in
            var configuration = CurlTransport.Configuration()
            configuration.connections.maxTotal = 8
            try await CurlTransport.withTransport(configuration: configuration) { transport in
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<200 {
                        group.addTask {
                            let response = try await transport.send(ClientRequest(url: server.url("/ok")))
                            _ = try await response.body.collect(upTo: 1024)
                            return response.status
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses.count == 200)
                #expect(statuses.allSatisfy { $0 == 200 })
                let stats = try await server.stats(using: transport)
                #expect(stats.connections <= 8)
                #expect(transport.activeTransferCount == 0)
            }
        }
    }

    @Test("a streamed body arrives chunk by chunk after the head")
    func streamingChunks() async throws {
        try await withCurlTestServer { server in
            try await CurlTransport.withTransport { transport in
                let response = try await transport.send(ClientRequest(url: server.url("/stream?n=5&delay=40")))
                #expect(response.status == 200)
                #expect(response.body.expectedContentLength == nil)
                var chunks: [String] = []
                for try await chunk in response.body { chunks.append(String(decoding: chunk, as: UTF8.self)) }
                #expect(chunks.joined() == (0..<5).map { "data: \($0)\n\n" }.joined())
                #expect(chunks.count >= 3)
            }
        }
    }

    @Test("a streamed request (Accept: text/event-stream) reads through the streaming receive buffer, others through the standard one")
    func receiveBuffer() async throws {
        try await withCurlTestServer { server in
            var configuration = CurlTransport.Configuration()
            configuration.receiveBuffer = .init(streaming: 1024, standard: 64 * 1024)
            try await CurlTransport.withTransport(configuration: configuration) { transport in
                let total = 512 * 1024
                for streamed in [true, false] {
                    let headers: HTTPHeaders = streamed ? ["accept": "text/event-stream"] : [:]
                    let response = try await transport.send(
                        ClientRequest(url: server.url("/bytes?n=\(total)"), headers: headers))
                    var received: [UInt8] = []
                    var largest = 0
                    for try await chunk in response.body {
                        largest = max(largest, chunk.count)
                        received.append(contentsOf: chunk)
                    }
                    #expect(received == Self.pattern(total))
                    // libcurl hands over at most one buffer's worth per write.
                    if streamed { #expect(largest <= 1024) } else { #expect(largest > 1024) }
                }
            }
        }
    }

    @Test("a slow consumer pauses the transfer at the high-water mark and loses no byte", arguments: [false, true])
    func backPressure(chunked: Bool) async throws {
        try await withCurlTestServer { server in
            var configuration = CurlTransport.Configuration()
            configuration.backPressure = .init(highWaterMark: 64 * 1024, lowWaterMark: 16 * 1024)
            try await CurlTransport.withTransport(configuration: configuration) { transport in
                let total = 8 * 1024 * 1024
                let response = try await transport.send(
                    ClientRequest(url: server.url("/bytes?n=\(total)\(chunked ? "&chunked=1" : "")"))
                )
                let source = try #require(response.body.storage.source as? CurlBodySource)
                var iterator = response.body.makeAsyncIterator()
                var received = try #require(try await iterator.next())
                // Nobody reads: the transfer fills the buffer to the high-water mark and pauses.
                try await curlWaitUntil { source.transfer.shared.withLock { $0.paused } }
                try await Task.sleep(for: .milliseconds(100))
                let buffered = source.transfer.shared.withLock { $0.buffered }
                // At most one libcurl write (16 KiB, or a little more) past the mark.
                #expect(buffered <= 64 * 1024 + 64 * 1024)
                #expect(source.transfer.shared.withLock { $0.paused })
                while let chunk = try await iterator.next() { received.append(contentsOf: chunk) }
                #expect(received.count == total)
                #expect(received == Self.pattern(total))
            }
        }
    }

    // MARK: Failures

    @Test("nothing listening fails with connectionRefused and a CurlError cause")
    func connectionRefused() async throws {
        let port = try curlUnusedPort()
        try await CurlTransport.withTransport { transport in
            let error = try await #require(throws: SluiceError.self) {
                _ = try await transport.send(ClientRequest(url: "http://127.0.0.1:\(port)/"))
            }
            #expect(error.code == .connectionRefused)
            let cause = try #require(error.cause as? CurlError)
            #expect(cause.code == 7)
            #expect(cause.name == "CURLE_COULDNT_CONNECT")
            #expect(!cause.detail.isEmpty)
            #expect(transport.activeTransferCount == 0)
        }
    }

    @Test(
        "a malformed or non-HTTP URL fails with invalidURL before anything is sent",
        arguments: [
            "not a url", "http://exa mple.com/", "ftp://127.0.0.1/file", "http://", "/relative/path", "http://a\0b/",
        ]
    )
    func malformedURL(url: String) async throws {
        try await CurlTransport.withTransport { transport in
            let error = try await #require(throws: SluiceError.self) {
                _ = try await transport.send(ClientRequest(url: url))
            }
            #expect(error.code == .invalidURL)
            #expect(transport.activeTransferCount == 0)
        }
    }

    @Test(
        "a header value with CR or LF fails with invalidHeader and nothing is sent",
        arguments: ["a\r\nx-injected: 1", "a\nb", "a\rb"])
    func headerInjection(value: String) async throws {
        try await withCurlTestServer { server in
            try await CurlTransport.withTransport { transport in
                let error = try await #require(throws: SluiceError.self) {
                    _ = try await transport.send(
                        ClientRequest(url: server.url("/ok"), headers: ["authorization": value]))
                }
                #expect(error.code == .invalidHeader)
                #expect(!String(describing: error).contains(value))
                let stats = try await server.stats(using: transport)
                #expect(stats.requests == 1)  // only the stats request itself
            }
        }
    }

    @Test("a method that is not a token fails with invalidRequest")
    func badMethod() async throws {
        try await CurlTransport.withTransport { transport in
            let error = try await #require(throws: SluiceError.self) {
                _ = try await transport.send(
                    ClientRequest(method: HTTPMethod("GET /x HTTP/1.1\r\n"), url: "http://127.0.0.1:1/"))
            }
            #expect(error.code == .invalidRequest)
        }
    }

    @Test("a reply that is not HTTP fails with invalidResponse")
    func garbageReply() async throws {
        try await withCurlTestServer { server in
            try await CurlTransport.withTransport { transport in
                let error = try await #require(throws: SluiceError.self) {
                    _ = try await transport.send(ClientRequest(url: server.url("/garbage")))
                }
                #expect(error.code == .invalidResponse)
                #expect(error.cause is CurlError)
            }
        }
    }

    @Test("a server that closes in the middle of the head fails send with connectionClosed")
    func closeMidHead() async throws {
        try await withCurlTestServer { server in
            try await CurlTransport.withTransport { transport in
                let error = try await #require(throws: SluiceError.self) {
                    _ = try await transport.send(ClientRequest(url: server.url("/close-mid-head")))
                }
                #expect(error.code == .connectionClosed)
            }
        }
    }

    @Test("a server that closes in the middle of the body ends the body with connectionClosed")
    func closeMidBody() async throws {
        try await withCurlTestServer { server in
            try await CurlTransport.withTransport { transport in
                let response = try await transport.send(ClientRequest(url: server.url("/close-mid-body")))
                #expect(response.status == 200)
                var received = 0
                let error = try await #require(throws: SluiceError.self) {
                    for try await chunk in response.body { received += chunk.count }
                }
                #expect(error.code == .connectionClosed)
                #expect(received == 100)
                #expect((error.cause as? CurlError)?.name == "CURLE_PARTIAL_FILE")
            }
        }
    }

    @Test("a body over the transport's limit fails with bodyTooLarge", arguments: [false, true])
    func bodyTooLarge(chunked: Bool) async throws {
        try await withCurlTestServer { server in
            var configuration = CurlTransport.Configuration()
            configuration.maxResponseBodyBytes = 100_000
            try await CurlTransport.withTransport(configuration: configuration) { transport in
                let request = ClientRequest(url: server.url("/bytes?n=300000\(chunked ? "&chunked=1" : "")"))
                if chunked {
                    // No Content-Length: the head arrives, the body fails once it crosses the limit.
                    let response = try await transport.send(request)
                    var received = 0
                    let error = try await #require(throws: SluiceError.self) {
                        for try await chunk in response.body { received += chunk.count }
                    }
                    #expect(error.code == .bodyTooLarge)
                    #expect(received <= 100_000)
                } else {
                    // The announced length is already too large: send fails.
                    let error = try await #require(throws: SluiceError.self) { _ = try await transport.send(request) }
                    #expect(error.code == .bodyTooLarge)
                    #expect(error.status == 200)
                }
                let small = try await transport.send(ClientRequest(url: server.url("/bytes?n=1000")))
                #expect(try await small.body.collect(upTo: 2000).count == 1000)
            }
        }
    }

    @Test("the idle timeout cuts a server that stalls before the head and one that stalls in the body")
    func idleTimeout() async throws {
        try await withCurlTestServer { server in
            var configuration = CurlTransport.Configuration()
            configuration.timeouts.idle = .milliseconds(300)
            try await CurlTransport.withTransport(configuration: configuration) { transport in
                let start = ContinuousClock.now
                let headError = try await #require(throws: SluiceError.self) {
                    _ = try await transport.send(ClientRequest(url: server.url("/stall-head")))
                }
                #expect(headError.code == .timeout)
                #expect(ContinuousClock.now - start < .seconds(5))

                let response = try await transport.send(ClientRequest(url: server.url("/stall-body")))
                let bodyError = try await #require(throws: SluiceError.self) {
                    for try await _ in response.body {}
                }
                #expect(bodyError.code == .timeout)
                try await curlWaitUntil { transport.activeTransferCount == 0 }
                try await curlWaitUntil { try await server.stats(using: transport).disconnects == 2 }
            }
        }
    }

    @Test("a request's responseHeadTimeout is enforced by the transport's thread and does not limit the body")
    func responseHeadTimeout() async throws {
        try await withCurlTestServer { server in
            try await CurlTransport.withTransport(configuration: CurlTransport.Configuration()) { transport in
                #expect(transport.enforcesResponseHeadTimeout)
                let start = ContinuousClock.now
                let error = try await #require(throws: SluiceError.self) {
                    _ = try await transport.send(
                        ClientRequest(url: server.url("/stall-head"), responseHeadTimeout: .milliseconds(300)))
                }
                let waited = ContinuousClock.now - start
                #expect(error.code == .responseHeadTimeout)
                #expect(waited >= .milliseconds(290))
                #expect(waited < .seconds(5))
                try await curlWaitUntil { transport.activeTransferCount == 0 }
                try await curlWaitUntil { try await server.stats(using: transport).disconnects == 1 }

                // The head arrives in time; the body takes longer than the head limit and is not cut.
                let response = try await transport.send(
                    ClientRequest(url: server.url("/stream?n=4&delay=150"), responseHeadTimeout: .milliseconds(100)))
                var chunks = 0
                for try await chunk in response.body { chunks += chunk.isEmpty ? 0 : 1 }
                #expect(chunks >= 1)
                #expect(response.status == 200)
            }
        }
    }

    @Test("the total timeout ends a transfer that takes too long")
    func totalTimeout() async throws {
        try await withCurlTestServer { server in
            var configuration = CurlTransport.Configuration()
            configuration.timeouts.total = .milliseconds(300)
            try await CurlTransport.withTransport(configuration: configuration) { transport in
                let error = try await #require(throws: SluiceError.self) {
                    _ = try await transport.send(ClientRequest(url: server.url("/stall-head")))
                }
                #expect(error.code == .timeout)
                #expect((error.cause as? CurlError)?.name == "CURLE_OPERATION_TIMEDOUT")
            }
        }
    }

    // MARK: Cancellation and shutdown

    @Test("cancelling the task waiting in send aborts the transfer and closes its connection")
    func cancelWaitingSend() async throws {
        try await withCurlTestServer { server in
            try await CurlTransport.withTransport { transport in
                let task = Task { try await transport.send(ClientRequest(url: server.url("/stall-head"))) }
                try await curlWaitUntil { try await server.stats(using: transport).requests >= 2 }
                #expect(transport.activeTransferCount == 1)
                task.cancel()
                await #expect(throws: CancellationError.self) { _ = try await task.value }
                try await curlWaitUntil { transport.activeTransferCount == 0 }
                try await curlWaitUntil { try await server.stats(using: transport).disconnects == 1 }
            }
        }
    }

    @Test("cancelling the task reading the body aborts the transfer and closes its connection")
    func cancelBodyConsumer() async throws {
        try await withCurlTestServer { server in
            try await CurlTransport.withTransport { transport in
                let response = try await transport.send(ClientRequest(url: server.url("/stall-body")))
                let task = Task {
                    var received = 0
                    for try await chunk in response.body { received += chunk.count }
                    return received
                }
                try await Task.sleep(for: .milliseconds(50))
                task.cancel()
                await #expect(throws: CancellationError.self) { _ = try await task.value }
                #expect(response.body.isTerminated)
                try await curlWaitUntil { transport.activeTransferCount == 0 }
                try await curlWaitUntil { try await server.stats(using: transport).disconnects == 1 }
            }
        }
    }

    @Test("discarding or dropping an unread body aborts the transfer", arguments: [false, true])
    func discardBody(dropInstead: Bool) async throws {
        try await withCurlTestServer { server in
            try await CurlTransport.withTransport { transport in
                var response: ClientResponse? = try await transport.send(ClientRequest(url: server.url("/stall-body")))
                #expect(transport.activeTransferCount == 1)
                if dropInstead { response = nil } else { response?.body.discard() }
                try await curlWaitUntil { transport.activeTransferCount == 0 }
                try await curlWaitUntil { try await server.stats(using: transport).disconnects == 1 }
                _ = response
            }
        }
    }

    @Test("a task cancelled before send starts nothing")
    func alreadyCancelled() async throws {
        try await CurlTransport.withTransport { transport in
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await transport.send(ClientRequest(url: "http://127.0.0.1:1/"))
            }
            await #expect(throws: CancellationError.self) { _ = try await task.value }
            #expect(transport.activeTransferCount == 0)
        }
    }

    @Test("shutdown fails requests in flight and later ones with shutdown, and is idempotent")
    func shutdownFailsInFlight() async throws {
        try await withCurlTestServer { server in
            let transport = try CurlTransport()
            let waiting = Task { try await transport.send(ClientRequest(url: server.url("/stall-head"))) }
            let streaming = try await transport.send(ClientRequest(url: server.url("/stall-body")))
            try await curlWaitUntil { transport.activeTransferCount == 2 }
            async let first: Void = transport.shutdown()
            async let second: Void = transport.shutdown()
            _ = await (first, second)
            #expect(transport.activeTransferCount == 0)

            let sendError = try await #require(throws: SluiceError.self) { _ = try await waiting.value }
            #expect(sendError.code == .shutdown)
            let bodyError = try await #require(throws: SluiceError.self) {
                for try await _ in streaming.body {}
            }
            #expect(bodyError.code == .shutdown)
            let laterError = try await #require(throws: SluiceError.self) {
                _ = try await transport.send(ClientRequest(url: server.url("/ok")))
            }
            #expect(laterError.code == .shutdown)
            await transport.shutdown()
        }
    }

    @Test("a transport released without shutdown stops its thread")
    func releasedWithoutShutdown() async throws {
        try await withCurlTestServer { server in
            weak var weakLoop: CurlLoop?
            do {
                let transport = try CurlTransport()
                weakLoop = transport.loop
                let response = try await transport.send(ClientRequest(url: server.url("/ok")))
                _ = try await response.body.collect(upTo: 100)
            }
            // The thread holds the loop until it has cleaned up and exits.
            try await curlWaitUntil { weakLoop == nil }
        }
    }

    // MARK: TLS

    @Test("TLS with a private CA: refused by default, accepted when the CA is configured")
    func tlsWithPrivateCA() async throws {
        let authority = try CurlTestCertificateAuthority()
        defer { authority.remove() }
        try await withCurlTestServer(tls: authority) { server in
            try await CurlTransport.withTransport { transport in
                let error = try await #require(throws: SluiceError.self) {
                    _ = try await transport.send(ClientRequest(url: server.url("/ok")))
                }
                #expect(error.code == .tlsFailure)
                #expect((error.cause as? CurlError)?.name == "CURLE_PEER_FAILED_VERIFICATION")
            }
            var configuration = CurlTransport.Configuration()
            configuration.tls.caBundlePath = authority.caPath
            try await CurlTransport.withTransport(configuration: configuration) { transport in
                let response = try await transport.send(ClientRequest(url: server.url("/ok")))
                #expect(response.status == 200)
                #expect(try await response.body.collect(upTo: 100) == Array("hello".utf8))
            }
            var unverified = CurlTransport.Configuration()
            unverified.tls.certificateVerification = .insecureNoVerification
            try await CurlTransport.withTransport(configuration: unverified) { transport in
                let response = try await transport.send(ClientRequest(url: server.url("/ok")))
                #expect(response.status == 200)
                _ = try await response.body.collect(upTo: 100)
            }
        }
    }

    // MARK: HTTP/2

    @Test(
        "HTTP/2 over TLS multiplexes concurrent requests on one connection (nginx)",
        .enabled(if: CurlTestNginx.executable != nil, "needs nginx")
    )
    func http2Multiplexing() async throws {
        let authority = try CurlTestCertificateAuthority()
        defer { authority.remove() }
        let nginx = try await CurlTestNginx.start(authority: authority)
        defer { nginx.stop() }
        var configuration = CurlTransport.Configuration()
        configuration.tls.caBundlePath = authority.caPath
        try await CurlTransport.withTransport(configuration: configuration) { transport in
            // Open the connection first, so every later request can join it.
            let first = try await transport.send(ClientRequest(url: nginx.url("/connection")))
            let firstBody = String(decoding: try await first.body.collect(upTo: 100), as: UTF8.self)
            #expect(firstBody.hasSuffix("HTTP/2.0"))
            let bodies = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let response = try await transport.send(ClientRequest(url: nginx.url("/connection")))
                        return String(decoding: try await response.body.collect(upTo: 100), as: UTF8.self)
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(bodies.count == 50)
            #expect(Set(bodies) == [firstBody])
        }
    }

    // MARK: Helpers

    static func pattern(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 * 7 + 3) % 251) }
    }
}

// MARK: - Test server

/// The Python test server's counters.
struct CurlTestServerStats: Decodable {
    var connections: Int
    var requests: Int
    var disconnects: Int
}

/// What `/echo` saw.
struct CurlEchoedRequest: Decodable {
    var method: String
    var target: String
    var headers: [[String]]
    var body: String

    init(_ bytes: [UInt8]) throws {
        self = try JSONDecoder().decode(CurlEchoedRequest.self, from: Data(bytes))
    }

    func values(_ name: String) -> [String] {
        headers.filter { $0.first == name }.map { $0.count > 1 ? $0[1] : "" }
    }
}

/// A Python HTTP/1.1 server on 127.0.0.1 (one per test), stopped when the test's closure returns.
final class CurlTestServer: Sendable {
    let scheme: String
    private let server: LoopbackPythonProcess

    private init(scheme: String, server: LoopbackPythonProcess) {
        self.scheme = scheme
        self.server = server
    }

    var port: Int { server.port }
    func url(_ path: String) -> String { "\(scheme)://127.0.0.1:\(port)\(path)" }

    func stats(using transport: CurlTransport) async throws -> CurlTestServerStats {
        let response = try await transport.send(ClientRequest(url: url("/stats")))
        return try JSONDecoder().decode(
            CurlTestServerStats.self, from: Data(try await response.body.collect(upTo: 4096)))
    }

    func stop() { server.stop() }

    static func start(tls: CurlTestCertificateAuthority?) async throws -> CurlTestServer {
        let server = try await LoopbackPythonProcess.start(
            "curl", script: curlTestServerScript,
            arguments: tls.map { [$0.serverCertificatePath, $0.serverKeyPath] } ?? [])
        return CurlTestServer(scheme: tls == nil ? "http" : "https", server: server)
    }
}

/// nginx on 127.0.0.1 with TLS and HTTP/2, answering `/connection` with its connection number and
/// protocol. Only where nginx is installed.
final class CurlTestNginx: Sendable {
    static let executable: String? = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    let port: Int
    private let process: SpawnedProcess
    private let directory: String

    private init(port: Int, process: SpawnedProcess, directory: String) {
        self.port = port
        self.process = process
        self.directory = directory
    }

    func url(_ path: String) -> String { "https://127.0.0.1:\(port)\(path)" }

    func stop() {
        process.kill()  // master_process off: no worker processes to reap
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func start(authority: CurlTestCertificateAuthority) async throws -> CurlTestNginx {
        guard let executable else { throw CurlTestSetupError("nginx is not installed") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-nginx-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let port = try curlUnusedPort()
        let configuration = """
            worker_processes 1;
            daemon off;
            master_process off;
            error_log \(directory)/error.log warn;
            pid \(directory)/nginx.pid;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path \(directory)/body;
                proxy_temp_path \(directory)/proxy;
                fastcgi_temp_path \(directory)/fastcgi;
                uwsgi_temp_path \(directory)/uwsgi;
                scgi_temp_path \(directory)/scgi;
                server {
                    listen 127.0.0.1:\(port) ssl http2;
                    ssl_certificate \(authority.serverCertificatePath);
                    ssl_certificate_key \(authority.serverKeyPath);
                    location /connection { default_type text/plain; return 200 "$connection $server_protocol"; }
                }
            }
            """
        try configuration.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        let process = try SpawnedProcess(
            executable, ["-e", directory + "/error.log", "-p", directory, "-c", directory + "/nginx.conf"])
        let server = CurlTestNginx(port: port, process: process, directory: directory)
        var probe = CurlTransport.Configuration()
        probe.tls.certificateVerification = .insecureNoVerification
        let ready = try await CurlTransport.withTransport(configuration: probe) { transport in
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline, process.isRunning {
                if let response = try? await transport.send(ClientRequest(url: server.url("/connection"))) {
                    response.body.discard()
                    return true
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            return false
        }
        guard ready else {
            server.stop()
            throw CurlTestSetupError("nginx did not start")
        }
        return server
    }
}

struct CurlTestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func withCurlTestServer(
    tls: CurlTestCertificateAuthority? = nil,
    _ body: (CurlTestServer) async throws -> Void
) async throws {
    let server = try await CurlTestServer.start(tls: tls)
    defer { server.stop() }
    try await body(server)
}

/// Polls a condition every 10 ms until it holds; fails the test after the timeout.
func curlWaitUntil(
    timeout: Duration = .seconds(5),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("condition not met within \(timeout)", sourceLocation: sourceLocation)
}

/// A port nothing listens on: bound, then closed.
func curlUnusedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw CurlTestSetupError("socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw CurlTestSetupError("bind failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw CurlTestSetupError("getsockname failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A CA and a server certificate for 127.0.0.1 and localhost, made with the openssl command in a
/// temporary directory.
struct CurlTestCertificateAuthority: Sendable {
    let directory: String
    var caPath: String { directory + "/ca.pem" }
    var serverCertificatePath: String { directory + "/server.pem" }
    var serverKeyPath: String { directory + "/server.key" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-ca-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
            .write(toFile: directory + "/server.ext", atomically: true, encoding: .utf8)
        try Self.openssl(
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Sluice Test CA",
            ], in: directory)
        try Self.openssl(
            [
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1",
            ], in: directory)
        try Self.openssl(
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
            ], in: directory)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func openssl(_ arguments: [String], in directory: String) throws {
        let process = try SpawnedProcess("openssl", arguments, directory: directory)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CurlTestSetupError("openssl \(arguments.first ?? "") failed with status \(process.terminationStatus)")
        }
    }
}

/// The server: a thread per connection, HTTP/1.1 keep-alive, routes chosen by path. It writes its
/// port to the file named by its first argument; with a certificate and key it speaks TLS.
let curlTestServerScript = #"""
    import json, os, select, signal, socket, ssl, sys, threading, time
    from urllib.parse import urlsplit, parse_qs

    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = os.getppid()

    def watchdog():
        # Never outlive the test process, nor run longer than five minutes.
        deadline = time.time() + 300
        while os.getppid() == parent and time.time() < deadline:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    port_file = sys.argv[1]
    cert = sys.argv[2] if len(sys.argv) > 3 else None
    key = sys.argv[3] if len(sys.argv) > 3 else None
    stats = {"connections": 0, "requests": 0, "disconnects": 0, "bytes_sent": 0}
    lock = threading.Lock()

    def bump(name, by=1):
        with lock:
            stats[name] += by

    def read_request(conn, buf):
        while b"\r\n\r\n" not in buf:
            data = conn.recv(65536)
            if not data:
                return None, b""
            buf += data
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        method, target, _ = lines[0].decode("latin-1").split(" ", 2)
        headers = []
        for line in lines[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            headers.append([name.strip().lower(), value.strip()])
        length = int(dict(headers).get("content-length", "0"))
        while len(rest) < length:
            data = conn.recv(65536)
            if not data:
                return None, b""
            rest += data
        return (method, target, headers, rest[:length]), rest[length:]

    def peer_closed(conn, seconds):
        end = time.time() + seconds
        while time.time() < end:
            ready, _, _ = select.select([conn], [], [], 0.02)
            if ready:
                try:
                    if not conn.recv(65536):
                        return True
                except (OSError, ssl.SSLError):
                    return True
        return False

    def respond(conn, status, body, headers=()):
        head = "HTTP/1.1 %d X\r\nContent-Length: %d\r\n" % (status, len(body))
        for name, value in headers:
            head += "%s: %s\r\n" % (name, value)
        conn.sendall(head.encode() + b"\r\n" + body)

    def pattern(n):
        return bytes((i * 7 + 3) % 251 for i in range(n))

    def handle(conn):
        bump("connections")
        buf = b""
        try:
            if cert:
                conn = ctx.wrap_socket(conn, server_side=True)
            while True:
                request, buf = read_request(conn, buf)
                if request is None:
                    return
                bump("requests")
                method, target, headers, body = request
                parts = urlsplit(target)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                route = parts.path
                if route == "/ok":
                    respond(conn, 200, b"hello", [("Content-Type", "text/plain"), ("X-Multi", "a"), ("X-Multi", "b")])
                elif route == "/echo":
                    info = {"method": method, "target": target, "headers": headers, "body": body.decode("latin-1")}
                    respond(conn, 200, json.dumps(info).encode(), [("Content-Type", "application/json")])
                elif route == "/stats":
                    with lock:
                        data = json.dumps(stats).encode()
                    respond(conn, 200, data)
                elif route == "/status":
                    respond(conn, int(query.get("code", "200")), b"")
                elif route == "/redirect":
                    respond(conn, int(query.get("code", "302")), b"moved", [("Location", query.get("to", "/ok"))])
                elif route == "/garbage":
                    conn.sendall(b"this is not HTTP at all\r\n\r\nreally not\r\n")
                    return
                elif route == "/close-mid-head":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Ty")
                    return
                elif route == "/close-mid-body":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 100)
                    time.sleep(0.05)
                    return
                elif route == "/continue":
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n")
                    respond(conn, 201, b"final", [("X-Final", "yes")])
                elif route == "/bytes":
                    n = int(query.get("n", "0"))
                    data = pattern(n)
                    if query.get("chunked"):
                        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                        for i in range(0, n, 16384):
                            piece = data[i:i + 16384]
                            conn.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                            bump("bytes_sent", len(piece))
                        conn.sendall(b"0\r\n\r\n")
                    else:
                        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
                        for i in range(0, n, 16384):
                            conn.sendall(data[i:i + 16384])
                            bump("bytes_sent", len(data[i:i + 16384]))
                elif route == "/stream":
                    count = int(query.get("n", "3"))
                    delay = int(query.get("delay", "50")) / 1000.0
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                    for i in range(count):
                        time.sleep(delay)
                        piece = b"data: %d\n\n" % i
                        conn.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                    conn.sendall(b"0\r\n\r\n")
                elif route == "/stall-head":
                    if peer_closed(conn, 30):
                        bump("disconnects")
                    return
                elif route == "/stall-body":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"y" * 10)
                    if peer_closed(conn, 30):
                        bump("disconnects")
                    return
                else:
                    respond(conn, 404, b"no such route")
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=handle, args=(conn,), daemon=True).start()
    """#
