#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The page `sluice bench --report FILE.html` writes: one self-contained HTML file (inline CSS,
/// inline SVG drawn in Swift and a few lines of inline script; nothing fetched), with the run's
/// settings and summary and its plots: calls over time with the 429 answers, tokens per second
/// against the limit, latency and time-to-first-token percentile curves (HdrHistogram) and what
/// each key was used for. Keys appear by label or id only, never the key.
struct BenchHTML {
    let report: BenchReport

    /// The ids of the plots, in page order.
    static let plotIDs = ["plot-calls", "plot-tokens", "plot-latency", "plot-ttft", "plot-key-calls", "plot-key-tokens"]

    /// `text` with `&`, `<`, `>`, `"` and `'` escaped, safe in element content and in quoted
    /// attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    var timeline: BenchTimeline { report.state.timeline }

    /// The x of each bucket: the second it starts at.
    private func bucketSeconds(_ index: Int) -> Double { Double(index) * Double(timeline.bucketSeconds) }

    private var timeTicks: [(x: Double, label: String)] {
        let count = timeline.buckets.count
        guard count > 0 else { return [] }
        return (0...4).map { step in
            let index = Double(max(0, count - 1)) * Double(step) / 4
            return (index.rounded(), BenchFormat.fixed(bucketSeconds(Int(index.rounded())), 0) + " s")
        }
    }

    var callsChart: BenchChart {
        let width = Double(timeline.bucketSeconds)
        let buckets = timeline.buckets.enumerated()
        return BenchChart(
            id: "plot-calls", title: "Calls completed per second, with 429 answers",
            xLabel: "time since the first call (\(timeline.bucketSeconds) s a bar)", yLabel: "per second",
            series: [
                .init(
                    name: "calls completed", cssClass: "calls", style: .bars,
                    points: buckets.map { (Double($0.offset), Double($0.element.completed) / width) }),
                .init(
                    name: "429 answers", cssClass: "limited", style: .bars,
                    points: buckets.filter { $0.element.rateLimited > 0 }
                        .map { (Double($0.offset), Double($0.element.rateLimited) / width) }),
            ],
            xDomain: 0...Double(max(0, timeline.buckets.count - 1)), xTicks: timeTicks)
    }

    /// The pool's limit per second in a dimension: learned from the headers if it was, else as
    /// configured; `nil` without one.
    private func limitPerSecond(configured perKey: Int?, learned dimension: String) -> Double? {
        let perMinute = timeline.learnedPoolLimit(dimension) ?? report.settings.poolLimit(perKey)
        return perMinute.map { Double($0) / 60 }
    }

    var tokensChart: BenchChart {
        let width = Double(timeline.bucketSeconds)
        let limits = report.settings.limits
        let buckets = timeline.buckets.enumerated()
        var series: [BenchChart.Series] = []
        var rules: [BenchChart.Rule] = []
        if report.settings.provider == .anthropic {
            series.append(
                .init(
                    name: "input tokens/s", cssClass: "input", style: .line,
                    points: buckets.map { (Double($0.offset), Double($0.element.inputTokens) / width) }))
            series.append(
                .init(
                    name: "output tokens/s", cssClass: "output", style: .line,
                    points: buckets.map { (Double($0.offset), Double($0.element.outputTokens) / width) }))
            if let limit = limitPerSecond(configured: limits.inputTokensPerMinute, learned: "input_tokens") {
                rules.append(.init(name: "input limit/s", cssClass: "input-limit", y: limit))
            }
            if let limit = limitPerSecond(configured: limits.outputTokensPerMinute, learned: "output_tokens") {
                rules.append(.init(name: "output limit/s", cssClass: "output-limit", y: limit))
            }
        } else {
            series.append(
                .init(
                    name: "tokens/s (input + output)", cssClass: "tokens", style: .line,
                    points: buckets.map {
                        (Double($0.offset), Double(BenchTimeline.sum($0.element.inputTokens, $0.element.outputTokens)) / width)
                    }))
            if let limit = limitPerSecond(configured: limits.tokensPerMinute, learned: "tokens") {
                rules.append(.init(name: "limit/s", cssClass: "tokens-limit", y: limit))
            }
        }
        return BenchChart(
            id: "plot-tokens", title: "Tokens per second against the limit",
            xLabel: "time since the first call (s)", yLabel: "tokens per second", series: series, rules: rules,
            xDomain: 0...Double(max(1, timeline.buckets.count - 1)), xTicks: timeTicks)
    }

    /// Where a percentile sits on a percentile curve's x axis: log10(1 / (1 − p)), so that 90, 99,
    /// 99.9 and 99.99 % are evenly spaced; the maximum just past 99.99 %.
    static func percentileX(_ percentile: Double) -> Double {
        guard percentile < 100 else { return 4.5 }
        return min(4.5, -log10(1 - max(0, percentile) / 100))
    }

    static let percentileTicks: [(x: Double, label: String)] = [
        (0, "0 %"), (percentileX(50), "50 %"), (1, "90 %"), (2, "99 %"), (3, "99.9 %"), (4, "99.99 %"), (4.5, "max"),
    ]

    func percentileChart(id: String, title: String, histogram: BenchHistogram, emptyText: String) -> BenchChart {
        BenchChart(
            id: id, title: title, xLabel: "percentile", yLabel: "milliseconds",
            series: [
                .init(
                    name: "\(histogram.count) calls", cssClass: "latency", style: .line,
                    points: histogram.curve.map { (Self.percentileX($0.percentile), $0.milliseconds) })
            ],
            xDomain: 0...4.5, xTicks: Self.percentileTicks, emptyText: emptyText)
    }

    var latencyChart: BenchChart {
        percentileChart(
            id: "plot-latency", title: "Latency distribution (whole call, waits included)",
            histogram: report.state.latencyHistogram, emptyText: "no call succeeded")
    }

    var firstTokenChart: BenchChart {
        percentileChart(
            id: "plot-ttft", title: "Time to first token distribution (since the call began)",
            histogram: report.state.firstTokenHistogram,
            emptyText: report.settings.stream ? "no first token" : "not streaming (run with --stream)")
    }

    private var sortedKeys: [(name: String, use: BenchTimeline.KeyUse)] {
        timeline.keys.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private var keyTicks: [(x: Double, label: String)] {
        sortedKeys.enumerated().map { (Double($0.offset), $0.element.name) }
    }

    var keyCallsChart: BenchChart {
        keyChart(
            id: "plot-key-calls", title: "Calls per key", yLabel: "calls",
            ("attempts sent", "attempts", \.attempts), ("calls succeeded", "calls", \.succeeded))
    }

    var keyTokensChart: BenchChart {
        keyChart(
            id: "plot-key-tokens", title: "Tokens per key", yLabel: "tokens",
            ("input tokens", "input", \.inputTokens), ("output tokens", "output", \.outputTokens))
    }

    /// Bars per key, one series for each of `series` (name, CSS class, the count it shows).
    private func keyChart(
        id: String, title: String, yLabel: String, _ series: (String, String, KeyPath<BenchTimeline.KeyUse, Int>)...
    ) -> BenchChart {
        let keys = Array(sortedKeys.enumerated())
        return BenchChart(
            id: id, title: title, xLabel: "key", yLabel: yLabel,
            series: series.map { name, cssClass, count in
                .init(
                    name: name, cssClass: cssClass, style: .bars,
                    points: keys.map { (Double($0.offset), Double($0.element.use[keyPath: count])) })
            },
            xDomain: 0...Double(max(0, sortedKeys.count - 1)), xTicks: keyTicks)
    }

    static let style = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:800px;color:#222;background:#fff}
        h1{font-size:20px}h2{font-size:16px;margin-top:28px}
        pre{background:#f5f5f5;padding:12px;overflow-x:auto;font-size:12px}
        figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}
        svg{width:100%;height:auto;display:block}
        .grid{stroke:#e4e4e4}.tick,.axis,.empty{font-size:11px;fill:#555}.empty{font-size:14px}
        .legend{font-size:12px;color:#444}.legend span{margin-right:16px}
        .swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
        rect.calls,.swatch.calls{fill:#4878d0;background:#4878d0}
        rect.limited,.swatch.limited{fill:#d65f5f;background:#d65f5f}
        rect.attempts,.swatch.attempts{fill:#9db4e6;background:#9db4e6}
        polyline.tokens,polyline.latency{stroke:#4878d0;stroke-width:2}
        .swatch.tokens,.swatch.latency{background:#4878d0}
        polyline.input{stroke:#4878d0;stroke-width:2}rect.input,.swatch.input{fill:#4878d0;background:#4878d0}
        polyline.output{stroke:#ee854a;stroke-width:2}rect.output,.swatch.output{fill:#ee854a;background:#ee854a}
        .rule{stroke-dasharray:6 4;stroke-width:1.5}
        .rule.tokens-limit,.rule.input-limit{stroke:#d65f5f}.rule.output-limit{stroke:#8c613c}
        .swatch.tokens-limit,.swatch.input-limit{background:#d65f5f}.swatch.output-limit{background:#8c613c}
        """

    /// Counts the plots that drew data into `data-plots-drawn` on the body and says so on the page.
    static let script = """
        (function () {
          var plots = document.querySelectorAll("svg[data-plot]");
          var drawn = 0;
          for (var i = 0; i < plots.length; i++) {
            if (Number(plots[i].getAttribute("data-points")) > 0 && plots[i].querySelector(".mark")) { drawn++; }
          }
          document.body.setAttribute("data-plots-drawn", String(drawn));
          document.getElementById("plots-status").textContent = drawn + " of " + plots.length + " plots have data.";
        })();
        """

    var page: String {
        let settings = report.settings
        let title = "sluice bench: \(settings.providerName) \(settings.model)"
        var out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        out += "<title>\(Self.escape(title))</title><style>\(Self.style)</style></head><body>"
        out += "<h1>\(Self.escape(title))</h1>"
        out += "<pre id=\"summary\">\(Self.escape(report.text))</pre>"
        out += "<p id=\"plots-status\"></p>"
        out += "<h2>Calls</h2>" + callsChart.svg
        out += "<h2>Tokens</h2>" + tokensChart.svg
        out += "<h2>Latency</h2>" + latencyChart.svg + firstTokenChart.svg
        out += "<h2>Keys</h2>" + keyCallsChart.svg + keyTokensChart.svg
        out += "<script>\(Self.script)</script></body></html>\n"
        return out
    }
}
