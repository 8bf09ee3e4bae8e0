import CCurl
import Testing

@testable import Sluice

@Suite("CurlTransport configuration to libcurl options")
struct CurlOptionPlanTests {
    private func value(_ option: CURLoption, in configuration: CurlTransport.Configuration) -> CurlOptionSetting.Value?
    {
        CurlOptionPlan.easySettings(for: configuration).last { $0.option == option.rawValue }?.value
    }

    private func multiValue(_ option: CURLMoption, in configuration: CurlTransport.Configuration) -> CurlOptionSetting
        .Value?
    {
        CurlOptionPlan.multiSettings(for: configuration).last { $0.option == option.rawValue }?.value
    }

    @Test("defaults: HTTP/2 over TLS, full verification, 10 s connect timeout, no total timeout, no signals")
    func defaults() {
        let configuration = CurlTransport.Configuration()
        #expect(value(CURLOPT_HTTP_VERSION, in: configuration) == .long(Int(CURL_HTTP_VERSION_2TLS)))
        #expect(value(CURLOPT_SSL_VERIFYPEER, in: configuration) == .long(1))
        #expect(value(CURLOPT_SSL_VERIFYHOST, in: configuration) == .long(2))
        #expect(value(CURLOPT_CONNECTTIMEOUT_MS, in: configuration) == .long(10_000))
        #expect(value(CURLOPT_TIMEOUT_MS, in: configuration) == nil)
        #expect(value(CURLOPT_NOSIGNAL, in: configuration) == .long(1))
        #expect(value(CURLOPT_SUPPRESS_CONNECT_HEADERS, in: configuration) == .long(1))
        #expect(value(CURLOPT_PROXY, in: configuration) == nil)
        #expect(value(CURLOPT_CAINFO, in: configuration) == nil)
        #expect(multiValue(CURLMOPT_PIPELINING, in: configuration) == .long(Int(CURLPIPE_MULTIPLEX)))
        #expect(multiValue(CURLMOPT_MAX_TOTAL_CONNECTIONS, in: configuration) == .long(256))
        #expect(multiValue(CURLMOPT_MAX_HOST_CONNECTIONS, in: configuration) == .long(0))
    }

    @Test(
        "each HTTP version maps to its libcurl constant",
        arguments: [
            (CurlTransport.Configuration.HTTPVersion.http1_1, Int(CURL_HTTP_VERSION_1_1)),
            (.http2, Int(CURL_HTTP_VERSION_2TLS)),
            (.http2PriorKnowledge, Int(CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE)),
        ]
    )
    func httpVersions(version: CurlTransport.Configuration.HTTPVersion, constant: Int) {
        #expect(value(CURLOPT_HTTP_VERSION, in: .init(httpVersion: version)) == .long(constant))
    }

    @Test(
        "redirects are never followed and credentials never go to another host, whatever the configuration",
        arguments: [
            CurlTransport.Configuration(),
            CurlTransport.Configuration(httpVersion: .http1_1, proxy: .url("http://proxy:3128")),
            CurlTransport.Configuration(tls: .init(certificateVerification: .insecureNoVerification)),
        ])
    func noRedirects(configuration: CurlTransport.Configuration) {
        #expect(value(CURLOPT_FOLLOWLOCATION, in: configuration) == .long(0))
        #expect(value(CURLOPT_MAXREDIRS, in: configuration) == .long(0))
        #expect(value(CURLOPT_UNRESTRICTED_AUTH, in: configuration) == .long(0))
    }

    @Test("only full verification is secure; the others say so in their names and descriptions")
    func insecureNames() {
        typealias Verification = CurlTransport.Configuration.CertificateVerification
        #expect(!Verification.fullVerification.isInsecure)
        for verification in [Verification.insecureNoVerification, .insecureNoHostnameVerification] {
            #expect(verification.isInsecure)
            #expect(verification.description.hasPrefix("insecure"))
        }
    }

    @Test("certificate verification choices set peer and host checks")
    func verification() {
        var tls = CurlTransport.Configuration.TLS(certificateVerification: .insecureNoHostnameVerification)
        #expect(value(CURLOPT_SSL_VERIFYPEER, in: .init(tls: tls)) == .long(1))
        #expect(value(CURLOPT_SSL_VERIFYHOST, in: .init(tls: tls)) == .long(0))
        tls.certificateVerification = .insecureNoVerification
        #expect(value(CURLOPT_SSL_VERIFYPEER, in: .init(tls: tls)) == .long(0))
        #expect(value(CURLOPT_SSL_VERIFYHOST, in: .init(tls: tls)) == .long(0))
    }

    @Test("trust roots and a client certificate become file options; the key password is never printed")
    func tlsFiles() {
        let client = CurlTransport.Configuration.ClientCertificate(
            certificatePath: "/c.pem", keyPath: "/k.pem", keyPassword: "hunter2")
        let configuration = CurlTransport.Configuration(
            tls: .init(caBundlePath: "/ca.pem", caDirectoryPath: "/certs", clientCertificate: client)
        )
        #expect(value(CURLOPT_CAINFO, in: configuration) == .string("/ca.pem"))
        #expect(value(CURLOPT_CAPATH, in: configuration) == .string("/certs"))
        #expect(value(CURLOPT_SSLCERT, in: configuration) == .string("/c.pem"))
        #expect(value(CURLOPT_SSLKEY, in: configuration) == .string("/k.pem"))
        #expect(value(CURLOPT_KEYPASSWD, in: configuration) == .string("hunter2"))
        #expect(!String(describing: client).contains("hunter2"))
        #expect(!CurlOptionPlan.easySettings(for: configuration).map(\.description).joined().contains("hunter2"))
    }

    @Test("proxy choices: environment sets nothing, disabled sets an empty proxy, a URL sets proxy and no-proxy list")
    func proxies() {
        #expect(value(CURLOPT_PROXY, in: .init(proxy: .environment)) == nil)
        #expect(value(CURLOPT_PROXY, in: .init(proxy: .disabled)) == .string(""))
        let explicit = CurlTransport.Configuration(proxy: .url("http://proxy:3128", noProxy: "localhost,.internal"))
        #expect(value(CURLOPT_PROXY, in: explicit) == .string("http://proxy:3128"))
        #expect(value(CURLOPT_NOPROXY, in: explicit) == .string("localhost,.internal"))
        #expect(CurlOptionPlan(explicit).usesExplicitProxy)
        #expect(!CurlOptionPlan(.init()).usesExplicitProxy)
    }

    @Test("timeouts and connection limits map to milliseconds and multi options")
    func limits() {
        let configuration = CurlTransport.Configuration(
            timeouts: .init(connect: .milliseconds(1500), idle: .seconds(30), total: .seconds(120)),
            connections: .init(maxTotal: 32, maxPerHost: 4, maxConcurrentStreams: 50)
        )
        #expect(value(CURLOPT_CONNECTTIMEOUT_MS, in: configuration) == .long(1500))
        #expect(value(CURLOPT_TIMEOUT_MS, in: configuration) == .long(120_000))
        #expect(multiValue(CURLMOPT_MAX_TOTAL_CONNECTIONS, in: configuration) == .long(32))
        #expect(multiValue(CURLMOPT_MAXCONNECTS, in: configuration) == .long(32))
        #expect(multiValue(CURLMOPT_MAX_HOST_CONNECTIONS, in: configuration) == .long(4))
        #expect(multiValue(CURLMOPT_MAX_CONCURRENT_STREAMS, in: configuration) == .long(50))
    }

    @Test("durations round up to whole milliseconds and never become 0, which libcurl reads as no limit")
    func milliseconds() {
        #expect(CurlOptionPlan.milliseconds(.seconds(10)) == 10_000)
        #expect(CurlOptionPlan.milliseconds(.microseconds(1)) == 1)
        #expect(CurlOptionPlan.milliseconds(.microseconds(1500)) == 2)
        #expect(CurlOptionPlan.milliseconds(.zero) == 1)
        #expect(CurlOptionPlan.milliseconds(.seconds(-5)) == 1)
        #expect(CurlOptionPlan.milliseconds(.seconds(Int64.max / 2)) == Int(Int32.max))
    }

    @Test("back-pressure marks are kept ordered")
    func backPressureMarks() {
        #expect(CurlTransport.Configuration.BackPressure().effective == (256 * 1024, 64 * 1024))
        #expect(CurlTransport.Configuration.BackPressure(highWaterMark: 100, lowWaterMark: 200).effective == (100, 50))
        #expect(CurlTransport.Configuration.BackPressure(highWaterMark: 0, lowWaterMark: 0).effective == (1, 0))
    }

    @Test("receive buffer: a streamed request (Accept: text/event-stream) gets the streaming size, others the standard")
    func receiveBufferSizes() {
        let plan = CurlOptionPlan(CurlTransport.Configuration())
        #expect(plan.receiveBufferSize(for: ["accept": "text/event-stream"]) == 2 * 1024)
        #expect(plan.receiveBufferSize(for: ["Accept": "application/json, TEXT/Event-Stream;q=0.9"]) == 2 * 1024)
        // libcurl's own default is left unset, so a non-streamed transfer sets nothing more than before.
        #expect(plan.receiveBufferSize(for: ["accept": "application/json"]) == nil)
        #expect(plan.receiveBufferSize(for: ["content-type": "text/event-stream"]) == nil)
        #expect(plan.receiveBufferSize(for: ["accept": "text/event-strea"]) == nil)
        #expect(plan.receiveBufferSize(for: [:]) == nil)

        var configuration = CurlTransport.Configuration()
        configuration.receiveBuffer = .init(streaming: 16 * 1024, standard: 64 * 1024)
        let custom = CurlOptionPlan(configuration)
        #expect(custom.receiveBufferSize(for: ["accept": "text/event-stream"]) == nil)
        #expect(custom.receiveBufferSize(for: ["accept": "*/*"]) == 64 * 1024)
    }

    @Test(
        "receive buffer sizes outside libcurl's 1 KiB...10 MiB are refused with invalidConfiguration",
        arguments: [
            CurlTransport.Configuration.ReceiveBuffer(streaming: 1023),
            CurlTransport.Configuration.ReceiveBuffer(streaming: 0),
            CurlTransport.Configuration.ReceiveBuffer(streaming: -4096),
            CurlTransport.Configuration.ReceiveBuffer(standard: 10 * 1024 * 1024 + 1),
            CurlTransport.Configuration.ReceiveBuffer(standard: .max),
        ]
    )
    func receiveBufferValidation(buffer: CurlTransport.Configuration.ReceiveBuffer) {
        var configuration = CurlTransport.Configuration()
        configuration.receiveBuffer = buffer
        #expect(throws: SluiceError.self) { try configuration.validate() }
        do {
            _ = try CurlTransport(configuration: configuration)
            Issue.record("a transport was made with \(buffer)")
        } catch {
            #expect(error.code == .invalidConfiguration)
        }
    }

    @Test("receive buffer sizes at libcurl's bounds are accepted")
    func receiveBufferBounds() throws {
        var configuration = CurlTransport.Configuration()
        configuration.receiveBuffer = .init(streaming: 1024, standard: 10 * 1024 * 1024)
        try configuration.validate()
    }
}
