import CCurl
import Testing

@testable import Sluice

@Suite("CurlError")
struct CurlErrorTests {
    @Test(
        "libcurl codes map to the SluiceError code a caller matches on",
        arguments: [
            (CURLE_COULDNT_CONNECT, SluiceError.Code.connectionRefused),
            (CURLE_COULDNT_RESOLVE_HOST, .dnsFailure),
            (CURLE_COULDNT_RESOLVE_PROXY, .proxyFailure),
            (CURLE_PROXY, .proxyFailure),
            (CURLE_SSL_CONNECT_ERROR, .tlsFailure),
            (CURLE_PEER_FAILED_VERIFICATION, .tlsFailure),
            (CURLE_SSL_CACERT_BADFILE, .tlsFailure),
            (CURLE_SSL_CERTPROBLEM, .tlsFailure),
            (CURLE_OPERATION_TIMEDOUT, .timeout),
            (CURLE_RECV_ERROR, .connectionClosed),
            (CURLE_SEND_ERROR, .connectionClosed),
            (CURLE_GOT_NOTHING, .connectionClosed),
            (CURLE_PARTIAL_FILE, .connectionClosed),
            (CURLE_HTTP2_STREAM, .connectionClosed),
            (CURLE_WEIRD_SERVER_REPLY, .invalidResponse),
            (CURLE_UNSUPPORTED_PROTOCOL, .invalidResponse),
            (CURLE_HTTP2, .invalidResponse),
            (CURLE_URL_MALFORMAT, .invalidURL),
            (CURLE_OUT_OF_MEMORY, .transportFailure),
            (CURLE_WRITE_ERROR, .transportFailure),
        ]
    )
    func mapping(code: CURLcode, expected: SluiceError.Code) {
        #expect(CurlError.sluiceCode(for: code) == expected)
    }

    @Test("a failed connect through an explicit proxy is the proxy's failure")
    func connectViaProxy() {
        #expect(CurlError.sluiceCode(for: CURLE_COULDNT_CONNECT, viaExplicitProxy: true) == .proxyFailure)
    }

    @Test("the error keeps libcurl's number, name, text and error buffer, and is the cause of the SluiceError")
    func wrapping() throws {
        let curl = CurlError(CURLE_COULDNT_CONNECT, detail: "Failed to connect to 127.0.0.1 port 9: Connection refused")
        #expect(curl.code == 7)
        #expect(curl.name == "CURLE_COULDNT_CONNECT")
        #expect(curl.summary == "Couldn't connect to server")
        let error = curl.sluiceError()
        #expect(error.code == .connectionRefused)
        #expect(try #require(error.cause as? CurlError) == curl)
        #expect(error.message.contains("CURLE_COULDNT_CONNECT"))
        #expect(error.message.contains("port 9"))
    }

    @Test("a code this libcurl does not name gets a numeric name")
    func unknownName() {
        #expect(CurlError.name(of: 9999) == "CURLE_9999")
        #expect(CurlError.name(of: 28) == "CURLE_OPERATION_TIMEDOUT")
    }
}
