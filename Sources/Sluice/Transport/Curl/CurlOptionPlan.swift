import CCurl

/// One `curl_easy_setopt` or `curl_multi_setopt` call derived from the configuration.
struct CurlOptionSetting: Equatable, Sendable, CustomStringConvertible {
    enum Value: Equatable, Sendable {
        case long(Int)
        case string(String)
    }

    var option: UInt32
    var value: Value

    var description: String {
        switch value {
        case .long(let number): "\(option)=\(number)"
        case .string: "\(option)=<string>"
        }
    }
}

/// The options a ``CurlTransport/Configuration`` sets: the same on every transfer (easy options) and
/// once on the multi handle. Computed once per transport; the strings are copied to C once and the
/// copies live as long as the plan.
final class CurlOptionPlan: @unchecked Sendable {
    /// In the order they are applied. Pure data, for inspection and tests.
    let easySettings: [CurlOptionSetting]
    let multiSettings: [CurlOptionSetting]
    /// Whether an explicit proxy URL is configured (so a failed connect is the proxy's failure).
    let usesExplicitProxy: Bool
    /// Whether an `https` transfer should wait for a connection that can multiplex (HTTP/2 over TLS
    /// negotiates it with ALPN during the handshake). Never set for plain `http` under `.http2`:
    /// there libcurl cannot learn whether it may multiplex until the first answer arrives, and would
    /// hold every other request to the host until then — a burst admitted by the rate limiter would
    /// reach the server late and all at once.
    let waitsForMultiplexingOverTLS: Bool
    /// `CURLOPT_BUFFERSIZE` for a streamed reply and for any other, `nil` where it is libcurl's
    /// default (libcurl allocates the buffer when a transfer starts and frees it when it ends, and
    /// `curl_easy_reset` restores the default, so a recycled handle needs nothing set for it).
    let streamingReceiveBufferSize: Int?
    let standardReceiveBufferSize: Int?

    private let longs: [(CURLoption, Int)]
    private let strings: [(CURLoption, UnsafeMutablePointer<CChar>)]

    init(_ configuration: CurlTransport.Configuration) {
        easySettings = Self.easySettings(for: configuration)
        multiSettings = Self.multiSettings(for: configuration)
        if case .url = configuration.proxy.base { usesExplicitProxy = true } else { usesExplicitProxy = false }
        waitsForMultiplexingOverTLS = configuration.httpVersion == .http2
        let buffer = configuration.receiveBuffer
        let libcurlDefault = CurlTransport.Configuration.ReceiveBuffer.libcurlDefault
        streamingReceiveBufferSize = buffer.streaming == libcurlDefault ? nil : buffer.streaming
        standardReceiveBufferSize = buffer.standard == libcurlDefault ? nil : buffer.standard
        var longs: [(CURLoption, Int)] = []
        var strings: [(CURLoption, UnsafeMutablePointer<CChar>)] = []
        for setting in easySettings {
            switch setting.value {
            case .long(let number): longs.append((CURLoption(setting.option), number))
            case .string(let text): strings.append((CURLoption(setting.option), Self.duplicate(text)))
            }
        }
        self.longs = longs
        self.strings = strings
    }

    deinit {
        for (_, pointer) in strings {
            // Wipe secrets (key password, proxy credentials) before freeing.
            var cursor = pointer
            while cursor.pointee != 0 {
                cursor.pointee = 0
                cursor += 1
            }
            pointer.deallocate()
        }
    }

    /// Sets every easy option of the plan on a handle; returns the first failure.
    func apply(to easy: UnsafeMutableRawPointer) -> CURLcode {
        for (option, number) in longs {
            let code = sluice_easy_setopt_long(easy, option, number)
            if code != CURLE_OK { return code }
        }
        for (option, pointer) in strings {
            let code = sluice_easy_setopt_pointer(easy, option, pointer)
            if code != CURLE_OK { return code }
        }
        return CURLE_OK
    }

    /// Sets every multi option of the plan.
    func apply(toMulti multi: UnsafeMutableRawPointer) -> CURLMcode {
        for setting in multiSettings {
            guard case .long(let number) = setting.value else { continue }
            let code = sluice_multi_setopt_long(multi, CURLMoption(setting.option), number)
            if code != CURLM_OK { return code }
        }
        return CURLM_OK
    }

    static func easySettings(for configuration: CurlTransport.Configuration) -> [CurlOptionSetting] {
        var settings: [CurlOptionSetting] = []
        func long(_ option: CURLoption, _ value: Int) {
            settings.append(CurlOptionSetting(option: option.rawValue, value: .long(value)))
        }
        func string(_ option: CURLoption, _ value: String) {
            settings.append(CurlOptionSetting(option: option.rawValue, value: .string(value)))
        }

        // Never raise signals: the transport runs on its own thread inside a multi-threaded process.
        long(CURLOPT_NOSIGNAL, 1)
        // The head handed to the caller is the origin's; a proxy's CONNECT reply is not passed on.
        long(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1)
        long(CURLOPT_TCP_NODELAY, 1)
        // A redirect is handed to the caller as the 3xx it is, never followed: following it would send
        // the request, and its API key header, to whatever host the server names. Off by default in
        // libcurl; set here so that no libcurl build or later change can turn it on unnoticed.
        long(CURLOPT_FOLLOWLOCATION, 0)
        long(CURLOPT_MAXREDIRS, 0)
        // And were one ever followed, credentials would not go to another host.
        long(CURLOPT_UNRESTRICTED_AUTH, 0)

        switch configuration.httpVersion.base {
        case .http1_1: long(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        case .http2: long(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        case .http2PriorKnowledge: long(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE))
        }
        // With prior knowledge every connection multiplexes: wait for one rather than open a second.
        // Under `.http2` the transfer sets it only for `https` (see `waitsForMultiplexingOverTLS`).
        if configuration.httpVersion == .http2PriorKnowledge { long(CURLOPT_PIPEWAIT, 1) }

        long(CURLOPT_CONNECTTIMEOUT_MS, milliseconds(configuration.timeouts.connect))
        if let total = configuration.timeouts.total { long(CURLOPT_TIMEOUT_MS, milliseconds(total)) }

        let tls = configuration.tls
        switch tls.certificateVerification.base {
        case .full:
            long(CURLOPT_SSL_VERIFYPEER, 1)
            long(CURLOPT_SSL_VERIFYHOST, 2)
        case .noHostname:
            long(CURLOPT_SSL_VERIFYPEER, 1)
            long(CURLOPT_SSL_VERIFYHOST, 0)
        case .none:
            long(CURLOPT_SSL_VERIFYPEER, 0)
            long(CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let path = tls.caBundlePath { string(CURLOPT_CAINFO, path) }
        if let path = tls.caDirectoryPath { string(CURLOPT_CAPATH, path) }
        if let client = tls.clientCertificate {
            string(CURLOPT_SSLCERT, client.certificatePath)
            if let key = client.keyPath { string(CURLOPT_SSLKEY, key) }
            if let password = client.keyPassword { string(CURLOPT_KEYPASSWD, password) }
        }

        switch configuration.proxy.base {
        case .environment:
            break
        case .disabled:
            // An empty proxy disables the environment variables too.
            string(CURLOPT_PROXY, "")
        case .url(let url, let noProxy):
            string(CURLOPT_PROXY, url)
            if let noProxy { string(CURLOPT_NOPROXY, noProxy) }
        }
        return settings
    }

    static func multiSettings(for configuration: CurlTransport.Configuration) -> [CurlOptionSetting] {
        let connections = configuration.connections
        let total = max(1, connections.maxTotal)
        return [
            CurlOptionSetting(option: CURLMOPT_PIPELINING.rawValue, value: .long(Int(CURLPIPE_MULTIPLEX))),
            CurlOptionSetting(option: CURLMOPT_MAX_TOTAL_CONNECTIONS.rawValue, value: .long(total)),
            CurlOptionSetting(
                option: CURLMOPT_MAX_HOST_CONNECTIONS.rawValue, value: .long(max(0, connections.maxPerHost ?? 0))),
            CurlOptionSetting(option: CURLMOPT_MAXCONNECTS.rawValue, value: .long(total)),
            CurlOptionSetting(
                option: CURLMOPT_MAX_CONCURRENT_STREAMS.rawValue,
                value: .long(max(1, connections.maxConcurrentStreams))
            ),
        ]
    }

    /// The receive buffer size to set for a request with these headers (see
    /// ``CurlTransport/Configuration/ReceiveBuffer``), or `nil` for libcurl's default.
    func receiveBufferSize(for headers: HTTPHeaders) -> Int? {
        Self.asksForEventStream(headers) ? streamingReceiveBufferSize : standardReceiveBufferSize
    }

    /// Whether a request asks for a streamed reply: an `Accept` field naming `text/event-stream`
    /// (ASCII case-insensitive). Allocates nothing.
    static func asksForEventStream(_ headers: HTTPHeaders) -> Bool {
        let wanted = "text/event-stream".utf8
        for field in headers where HTTPHeaders.namesEqual(field.name, "accept") {
            let value = field.value.utf8
            var start = value.startIndex
            while start != value.endIndex {
                if value[start...].starts(with: wanted, by: { HTTPHeaders.asciiLowercased($0) == $1 }) { return true }
                value.formIndex(after: &start)
            }
        }
        return false
    }

    /// A duration in whole milliseconds, rounded up and at least 1 (0 means "no limit" to libcurl).
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 1 }
        if seconds >= Int64(Int32.max) / 1000 { return Int(Int32.max) }
        let wholeMillis = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
        let rest = attoseconds % 1_000_000_000_000_000
        return max(1, wholeMillis + (rest > 0 ? 1 : 0))
    }

    private static func duplicate(_ text: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = Array(text.utf8)
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
        for (index, byte) in utf8.enumerated() { pointer[index] = CChar(bitPattern: byte) }
        pointer[utf8.count] = 0
        return pointer
    }
}
