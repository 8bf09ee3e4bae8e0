import Foundation
import Logging
import SluiceTesting
import Synchronization
import Testing

@testable import Sluice

/// Redirects and weakened TLS against servers on 127.0.0.1: a redirect is never followed, so a
/// request and its key never reach a host the caller did not name; an insecure TLS setting is named so
/// and warned about once per transport.
@Suite("CurlTransport redirects and TLS warnings", .timeLimit(.minutes(2)))
struct CurlRedirectTests {
    static let key = "sk-redirect-0123456789abcdef"

    @Test(
        "a 3xx to another host is returned as it is; that host receives nothing",
        arguments: [301, 302, 303, 307, 308])
    func redirectNotFollowed(status: Int) async throws {
        try await withCurlTestServer { origin in
            try await withCurlTestServer { other in
                try await CurlTransport.withTransport { transport in
                    let target = other.url("/echo")
                    let response = try await transport.send(
                        ClientRequest(
                            method: .post, url: origin.url("/redirect?code=\(status)&to=\(target)"),
                            headers: ["authorization": "Bearer \(Self.key)", "x-api-key": Self.key],
                            body: Array("{}".utf8)))
                    #expect(response.status == status)
                    #expect(response.headers["location"] == target)
                    _ = try await response.body.collect(upTo: 1024)
                    // The only request the other server saw is this stats request.
                    let stats = try await other.stats(using: transport)
                    #expect(stats.requests == 1)
                    #expect(stats.connections == 1)
                }
            }
        }
    }

    @Test("a chat call answered with a redirect fails with the 3xx status and sends nothing to the other host")
    func clientGetsRedirectStatus() async throws {
        try await withCurlTestServer { origin in
            try await withCurlTestServer { other in
                var configuration = LLMClient.Configuration.openAI(
                    apiKey: Self.key, baseURL: origin.url("/redirect?code=307&to=\(other.url("/echo"))"))
                configuration.retryPolicy = .disabled
                try await withLLMClient(configuration) { client in
                    let error = try await #require(throws: SluiceError.self) {
                        try await client.chat(ChatRequest(model: "m", messages: [.user("hi")]))
                    }
                    #expect(error.status == 307)
                    #expect(!String(reflecting: error).contains("0123456789abcdef"))
                }
                try await CurlTransport.withTransport { transport in
                    let stats = try await other.stats(using: transport)
                    #expect(stats.requests == 1)
                }
            }
        }
    }

    @Test(
        "an insecure certificate setting logs one warning per transport, however many requests; full verification none")
    func insecureTLSWarnsOnce() async throws {
        let authority = try CurlTestCertificateAuthority()
        defer { authority.remove() }
        try await withCurlTestServer(tls: authority) { server in
            let records = LogRecords()
            var insecure = CurlTransport.Configuration()
            insecure.tls.certificateVerification = .insecureNoVerification
            try await CurlTransport.withTransport(configuration: insecure, logger: records.logger) { transport in
                for _ in 0..<3 {
                    let response = try await transport.send(ClientRequest(url: server.url("/ok")))
                    #expect(response.status == 200)
                    _ = try await response.body.collect(upTo: 100)
                }
            }
            #expect(records.warnings.count == 1)
            #expect(records.warnings.first?.metadata["sluice.tls_verification"] == "insecure: no verification")

            var noHostname = CurlTransport.Configuration()
            noHostname.tls.certificateVerification = .insecureNoHostnameVerification
            noHostname.tls.caBundlePath = authority.caPath
            try await CurlTransport.withTransport(configuration: noHostname, logger: records.logger) { transport in
                _ = try await transport.send(ClientRequest(url: server.url("/ok"))).body.collect(upTo: 100)
            }
            #expect(records.warnings.count == 2)

            var verified = CurlTransport.Configuration()
            verified.tls.caBundlePath = authority.caPath
            try await CurlTransport.withTransport(configuration: verified, logger: records.logger) { transport in
                _ = try await transport.send(ClientRequest(url: server.url("/ok"))).body.collect(upTo: 100)
            }
            #expect(records.warnings.count == 2)
            #expect(records.all.count == 2)
        }
    }
}

/// Log entries written through ``logger``.
final class LogRecords: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let entries = Synchronization.Mutex<[Entry]>([])

    var all: [Entry] { entries.withLock { $0 } }
    var warnings: [Entry] { all.filter { $0.level == .warning } }

    var logger: Logger {
        var logger = Logger(label: "sluice.redirect-tests") { _ in Handler(records: self) }
        logger.logLevel = .trace
        return logger
    }

    func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }

    struct Handler: LogHandler {
        let records: LogRecords
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = metadata
            merged.merge(event.metadata ?? [:]) { _, new in new }
            records.append(Entry(level: event.level, message: event.message.description, metadata: merged))
        }
    }
}
