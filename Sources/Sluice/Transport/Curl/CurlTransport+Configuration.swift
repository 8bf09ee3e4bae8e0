extension CurlTransport {
    /// How a ``CurlTransport`` connects, verifies servers, buffers bodies and times out.
    ///
    /// Every field has a default that suits a service calling LLM APIs over HTTPS; change only what you
    /// need:
    ///
    /// ```swift
    /// var configuration = CurlTransport.Configuration()
    /// configuration.tls.caBundlePath = "/etc/ssl/internal-ca.pem"
    /// configuration.timeouts.idle = .seconds(60)
    /// let transport = try CurlTransport(configuration: configuration)
    /// ```
    public struct Configuration: Sendable {
        /// Which HTTP version to speak. Default: ``HTTPVersion/http2`` (HTTP/2 over TLS where the server
        /// offers it through ALPN, HTTP/1.1 otherwise and for `http://` URLs).
        public var httpVersion: HTTPVersion
        /// Certificate verification, trust roots and a client certificate. Default: full verification
        /// against the system's trust roots.
        public var tls: TLS
        /// Which proxy to use. Default: ``Proxy/environment``.
        public var proxy: Proxy
        /// The transport's own time limits. Default: connect 10 s, no idle or total limit.
        public var timeouts: Timeouts
        /// How many connections to open and keep. Default: 256 in total, no per-host limit.
        public var connections: Connections
        /// How much of a body to buffer before pausing the transfer. Default: 256 KiB high, 64 KiB low.
        public var backPressure: BackPressure
        /// The most response body bytes to accept, or `nil` (the default) for no limit.
        ///
        /// A response whose `Content-Length` is larger fails in `send` with
        /// ``SluiceError/Code/bodyTooLarge``; a body that grows past the limit while streaming ends
        /// with that error, after the chunks received before the one that crossed the limit.
        public var maxResponseBodyBytes: Int?
        /// The buffer libcurl reads each response into. Default: 2 KiB for a streamed reply, 16 KiB
        /// (libcurl's own default) for every other. See ``ReceiveBuffer``.
        public var receiveBuffer: ReceiveBuffer

        public init(
            httpVersion: HTTPVersion = .http2,
            tls: TLS = TLS(),
            proxy: Proxy = .environment,
            timeouts: Timeouts = Timeouts(),
            connections: Connections = Connections(),
            backPressure: BackPressure = BackPressure(),
            maxResponseBodyBytes: Int? = nil,
            receiveBuffer: ReceiveBuffer = ReceiveBuffer()
        ) {
            self.httpVersion = httpVersion
            self.tls = tls
            self.proxy = proxy
            self.timeouts = timeouts
            self.connections = connections
            self.backPressure = backPressure
            self.maxResponseBodyBytes = maxResponseBodyBytes
            self.receiveBuffer = receiveBuffer
        }

        /// Throws ``SluiceError/Code/invalidConfiguration`` for a setting libcurl would not take as
        /// given (a receive buffer size outside ``ReceiveBuffer/allowedSizes``).
        func validate() throws(SluiceError) {
            for (name, size) in [("streaming", receiveBuffer.streaming), ("standard", receiveBuffer.standard)]
            where !ReceiveBuffer.allowedSizes.contains(size) {
                throw SluiceError(
                    .invalidConfiguration,
                    "receiveBuffer.\(name) is \(size) bytes; it must be \(ReceiveBuffer.allowedSizes.lowerBound)"
                        + "...\(ReceiveBuffer.allowedSizes.upperBound) bytes"
                )
            }
        }
    }
}

extension CurlTransport.Configuration {
    /// The HTTP version the transport speaks.
    public struct HTTPVersion: Hashable, Sendable, CustomStringConvertible {
        enum Base: Hashable, Sendable {
            case http1_1
            case http2
            case http2PriorKnowledge
        }

        let base: Base

        /// HTTP/1.1 only.
        public static let http1_1 = HTTPVersion(base: .http1_1)
        /// HTTP/2 over TLS when the server offers it (ALPN), HTTP/1.1 otherwise and for `http://` URLs
        /// (`CURL_HTTP_VERSION_2TLS`). Requests to one host share a connection, multiplexed.
        public static let http2 = HTTPVersion(base: .http2)
        /// HTTP/2 without negotiation, also over plain TCP (`h2c` prior knowledge). Use it only with a
        /// server known to speak HTTP/2, such as a local sidecar.
        ///
        /// - Important: libcurl 7.88.x (Debian 12) cannot reuse a prior-knowledge connection: every
        ///   request after the first on it fails with `CURLE_HTTP2` (curl issue 10634, fixed in 8.0).
        ///   Prefer ``http2`` over TLS with those versions.
        public static let http2PriorKnowledge = HTTPVersion(base: .http2PriorKnowledge)

        public var description: String {
            switch base {
            case .http1_1: "HTTP/1.1"
            case .http2: "HTTP/2 over TLS"
            case .http2PriorKnowledge: "HTTP/2 with prior knowledge"
            }
        }
    }

    /// TLS settings. libcurl uses OpenSSL.
    public struct TLS: Sendable {
        /// How to check the server's certificate. Default: ``CertificateVerification/fullVerification``.
        public var certificateVerification: CertificateVerification
        /// A PEM file of trusted CA certificates (`CURLOPT_CAINFO`), or `nil` for the system's bundle.
        public var caBundlePath: String?
        /// A directory of hashed CA certificates (`CURLOPT_CAPATH`), or `nil` for the system's default.
        public var caDirectoryPath: String?
        /// A certificate to present to the server, or `nil` (the default) for none.
        public var clientCertificate: ClientCertificate?

        public init(
            certificateVerification: CertificateVerification = .fullVerification,
            caBundlePath: String? = nil,
            caDirectoryPath: String? = nil,
            clientCertificate: ClientCertificate? = nil
        ) {
            self.certificateVerification = certificateVerification
            self.caBundlePath = caBundlePath
            self.caDirectoryPath = caDirectoryPath
            self.clientCertificate = clientCertificate
        }
    }

    /// How the server's certificate is checked.
    ///
    /// Only ``fullVerification`` keeps an API key safe from a server that poses as the provider; the
    /// other choices say so in their names, and a ``CurlTransport`` made with one of them logs a
    /// warning once.
    public struct CertificateVerification: Hashable, Sendable, CustomStringConvertible {
        enum Base: Hashable, Sendable {
            case full
            case noHostname
            case none
        }

        let base: Base

        /// The chain must lead to a trusted root and the certificate must name the host.
        public static let fullVerification = CertificateVerification(base: .full)
        /// Insecure: the chain must lead to a trusted root, but the host name is not checked, so any
        /// server with a certificate from a trusted root can pose as the provider and read the API key.
        public static let insecureNoHostnameVerification = CertificateVerification(base: .noHostname)
        /// Insecure: nothing is checked, so any server can pose as any host and read the API key. For
        /// tests against a local server with a self-signed certificate only.
        public static let insecureNoVerification = CertificateVerification(base: .none)

        /// Whether this is anything but ``fullVerification``.
        public var isInsecure: Bool { base != .full }

        public var description: String {
            switch base {
            case .full: "full verification"
            case .noHostname: "insecure: no host name verification"
            case .none: "insecure: no verification"
            }
        }
    }

    /// A client certificate and its private key, in PEM files.
    ///
    /// - Important: ``keyPassword`` never appears in a description, debug description or mirror.
    public struct ClientCertificate: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
        CustomReflectable
    {
        /// The certificate (`CURLOPT_SSLCERT`).
        public var certificatePath: String
        /// The private key (`CURLOPT_SSLKEY`), or `nil` when it is in the certificate file.
        public var keyPath: String?
        /// The key's password (`CURLOPT_KEYPASSWD`), or `nil` for an unencrypted key. Never printed.
        public var keyPassword: String?

        public init(certificatePath: String, keyPath: String? = nil, keyPassword: String? = nil) {
            self.certificatePath = certificatePath
            self.keyPath = keyPath
            self.keyPassword = keyPassword
        }

        public var description: String {
            "ClientCertificate(certificatePath: \(certificatePath), keyPath: \(keyPath ?? "nil"), "
                + "keyPassword: \(keyPassword == nil ? "nil" : "<redacted>"))"
        }

        public var debugDescription: String { description }

        public var customMirror: Mirror {
            Mirror(
                self,
                children: [
                    "certificatePath": certificatePath, "keyPath": keyPath as Any,
                    "keyPassword": keyPassword == nil ? "nil" : SecretRedaction.placeholder,
                ],
                displayStyle: .struct
            )
        }
    }

    /// Which proxy requests go through.
    ///
    /// - Important: A proxy URL's user and password never appear in a description, debug description
    ///   or mirror.
    public struct Proxy: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
        CustomReflectable
    {
        enum Base: Hashable, Sendable {
            case environment
            case disabled
            case url(String, noProxy: String?)
        }

        let base: Base

        /// libcurl reads the usual environment variables itself: `http_proxy` (lower case only),
        /// `https_proxy` / `HTTPS_PROXY`, `all_proxy` / `ALL_PROXY`, and `no_proxy` / `NO_PROXY` for the
        /// hosts to reach directly. With none of them set, requests go direct.
        public static let environment = Proxy(base: .environment)
        /// No proxy, whatever the environment says.
        public static let disabled = Proxy(base: .disabled)

        /// This proxy for every request, ignoring the proxy environment variables.
        ///
        /// - Parameters:
        ///   - url: such as `http://proxy.internal:3128` (`CURLOPT_PROXY`); user and password may be
        ///     given in it and are never printed.
        ///   - noProxy: a comma-separated list of hosts, domains and addresses to reach directly
        ///     (`CURLOPT_NOPROXY`), such as `localhost,127.0.0.1,.internal`.
        public static func url(_ url: String, noProxy: String? = nil) -> Proxy {
            Proxy(base: .url(url, noProxy: noProxy))
        }

        public var description: String {
            switch base {
            case .environment: "proxy from the environment"
            case .disabled: "no proxy"
            case .url: "explicit proxy"
            }
        }

        public var debugDescription: String {
            switch base {
            case .environment, .disabled: description
            case .url(let url, let noProxy):
                "explicit proxy \(SecretRedaction.redactingURL(url))" + (noProxy.map { " (not for \($0))" } ?? "")
            }
        }

        /// The choice, and for an explicit proxy its URL without user information.
        public var customMirror: Mirror {
            switch base {
            case .environment, .disabled:
                Mirror(self, children: ["choice": description], displayStyle: .struct)
            case .url(let url, let noProxy):
                Mirror(
                    self,
                    children: ["url": SecretRedaction.redactingURL(url), "noProxy": noProxy as Any],
                    displayStyle: .struct
                )
            }
        }
    }

    /// The transport's own time limits: a safety net under the deadline and attempt-timeout middleware.
    public struct Timeouts: Sendable {
        /// The longest a connection (TCP and TLS) may take to set up (`CURLOPT_CONNECTTIMEOUT_MS`).
        /// Default: 10 seconds.
        public var connect: Duration
        /// The longest the server may send nothing once the request has gone out, or `nil` (the
        /// default) for no limit. Fails the transfer with ``SluiceError/Code/timeout``.
        ///
        /// Checked on the transport's thread at about an eighth of the limit (at least every 5 ms, at
        /// most every second), so it fires between `idle` and `idle` plus that interval. Time while the
        /// transfer is paused because the consumer is not reading does not count, and neither does time
        /// spent waiting for a free connection before the request is sent.
        public var idle: Duration?
        /// The longest one transfer may take from start to end, body included, or `nil` (the default)
        /// for no limit (`CURLOPT_TIMEOUT_MS`, so it counts from the moment the transport starts the
        /// transfer, including any wait for a free connection). Fails with ``SluiceError/Code/timeout``.
        public var total: Duration?

        public init(connect: Duration = .seconds(10), idle: Duration? = nil, total: Duration? = nil) {
            self.connect = connect
            self.idle = idle
            self.total = total
        }
    }

    /// Connection limits. All transfers share one connection cache.
    public struct Connections: Sendable {
        /// The most connections open at once (`CURLMOPT_MAX_TOTAL_CONNECTIONS`). Requests beyond it
        /// wait inside libcurl for a free connection rather than fail. Keep it below the process's
        /// file descriptor limit. Default: 256.
        public var maxTotal: Int
        /// The most connections to one host, or `nil` (the default) for no limit other than
        /// ``maxTotal`` (`CURLMOPT_MAX_HOST_CONNECTIONS`).
        public var maxPerHost: Int?
        /// The most HTTP/2 streams libcurl opens on one connection before it opens another
        /// (`CURLMOPT_MAX_CONCURRENT_STREAMS`). Default: 100.
        public var maxConcurrentStreams: Int
        /// How many idle transfer handles the transport keeps for reuse. Default: 64.
        public var handleCacheSize: Int

        public init(
            maxTotal: Int = 256, maxPerHost: Int? = nil, maxConcurrentStreams: Int = 100, handleCacheSize: Int = 64
        ) {
            self.maxTotal = maxTotal
            self.maxPerHost = maxPerHost
            self.maxConcurrentStreams = maxConcurrentStreams
            self.handleCacheSize = handleCacheSize
        }
    }

    /// How much of a response body the transport buffers for a consumer that reads slower than the
    /// server sends.
    ///
    /// When the buffered bytes reach ``highWaterMark`` the transfer is paused (libcurl stops reading the
    /// socket, so TCP or HTTP/2 flow control slows the server); when the consumer has read the buffer
    /// down to ``lowWaterMark`` it resumes.
    public struct BackPressure: Sendable {
        /// Default: 256 KiB.
        public var highWaterMark: Int
        /// Default: 64 KiB. Values at or above the high-water mark are treated as half of it.
        public var lowWaterMark: Int

        public init(highWaterMark: Int = 256 * 1024, lowWaterMark: Int = 64 * 1024) {
            self.highWaterMark = highWaterMark
            self.lowWaterMark = lowWaterMark
        }

        /// The marks as used: high at least 1, low below high.
        var effective: (high: Int, low: Int) {
            let high = max(1, highWaterMark)
            let low = lowWaterMark < high ? max(0, lowWaterMark) : high / 2
            return (high, low)
        }
    }
}

extension CurlTransport.Configuration {
    /// The size of the buffer libcurl reads a transfer's response into (`CURLOPT_BUFFERSIZE`), which
    /// it allocates for each transfer while it runs: with many streams open at once it is a large part
    /// of what each one costs. It also bounds how many bytes one write to the response body carries.
    ///
    /// A request whose `Accept` header names `text/event-stream` — every streaming call of
    /// ``LLMClient`` sends one — is a streamed reply and gets ``streaming``; every other request gets
    /// ``standard``. Server-sent events are small and arrive a few at a time, so a small buffer costs
    /// a stream nothing (100 streams of 2,000 unpaced tokens each took as long with 2 KiB as with
    /// 4 or 16 KiB); a large body that arrives at once reads in fewer, larger pieces with a larger
    /// one.
    ///
    /// ```swift
    /// var configuration = CurlTransport.Configuration()
    /// configuration.receiveBuffer.streaming = 1024
    /// let transport = try CurlTransport(configuration: configuration)
    /// ```
    ///
    /// - Important: Each size must be within ``allowedSizes`` (libcurl's own bounds, 1 KiB to 10 MiB);
    ///   ``CurlTransport/init(configuration:logger:)`` throws
    ///   ``SluiceError/Code/invalidConfiguration`` otherwise.
    public struct ReceiveBuffer: Hashable, Sendable {
        /// The sizes libcurl accepts: 1 KiB to 10 MiB.
        public static let allowedSizes = 1024...(10 * 1024 * 1024)
        /// libcurl's own default, 16 KiB.
        static let libcurlDefault = 16 * 1024

        /// For a streamed reply (`Accept: text/event-stream`). Default: 2 KiB.
        public var streaming: Int
        /// For every other request. Default: 16 KiB.
        public var standard: Int

        public init(streaming: Int = 2 * 1024, standard: Int = 16 * 1024) {
            self.streaming = streaming
            self.standard = standard
        }
    }
}
