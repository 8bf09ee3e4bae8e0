import Logging

/// The production ``ClientTransport``: HTTP/1.1 and HTTP/2 over libcurl, with OpenSSL for TLS.
///
/// One transport drives one `curl_multi` handle on one dedicated thread, whatever the number of
/// requests in flight; all of them share its connection cache, so connections are reused and HTTP/2
/// requests to one host are multiplexed on one connection. Make one transport for the process (or one
/// per distinct configuration) and share it.
///
/// ```swift
/// let transport = try CurlTransport()
/// let response = try await transport.send(
///     ClientRequest(method: .post, url: "https://api.example.com/v1/chat/completions",
///                   headers: ["content-type": "application/json"], body: Array(json.utf8))
/// )
/// for try await chunk in response.body { try parser.parse(chunk) { print($0.data) } }
/// await transport.shutdown()
/// ```
///
/// Requests are checked before anything is sent: the URL must be `http` or `https` with a host
/// (``SluiceError/Code/invalidURL``), every header must pass ``HTTPHeaders/validate(_:)``
/// (``SluiceError/Code/invalidHeader``; a value with CR or LF never reaches libcurl) and the method
/// must be a token (``SluiceError/Code/invalidRequest``). libcurl's failures become ``SluiceError``s
/// with a matching code and a ``CurlError`` as their cause. The transport adds `Expect:` (no
/// 100-continue wait) and, for a body without a `Content-Type`, removes libcurl's default form type.
///
/// - Important: `send` returns as soon as the final response head has arrived (interim 1xx heads and
///   a proxy's CONNECT reply are skipped); the body streams afterwards with back-pressure (see
///   ``Configuration/BackPressure``). Cancelling the task waiting in `send`, or the task reading the
///   body, or discarding the body, aborts the transfer: its easy handle is detached and its connection
///   closed on the transport's thread. After ``shutdown()``, requests in flight and any later ones fail
///   with ``SluiceError/Code/shutdown``. A transport released without `shutdown()` shuts down then:
///   its thread fails what is still in flight (nothing is, since every response body keeps its
///   transport alive), cleans up and exits.
///
/// Redirects are never followed: a 3xx answer is returned to the caller as it is, so a request and its
/// API key never go to a host the caller did not name.
public final class CurlTransport: ClientTransport, CustomReflectable {
    /// The configuration the transport was made with.
    public let configuration: Configuration
    let loop: CurlLoop

    /// Makes a transport and starts its thread.
    ///
    /// A configuration whose ``Configuration/TLS/certificateVerification`` is insecure
    /// (anything but ``Configuration/CertificateVerification/fullVerification``) logs one warning on
    /// `logger` here, once per transport.
    ///
    /// Throws ``SluiceError/Code/invalidConfiguration`` for a receive buffer size libcurl does not
    /// accept (see ``Configuration/ReceiveBuffer``), and ``SluiceError/Code/transportFailure`` when
    /// libcurl cannot be initialised, refuses a setting, or the thread cannot be started.
    ///
    /// - Parameters:
    ///   - configuration: how to connect, verify servers, buffer and time out.
    ///   - logger: where the transport reports a risky configuration. Default: a `Logger` labelled
    ///     `sluice.curl`, which goes wherever the process bootstrapped swift-log.
    public init(
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "sluice.curl")
    ) throws(SluiceError) {
        try configuration.validate()
        self.configuration = configuration
        loop = try CurlLoop(configuration: configuration)
        try loop.start()
        Self.warnIfInsecure(configuration, logger: logger)
    }

    /// Logs a warning when `configuration` does not fully verify servers' certificates.
    static func warnIfInsecure(_ configuration: Configuration, logger: Logger) {
        let verification = configuration.tls.certificateVerification
        guard verification.isInsecure else { return }
        logger.warning(
            "TLS certificate verification is weakened: a server posing as the provider could read API keys",
            metadata: ["sluice.tls_verification": .string(verification.description)]
        )
    }

    deinit {
        loop.requestShutdown()
    }

    /// Runs `body` with a new transport and shuts the transport down when it returns or throws.
    public static func withTransport<Result>(
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "sluice.curl"),
        _ body: (CurlTransport) async throws -> Result
    ) async throws -> Result {
        let transport = try CurlTransport(configuration: configuration, logger: logger)
        do {
            let result = try await body(transport)
            await transport.shutdown()
            return result
        } catch {
            await transport.shutdown()
            throw error
        }
    }

    /// `true`: the transport's thread fails a request whose head has not arrived within its
    /// ``ClientRequest/responseHeadTimeout``.
    public var enforcesResponseHeadTimeout: Bool { true }

    public nonisolated(nonsending) func send(_ request: ClientRequest) async throws -> ClientResponse {
        let transfer = try CurlTransfer(request: request, loop: loop)
        let head = try await transfer.awaitHead()
        let headers = head.headers
        let expectedLength = CurlResponseHead.expectedContentLength(
            status: head.status,
            isHeadRequest: transfer.isHeadRequest,
            headers: headers
        )
        let body = ResponseBody(
            source: CurlBodySource(transfer: transfer, transport: self), expectedContentLength: expectedLength)
        return ClientResponse(status: head.status, headers: headers, body: body)
    }

    /// Fails every request in flight with ``SluiceError/Code/shutdown``, closes every connection and
    /// stops the transport's thread; later requests fail with the same code at once.
    ///
    /// Returns once the thread has cleaned up. Idempotent: calling it again, or concurrently, waits
    /// for the same shutdown.
    public func shutdown() async {
        await loop.shutdown()
    }

    /// How many transfers the transport has accepted and not yet finished: queued, connecting, or
    /// receiving (including those paused because their body is not being read). A transfer stops
    /// counting once libcurl is done with it, even if its buffered body has not been read yet.
    public var activeTransferCount: Int {
        loop.activeCount.load(ordering: .relaxed)
    }
}

/// The ``ResponseBodySource`` of a ``CurlTransport`` response: reads the transfer's buffered chunks.
/// It keeps the transport alive while the body exists.
struct CurlBodySource: ResponseBodySource {
    let transfer: CurlTransfer
    let transport: CurlTransport

    nonisolated(nonsending) func next() async throws -> [UInt8]? {
        try await transfer.nextChunk()
    }

    func cancel() {
        transfer.abandon()
    }
}

extension CurlTransport {
    /// The configuration (secrets redacted), not the libcurl state.
    public var customMirror: Mirror {
        Mirror(self, children: ["configuration": configuration], displayStyle: .class)
    }
}
