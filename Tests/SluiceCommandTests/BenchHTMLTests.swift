#if canImport(Glibc)
    import Glibc
#endif
import Sluice
import Testing

@testable import sluice

@Suite("sluice bench --report: timeline, histograms and the HTML page")
struct BenchHTMLTests {
    static func event(
        _ kind: ClientEvent.Kind, call: UInt64, at milliseconds: Int64, key: String? = "KEY_A"
    ) -> ClientEvent {
        ClientEvent(
            kind: kind, callID: call, provider: .openAI, model: "gpt-4o-mini", operation: .streamChat, attempt: 1,
            keyID: key.map { KeyID(apiKey: "unused", label: $0) }, instant: .milliseconds(milliseconds))
    }

    /// Two calls on two keys: the first answered 429 then succeeded, the second succeeded; one
    /// learned token limit.
    static func recordedState() -> BenchRecorder.State {
        let recorder = BenchRecorder()
        recorder.handle(event(.requestStarted, call: 1, at: 1_000))
        recorder.handle(event(.requestStarted, call: 2, at: 1_100))
        recorder.handle(event(.attemptStarted, call: 1, at: 1_200))
        var limited = event(.responseHead, call: 1, at: 1_300)
        limited.status = 429
        recorder.handle(limited)
        recorder.handle(event(.retryScheduled, call: 1, at: 1_300))
        recorder.handle(event(.attemptStarted, call: 2, at: 1_400, key: "KEY_<B>"))
        var learned = event(.limitLearned, call: 2, at: 1_500, key: "KEY_<B>")
        learned.reason = "tokens"
        learned.limit = 6_000
        recorder.handle(learned)
        recorder.handle(event(.attemptStarted, call: 1, at: 2_500))
        var first = event(.requestSucceeded, call: 1, at: 3_200)
        first.latency = .milliseconds(2_200)
        first.usage = Usage(inputTokens: 100, outputTokens: 20)
        recorder.handle(first)
        var second = event(.requestSucceeded, call: 2, at: 3_900, key: "KEY_<B>")
        second.latency = .milliseconds(2_800)
        // A hostile count: negative input counts as none.
        second.usage = Usage(inputTokens: -5, outputTokens: 30)
        recorder.handle(second)
        return recorder.snapshot()
    }

    @Test("the recorder buckets calls, 429s, retries and tokens by second since the first event, and per key")
    func timeline() {
        let state = Self.recordedState()
        let timeline = state.timeline
        #expect(timeline.bucketSeconds == 1)
        #expect(timeline.buckets.count == 3)
        #expect(timeline.buckets[0].started == 2)
        #expect(timeline.buckets[0].rateLimited == 1)
        #expect(timeline.buckets[0].retries == 1)
        #expect(timeline.buckets[2].completed == 2)
        #expect(timeline.buckets[2].inputTokens == 100)
        #expect(timeline.buckets[2].outputTokens == 50)
        #expect(timeline.keys["KEY_A"] == BenchTimeline.KeyUse(attempts: 2, succeeded: 1, inputTokens: 100, outputTokens: 20))
        #expect(timeline.keys["KEY_<B>"] == BenchTimeline.KeyUse(attempts: 1, succeeded: 1, inputTokens: 0, outputTokens: 30))
        #expect(timeline.learnedPoolLimit("tokens") == 6_000)
        #expect(timeline.learnedPoolLimit("requests") == nil)
        #expect(state.latencyHistogram.count == 2)
    }

    @Test("a long run keeps at most maxBuckets buckets, coarsened, with every count kept")
    func bounded() {
        var timeline = BenchTimeline()
        let seconds = 10 * BenchTimeline.maxBuckets
        for second in 0..<seconds {
            timeline.record(at: .seconds(second)) { $0.completed += 1 }
        }
        timeline.record(at: .seconds(-3)) { $0.completed += 1 }
        #expect(timeline.buckets.count <= BenchTimeline.maxBuckets)
        #expect(timeline.bucketSeconds == 16)
        #expect(timeline.buckets.reduce(0) { $0 + $1.completed } == seconds + 1)
        for index in 0..<(BenchTimeline.maxKeys + 5) {
            timeline.recordKey("K\(index)") { $0.attempts += 1 }
        }
        #expect(timeline.keys.count == BenchTimeline.maxKeys + 1)
        #expect(timeline.keys[BenchTimeline.otherKey]?.attempts == 5)
    }

    @Test("the histogram's percentile curve rises from the least to the greatest value; empty has no curve")
    func histogram() throws {
        var histogram = BenchHistogram()
        #expect(histogram.curve.isEmpty)
        for milliseconds in 1...1_000 { histogram.record(.milliseconds(milliseconds)) }
        histogram.record(.seconds(10_000))  // past an hour: held at an hour
        let curve = histogram.curve
        #expect(curve.count == BenchHistogram.curvePercentiles.count)
        #expect(zip(curve, curve.dropFirst()).allSatisfy { $0.milliseconds <= $1.milliseconds })
        let median = try #require(histogram.milliseconds(atPercentile: 50))
        // The 501st of 1 001 values, to three significant digits.
        #expect(abs(median - 501) <= 1)
        let max = try #require(curve.last?.milliseconds)
        #expect(abs(max - 3_600_000) <= 3_600)
    }

    static func page(stream: Bool = true) -> String {
        var settings = BenchFixture.settings(
            keys: ["KEY_A", "KEY_<B>"],
            limits: RateLimits(requestsPerMinute: 60, tokensPerMinute: 12_000), stream: stream)
        settings.model = "<script>alert('x')</script>"
        var state = recordedState()
        if stream { state.firstTokenHistogram.record(.milliseconds(150)) }
        let report = BenchFixture.report(settings: settings, state: state, usage: BenchFixture.usage(input: 100, output: 50))
        return BenchHTML(report: report).page
    }

    /// The value of `data-points` on the element with `id`, or `nil` when there is none.
    static func dataPoints(_ page: String, id: String) -> Int? {
        guard let start = page.firstRange(of: "id=\"\(id)\"") else { return nil }
        guard let attribute = page[start.upperBound...].firstRange(of: "data-points=\"") else { return nil }
        let digits = page[attribute.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }

    @Test("every plot is on the page with its points counted, the summary and the learned limit too")
    func plots() {
        let page = Self.page()
        for id in BenchHTML.plotIDs {
            #expect((Self.dataPoints(page, id: id) ?? 0) > 0, "\(id)")
        }
        #expect(Self.dataPoints(page, id: "plot-calls") == 4)  // three seconds of calls, one with 429s
        #expect(Self.dataPoints(page, id: "plot-key-calls") == 4)  // two keys, two bars each
        #expect(page.contains("id=\"summary\""))
        #expect(page.contains("Requests     0 succeeded"))
        // The learned limit (6 000 a minute) wins over the configured pool's 24 000: 100 a second.
        #expect(page.contains("limit/s (100)"))
        // Self-contained: nothing to fetch.
        for reference in ["src=", "href=", "<link", "@import", "url("] {
            #expect(!page.contains(reference), "\(reference)")
        }
    }

    @Test("without streams the time-to-first-token plot is there, empty, and says why")
    func notStreaming() {
        let page = Self.page(stream: false)
        #expect(Self.dataPoints(page, id: "plot-ttft") == 0)
        #expect(page.contains("not streaming (run with --stream)"))
    }

    @Test("user strings are escaped: a model or key label cannot inject markup")
    func escaping() {
        let page = Self.page()
        #expect(!page.contains("<script>alert"))
        #expect(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(page.contains("KEY_&lt;B&gt;"))
        #expect(!page.contains("KEY_<B>"))
        #expect(BenchHTML.escape("a&b\"c'<d>") == "a&amp;b&quot;c&#39;&lt;d&gt;")
        // Exactly one script element: the page's own.
        #expect(page.split(separator: "<script").count == 2)
    }

    @Test("a report path that cannot be written fails with the path and the reason")
    func unwritable() {
        let error = #expect(throws: BenchReportFile.WriteError.self) {
            _ = try BenchReportFile(path: "/nonexistent-directory-for-sluice/report.html")
        }
        #expect(error?.description.contains("/nonexistent-directory-for-sluice/report.html") == true)
        #expect(error?.description.contains("No such file or directory") == true)
        #expect(BenchReportFile.exitCode == 73)
    }

    @Test("a run that ends without a report leaves no empty file, and an existing report as it was")
    func noReportNoFile() throws {
        let directory = "/tmp/sluice-report-test-\(getpid())"
        mkdir(directory, 0o700)
        defer { rmdir(directory) }
        let fresh = directory + "/fresh.html"
        do { _ = try BenchReportFile(path: fresh) }  // checked, then the run failed: never written
        #expect(access(fresh, F_OK) != 0)

        let kept = directory + "/kept.html"
        let written = try BenchReportFile(path: kept)
        try written.write("<p>first run</p>")
        do { _ = try BenchReportFile(path: kept) }  // a second run that failed
        #expect(Self.contents(of: kept) == "<p>first run</p>")
        let second = try BenchReportFile(path: kept)
        try second.write("<p>second</p>")
        #expect(Self.contents(of: kept) == "<p>second</p>")
        unlink(kept)
    }

    static func contents(of path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
