import CCurl

/// What libcurl said when a transfer failed: the ``SluiceError/cause`` of a ``SluiceError`` thrown by
/// ``CurlTransport``.
///
/// Match on the ``SluiceError/code`` of the outer error; look here for the details worth logging.
///
/// ```swift
/// catch let error as SluiceError {
///     if let curl = error.cause as? CurlError { logger.debug("curl failed: \(curl)") }
/// }
/// ```
///
/// - Important: The texts come from libcurl and name hosts, ports and addresses, never header values,
///   so they carry no API key. The transport never passes a URL's user information to them. The
///   description and mirror redact key-like text all the same.
public struct CurlError: Error, Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    /// libcurl's `CURLcode` number, such as 7 for `CURLE_COULDNT_CONNECT`.
    public var code: Int
    /// The symbolic name of ``code``, such as `CURLE_COULDNT_CONNECT`.
    public var name: String
    /// libcurl's fixed text for ``code`` (`curl_easy_strerror`).
    public var summary: String
    /// The transfer's error buffer (`CURLOPT_ERRORBUFFER`): what went wrong in this transfer, such as
    /// "Failed to connect to 127.0.0.1 port 9: Connection refused". Empty when libcurl left none.
    public var detail: String

    public init(code: Int, name: String, summary: String, detail: String = "") {
        self.code = code
        self.name = name
        self.summary = summary
        self.detail = detail
    }

    /// The error for a `CURLcode`, with its name and libcurl's text.
    init(_ code: CURLcode, detail: String = "") {
        let number = Int(code.rawValue)
        self.init(
            code: number,
            name: Self.name(of: number),
            summary: String(cString: curl_easy_strerror(code)),
            detail: detail
        )
    }

    /// The error for a `CURLMcode` from the multi interface (for example a failed `curl_multi_add_handle`).
    init(multi code: CURLMcode) {
        let number = Int(code.rawValue)
        self.init(
            code: number,
            name: "CURLM_\(number)",
            summary: String(cString: curl_multi_strerror(code)),
            detail: ""
        )
    }

    public var description: String {
        SecretRedaction.redact(
            detail.isEmpty ? "\(name) (\(code)): \(summary)" : "\(name) (\(code)): \(summary): \(detail)")
    }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "code": code, "name": name, "summary": SecretRedaction.redact(summary),
                "detail": SecretRedaction.redact(detail),
            ],
            displayStyle: .struct
        )
    }

    /// The symbolic name of a `CURLcode` number, or `CURLE_<number>` for one this libcurl doesn't know.
    static func name(of code: Int) -> String {
        guard let name = sluice_curl_code_name(Int32(truncatingIfNeeded: code)) else { return "CURLE_\(code)" }
        return String(cString: name)
    }

    /// The ``SluiceError/Code`` a `CURLcode` maps to.
    ///
    /// `CURLE_WRITE_ERROR` and `CURLE_ABORTED_BY_CALLBACK` only happen when the transport itself stops a
    /// transfer from a callback; the transport reports its own reason then, so they map to
    /// ``SluiceError/Code/transportFailure`` here.
    static func sluiceCode(for code: CURLcode, viaExplicitProxy: Bool = false) -> SluiceError.Code {
        switch code {
        case CURLE_COULDNT_CONNECT:
            // With a proxy, curl only ever connects to the proxy.
            return viaExplicitProxy ? .proxyFailure : .connectionRefused
        case CURLE_COULDNT_RESOLVE_HOST:
            return .dnsFailure
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_PROXY:
            return .proxyFailure
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_USE_SSL_FAILED,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT:
            return .tlsFailure
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2_STREAM:
            return .connectionClosed
        case CURLE_WEIRD_SERVER_REPLY, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_CONTENT_ENCODING, CURLE_HTTP2,
            CURLE_RANGE_ERROR, CURLE_FILESIZE_EXCEEDED:
            // The URL's scheme is checked before sending, so an unsupported protocol here is a reply
            // libcurl refuses to read (such as HTTP/0.9).
            return .invalidResponse
        case CURLE_URL_MALFORMAT:
            return .invalidURL
        default:
            return .transportFailure
        }
    }

    /// A short description of a ``SluiceError/Code`` for the message of the error wrapping this one.
    static func message(for code: SluiceError.Code) -> String {
        switch code {
        case .connectionRefused: "could not connect to the server"
        case .dnsFailure: "could not resolve the host name"
        case .proxyFailure: "the proxy could not be reached or refused the request"
        case .tlsFailure: "the TLS handshake failed or the server's certificate is not trusted"
        case .timeout: "the transfer timed out"
        case .connectionClosed: "the connection was closed before the response was complete"
        case .invalidResponse: "the server's reply is not a valid HTTP response"
        case .invalidURL: "the URL is not valid"
        default: "the transfer failed"
        }
    }

    /// Wraps this error in the ``SluiceError`` the transport throws.
    func sluiceError(viaExplicitProxy: Bool = false, status: Int? = nil) -> SluiceError {
        let code = Self.sluiceCode(
            for: CURLcode(UInt32(truncatingIfNeeded: self.code)), viaExplicitProxy: viaExplicitProxy)
        return SluiceError(code, "\(Self.message(for: code)) (\(self))", status: status, cause: self)
    }
}
