import Testing

@testable import Sluice

@Suite("CurlResponseHead")
struct CurlResponseHeadTests {
    @Test(
        "status lines of every HTTP version give their status",
        arguments: [
            ("HTTP/1.1 200 OK\r\n", 200), ("HTTP/1.0 404 Not Found\r\n", 404), ("HTTP/2 429 \r\n", 429),
            ("HTTP/3 503\r\n", 503), ("HTTP/1.1 100 Continue\r\n", 100), ("HTTP/1.1  201 Created\n", 201),
        ]
    )
    func statusLine(line: String, status: Int) {
        let bytes = Array(line.utf8)
        #expect(bytes.withUnsafeBytes { CurlResponseHead.status(ofStatusLine: $0) } == status)
    }

    @Test(
        "header lines and blank lines are not status lines",
        arguments: ["content-type: x\r\n", "\r\n", "HTTP/1.1 2\r\n", "HTTP"])
    func notStatusLine(line: String) {
        let bytes = Array(line.utf8)
        #expect(bytes.withUnsafeBytes { CurlResponseHead.status(ofStatusLine: $0) } == nil)
    }

    @Test("only CRLF or LF alone is the blank line that ends a head")
    func blankLine() {
        for (line, blank) in [("\r\n", true), ("\n", true), (" \r\n", false), ("a\r\n", false), ("", false)] {
            #expect(Array(line.utf8).withUnsafeBytes { CurlResponseHead.isBlankLine($0) } == blank)
        }
    }

    @Test("header lines parse in order, with trimmed values, duplicates, folding and empty values")
    func parseHeaders() {
        let block = Array(
            ("Content-Type: application/json\r\n" + "x-ratelimit-remaining-requests:  9 \r\n" + "Set-Cookie: a=1\r\n"
                + "Set-Cookie: b=2\r\n" + "X-Folded: first\r\n" + " \t second part\r\n" + "X-Empty:\r\n"
                + "no colon here\r\n" + ": no name\r\n" + "Bare-LF: yes\n").utf8
        )
        let headers = CurlResponseHead.parseHeaders(block)
        #expect(
            headers.fields.map(\.name) == [
                "Content-Type", "x-ratelimit-remaining-requests", "Set-Cookie", "Set-Cookie", "X-Folded", "X-Empty",
                "Bare-LF",
            ])
        #expect(headers["content-type"] == "application/json")
        #expect(headers["X-RateLimit-Remaining-Requests"] == "9")
        #expect(headers.values(for: "set-cookie") == ["a=1", "b=2"])
        #expect(headers["x-folded"] == "first second part")
        #expect(headers["x-empty"] == "")
        #expect(headers["bare-lf"] == "yes")
    }

    @Test("the expected content length comes from one valid Content-Length, or is 0 when there can be no body")
    func expectedLength() {
        #expect(
            CurlResponseHead.expectedContentLength(status: 200, isHeadRequest: false, headers: ["content-length": "42"])
                == 42)
        #expect(CurlResponseHead.expectedContentLength(status: 200, isHeadRequest: false, headers: [:]) == nil)
        #expect(
            CurlResponseHead.expectedContentLength(status: 200, isHeadRequest: false, headers: ["content-length": "4x"])
                == nil)
        #expect(
            CurlResponseHead.expectedContentLength(status: 200, isHeadRequest: false, headers: ["content-length": "-1"])
                == nil)
        #expect(
            CurlResponseHead.expectedContentLength(
                status: 200, isHeadRequest: false,
                headers: HTTPHeaders([("content-length", "1"), ("content-length", "2")])
            ) == nil
        )
        #expect(
            CurlResponseHead.expectedContentLength(status: 200, isHeadRequest: true, headers: ["content-length": "42"])
                == 0)
        #expect(CurlResponseHead.expectedContentLength(status: 204, isHeadRequest: false, headers: [:]) == 0)
        #expect(
            CurlResponseHead.expectedContentLength(status: 304, isHeadRequest: false, headers: ["content-length": "9"])
                == 0)
    }
}
