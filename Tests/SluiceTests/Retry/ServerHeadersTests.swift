@testable import Sluice
import Testing

@Suite("Server headers")
struct ServerHeadersTests {
    @Test(
        "parses OpenAI's Go-style reset durations",
        arguments: [
            ("1s", Duration.seconds(1)), ("6m0s", .seconds(360)), ("20ms", .milliseconds(20)),
            ("1m30s", .seconds(90)), ("2.5s", .milliseconds(2500)), ("1h2m3s", .seconds(3723)), ("0", .zero),
            ("350us", .microseconds(350)), ("2µs", .microseconds(2)), ("3μs", .microseconds(3)),
            ("1.5h", .seconds(5400)), ("999999999999999999999h", .seconds(1_000_000_000)),
        ])
    func goDurations(text: String, expected: Duration) {
        #expect(ServerHeaders.goDuration(Substring(text)) == expected)
    }

    @Test("rejects malformed durations", arguments: ["", "s", "5", "1x", "1.2.3s", "-1s", "1sx", "1µ", "ms5", "1e3s"])
    func badDurations(text: String) {
        #expect(ServerHeaders.goDuration(Substring(text)) == nil)
    }

    @Test("parses HTTP dates in IMF-fixdate, RFC 850 and asctime forms")
    func httpDates() {
        let expected = Duration.seconds(784_111_777)
        #expect(ServerHeaders.httpDate("Sun, 06 Nov 1994 08:49:37 GMT") == expected)
        #expect(ServerHeaders.httpDate("Sunday, 06-Nov-94 08:49:37 GMT") == expected)
        #expect(ServerHeaders.httpDate("Sun Nov  6 08:49:37 1994") == expected)
        #expect(ServerHeaders.httpDate("yesterday") == nil)
    }

    @Test("the rate limiter reads retry-after as the retry layer does: milliseconds first, seconds, an HTTP date from the date header")
    func retryAfterAgreement() {
        let wallNow = { Duration.seconds(784_111_000) }
        let cases: [([(String, String)], Duration?)] = [
            ([("retry-after-ms", "1250"), ("retry-after", "7")], .milliseconds(1_250)),
            ([("retry-after", "7")], .seconds(7)),
            ([("retry-after", " \t7\t ")], .seconds(7)),
            ([("retry-after-ms", " \t "), ("retry-after", "\t2")], .seconds(2)),
            ([("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT"), ("date", "Sun, 06 Nov 1994 08:49:27 GMT")], .seconds(10)),
            ([("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")], .seconds(777)),
            ([("retry-after", "0")], nil),
            ([("retry-after", "-3")], nil),
            ([("retry-after", "soon")], nil),
        ]
        for (fields, expected) in cases {
            let headers = HTTPHeaders(fields)
            let observed = RateLimitObservation(headers: headers, wallNow: wallNow)?.retryAfter
            let retry = ServerHeaders.serverDelay(status: 429, headers: headers, wallNow: wallNow)?.0
            #expect(observed == expected, "\(fields)")
            #expect(retry == expected, "\(fields)")
        }
    }

    @Test("parses RFC 3339 instants with fractions and offsets")
    func rfc3339() {
        #expect(ServerHeaders.rfc3339("1994-11-06T08:49:37Z") == .seconds(784_111_777))
        #expect(ServerHeaders.rfc3339("1994-11-06T09:49:37.5+01:00") == .seconds(784_111_777) + .milliseconds(500))
        #expect(ServerHeaders.rfc3339("1970-01-01T00:00:00Z") == .zero)
        #expect(ServerHeaders.rfc3339("1994-11-06 08:49") == nil)
    }

    @Test("x-should-retry is read as true, false, or absent")
    func shouldRetry() {
        #expect(ServerHeaders.shouldRetry(["x-should-retry": "true"]) == true)
        #expect(ServerHeaders.shouldRetry(["x-should-retry": " FALSE "]) == false)
        #expect(ServerHeaders.shouldRetry(["x-should-retry": "maybe"]) == nil)
        #expect(ServerHeaders.shouldRetry([:]) == nil)
    }

    @Test("without a date header, absolute instants count from the wall clock")
    func wallClockReference() {
        let delay = ServerHeaders.serverDelay(
            status: 503, headers: ["retry-after": "Sun, 06 Nov 1994 08:49:47 GMT"],
            wallNow: { .seconds(784_111_777) })
        #expect(delay?.0 == .seconds(10))
        #expect(delay?.1 == .retryAfter)
    }
}
