import CCurl
import Testing

@testable import Sluice

@Suite("CurlTransport request validation")
struct CurlRequestValidationTests {
    @Test(
        "http and https URLs with a host are accepted",
        arguments: ["http://127.0.0.1:8080/v1/chat?x=1", "https://api.example.com", "HTTPS://[::1]:443/p"])
    func acceptsURLs(url: String) throws {
        let handle = try CurlTransfer.parseURL(url)
        curl_url_cleanup(handle)
    }

    @Test(
        "malformed, relative and non-HTTP URLs are rejected as invalidURL without repeating the URL",
        arguments: [
            "", "not a url", "ftp://host/f", "file:///etc/passwd", "http://", "//host/p", "http://ho st/",
            "https://h/\u{0}?key=SECRET",
        ]
    )
    func rejectsURLs(url: String) {
        let error = #expect(throws: SluiceError.self) { _ = try CurlTransfer.parseURL(url) }
        #expect(error?.code == .invalidURL)
        #expect(error.map { !$0.message.contains("SECRET") } == true)
    }

    @Test("a transport parses a URL once for the requests that repeat it, and checks every other URL")
    func reusesParsedURL() async throws {
        let transport = try CurlTransport()
        let first = try transport.loop.parsedURL("http://127.0.0.1:8080/v1/chat/completions")
        let again = try transport.loop.parsedURL("http://127.0.0.1:8080/v1/chat/completions")
        #expect(first === again)
        let other = try transport.loop.parsedURL("http://127.0.0.1:8080/v1/embeddings")
        #expect(other !== first)
        #expect(other.text == "http://127.0.0.1:8080/v1/embeddings")
        let error = #expect(throws: SluiceError.self) { _ = try transport.loop.parsedURL("ftp://127.0.0.1/f") }
        #expect(error?.code == .invalidURL)
        // A rejected URL does not replace the one parsed last.
        #expect(try transport.loop.parsedURL("http://127.0.0.1:8080/v1/embeddings") === other)
        await transport.shutdown()
    }

    @Test("methods must be tokens", arguments: ["GET\r\n", "", "PO ST", "GET /x HTTP/1.1"])
    func rejectsMethods(method: String) {
        let error = #expect(throws: SluiceError.self) { try CurlTransfer.validateMethod(HTTPMethod(method)) }
        #expect(error?.code == .invalidRequest)
    }

    @Test("the header list carries every field, empty values as Name;, and suppresses Expect and the form content type")
    func headerList() throws {
        var headers: HTTPHeaders = ["authorization": "Bearer k", "x-empty": ""]
        headers.add(name: "x-twice", value: "1")
        headers.add(name: "x-twice", value: "2")
        let lines = try Self.lines(CurlTransfer.makeHeaderList(headers, body: [1]).list)
        #expect(
            lines == ["authorization: Bearer k", "x-empty;", "x-twice: 1", "x-twice: 2", "Expect:", "Content-Type:"])
        let withOwn = try Self.lines(
            CurlTransfer.makeHeaderList(["Expect": "100-continue", "content-type": "application/json"], body: [1]).list
        )
        #expect(withOwn == ["Expect: 100-continue", "content-type: application/json"])
        #expect(try Self.lines(CurlTransfer.makeHeaderList([:], body: nil).list) == ["Expect:"])
    }

    @Test("the body is copied after the header lines, in the list's block; an empty body still has an address")
    func bodyCopy() throws {
        let body: [UInt8] = Array("{\"model\":\"m\"}".utf8)
        let made = try CurlTransfer.makeHeaderList(["content-type": "application/json"], body: body)
        let copy = try #require(made.body)
        #expect(Array(copy) == body)
        #expect(Self.lines(made.list) == ["content-type: application/json", "Expect:"])
        let empty = try CurlTransfer.makeHeaderList([:], body: [])
        #expect(empty.body?.count == 0 && empty.body?.baseAddress != nil)
        #expect(Self.lines(empty.list) == ["Expect:", "Content-Type:"])
        let none = try CurlTransfer.makeHeaderList([:], body: nil)
        #expect(none.body == nil)
        _ = Self.lines(none.list)
    }

    @Test("a header with CR or LF fails the whole list with invalidHeader", arguments: ["v\r\nx: y", "v\n", "v\r"])
    func rejectsInjection(value: String) {
        let error = #expect(throws: SluiceError.self) {
            _ = try CurlTransfer.makeHeaderList(["x-ok": "1", "x-api-key": value], body: nil)
        }
        #expect(error?.code == .invalidHeader)
    }

    private static func lines(_ list: UnsafeMutablePointer<curl_slist>?) -> [String] {
        var result: [String] = []
        var node = list
        while let current = node {
            result.append(String(cString: current.pointee.data))
            node = current.pointee.next
        }
        if let list { CurlTransfer.freeHeaderList(list) }
        return result
    }
}
