import Sluice
import Testing

@Suite("HTTPHeaders")
struct HTTPHeadersTests {
    @Test("lookup ignores case and keeps the first value; values(for:) keeps every value in order")
    func lookup() {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        headers.add(name: "X-Ratelimit-Remaining-Requests", value: "9")
        headers.add(name: "x-ratelimit-remaining-requests", value: "8")
        #expect(headers["content-type"] == "application/json")
        #expect(headers["X-RATELIMIT-REMAINING-REQUESTS"] == "9")
        #expect(headers.values(for: "x-ratelimit-remaining-requests") == ["9", "8"])
        headers["x-ratelimit-remaining-requests"] = "7"
        #expect(headers.values(for: "X-Ratelimit-Remaining-Requests") == ["7"])
        headers["content-type"] = nil
        #expect(!headers.contains("Content-Type"))
    }

    @Test("names compare ASCII letters without case and every other byte exactly")
    func nameComparison() {
        let headers: HTTPHeaders = ["x-a[": "1", "ÄB": "2", "Retry-After": "3"]
        #expect(headers["X-A["] == "1")
        #expect(headers["x-a{"] == nil)  // "[" is not "{" with its case changed
        #expect(headers["Äb"] == "2")
        #expect(headers["äb"] == nil)  // only ASCII letters fold
        #expect(headers["retry-after"] == "3")
        #expect(headers["retry-afte"] == nil)
        #expect(headers["retry-afterx"] == nil)
    }

    @Test(
        "a value with CR, LF or NUL is rejected as invalidHeader without echoing the value",
        arguments: ["Bearer MARKER\r\nX-Injected: 1", "MARKER\nnext", "MARKER\r", "MAR\u{0}KER"]
    )
    func rejectsLineBreaks(value: String) {
        let error = #expect(throws: SluiceError.self) {
            try HTTPHeaders.validate(.init(name: "Authorization", value: value))
        }
        #expect(error?.code == .invalidHeader)
        #expect(error.map { !String(describing: $0).contains("MARKER") && !String(describing: $0).contains("KER") } == true)
    }

    @Test("names must be HTTP tokens", arguments: ["", "Bad Name", "colon:", "naïve"])
    func rejectsBadNames(name: String) {
        #expect(throws: SluiceError.self) { try HTTPHeaders.validate(.init(name: name, value: "v")) }
    }

    @Test("ordinary headers pass validation")
    func acceptsOrdinary() throws {
        try HTTPHeaders.validate(.init(name: "anthropic-version", value: "2023-06-01"))
        try HTTPHeaders.validate(.init(name: "X-Custom_Header.1", value: "a b\tc"))
    }

    @Test("description redacts credential headers")
    func redactsCredentials() {
        let headers: HTTPHeaders = ["Authorization": "Bearer sk-live-123", "x-api-key": "sk-ant-456", "accept": "*/*"]
        let text = headers.description
        #expect(!text.contains("sk-live-123"))
        #expect(!text.contains("sk-ant-456"))
        #expect(text.contains("accept: */*"))
    }
}
