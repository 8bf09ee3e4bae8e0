/// Inline SVG charts for `sluice bench --report`, drawn here (no library, no script): bars and
/// lines on linear axes. Every chart is an `<svg>` with an `id`, `data-plot` and `data-points`
/// (how many values it drew), so a test can tell that it has data.
struct BenchChart {
    /// One series: a name for the legend, a CSS class for its colour, and its points.
    struct Series {
        enum Style { case line, bars, dots }
        var name: String
        var cssClass: String
        var style: Style
        var points: [(x: Double, y: Double)]
    }

    /// A horizontal line, such as a limit.
    struct Rule {
        var name: String
        var cssClass: String
        var y: Double
    }

    var id: String
    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series]
    var rules: [Rule] = []
    /// The x axis's range; `nil`: from 0 to the largest x (at least 1).
    var xDomain: ClosedRange<Double>? = nil
    /// Where the x axis has labelled ticks; `nil`: five evenly spaced.
    var xTicks: [(x: Double, label: String)]? = nil
    /// What to say in place of the chart when no series has a point.
    var emptyText = "no data"

    static let width = 760.0
    static let height = 280.0
    static let left = 64.0
    static let right = 16.0
    static let top = 16.0
    static let bottom = 44.0

    /// The values drawn (bars, dots and line points of every series).
    var pointCount: Int { series.reduce(0) { $0 + $1.points.count } }

    var svg: String {
        let plotWidth = Self.width - Self.left - Self.right
        let plotHeight = Self.height - Self.top - Self.bottom
        let xs = series.flatMap { $0.points.map { $0.x } }.filter { $0.isFinite }
        let ys = (series.flatMap { $0.points.map { $0.y } } + rules.map { $0.y }).filter { $0.isFinite }
        let domain = xDomain ?? 0...max(1, xs.max() ?? 1)
        let xSpan = max(domain.upperBound - domain.lowerBound, 1e-9)
        let yMax = Self.niceCeiling(max(ys.max() ?? 1, 1e-9) * 1.05)
        let barSeries = series.filter { $0.style == .bars }
        let barSlot = plotWidth / max(1, xSpan + 1) / Double(max(1, barSeries.count))

        func px(_ x: Double) -> Double {
            Self.left + (min(max(x, domain.lowerBound), domain.upperBound) - domain.lowerBound) / xSpan * plotWidth
                * (barSeries.isEmpty ? 1 : xSpan / (xSpan + 1))
        }
        func py(_ y: Double) -> Double { Self.top + plotHeight - min(max(y, 0), yMax) / yMax * plotHeight }

        var out =
            "<figure><figcaption>\(BenchHTML.escape(title))</figcaption>"
            + "<svg id=\"\(BenchHTML.escape(id))\" data-plot=\"\(BenchHTML.escape(title))\" "
            + "data-points=\"\(pointCount)\" viewBox=\"0 0 \(Self.number(Self.width)) \(Self.number(Self.height))\" "
            + "role=\"img\" aria-label=\"\(BenchHTML.escape(title))\">"
        // Axes, grid and tick labels.
        for step in 0...4 {
            let value = yMax * Double(step) / 4
            let y = py(value)
            out += "<line class=\"grid\" x1=\"\(Self.number(Self.left))\" y1=\"\(Self.number(y))\" "
            out += "x2=\"\(Self.number(Self.width - Self.right))\" y2=\"\(Self.number(y))\"/>"
            out += "<text class=\"tick\" x=\"\(Self.number(Self.left - 6))\" y=\"\(Self.number(y + 4))\" "
            out += "text-anchor=\"end\">\(BenchHTML.escape(Self.label(value)))</text>"
        }
        let ticks: [(x: Double, label: String)] =
            xTicks
            ?? (0...4).map { step -> (x: Double, label: String) in
                let x = domain.lowerBound + xSpan * Double(step) / 4
                return (x, Self.label(x))
            }
        for tick in ticks {
            out += "<text class=\"tick\" x=\"\(Self.number(px(tick.x)))\" y=\"\(Self.number(Self.height - Self.bottom + 16))\" "
            out += "text-anchor=\"middle\">\(BenchHTML.escape(tick.label))</text>"
        }
        out += "<text class=\"axis\" x=\"\(Self.number(Self.left + plotWidth / 2))\" y=\"\(Self.number(Self.height - 6))\" "
        out += "text-anchor=\"middle\">\(BenchHTML.escape(xLabel))</text>"
        out += "<text class=\"axis\" x=\"12\" y=\"\(Self.number(Self.top + plotHeight / 2))\" text-anchor=\"middle\" "
        out += "transform=\"rotate(-90 12 \(Self.number(Self.top + plotHeight / 2)))\">\(BenchHTML.escape(yLabel))</text>"

        // Series.
        var barIndex = 0
        for one in series {
            let css = BenchHTML.escape(one.cssClass)
            switch one.style {
            case .bars:
                for point in one.points where point.x.isFinite && point.y.isFinite {
                    let x = px(point.x) + barSlot * Double(barIndex)
                    let y = py(point.y)
                    out += "<rect class=\"mark \(css)\" x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" "
                    out += "width=\"\(Self.number(max(barSlot * 0.85, 0.5)))\" "
                    out += "height=\"\(Self.number(Self.top + plotHeight - y))\">"
                    out += "<title>\(BenchHTML.escape(one.name)): \(BenchHTML.escape(Self.label(point.y)))</title></rect>"
                }
                barIndex += 1
            case .line:
                let coordinates = one.points.filter { $0.x.isFinite && $0.y.isFinite }
                    .map { "\(Self.number(px($0.x))),\(Self.number(py($0.y)))" }
                if !coordinates.isEmpty {
                    out += "<polyline class=\"mark \(css)\" fill=\"none\" points=\"\(coordinates.joined(separator: " "))\">"
                    out += "<title>\(BenchHTML.escape(one.name))</title></polyline>"
                }
            case .dots:
                for point in one.points where point.x.isFinite && point.y.isFinite {
                    out += "<circle class=\"mark \(css)\" cx=\"\(Self.number(px(point.x)))\" "
                    out += "cy=\"\(Self.number(py(point.y)))\" r=\"3\">"
                    out += "<title>\(BenchHTML.escape(one.name)): \(BenchHTML.escape(Self.label(point.y)))</title></circle>"
                }
            }
        }
        for rule in rules where rule.y.isFinite {
            let y = py(rule.y)
            out += "<line class=\"rule \(BenchHTML.escape(rule.cssClass))\" x1=\"\(Self.number(Self.left))\" "
            out += "y1=\"\(Self.number(y))\" x2=\"\(Self.number(Self.width - Self.right))\" y2=\"\(Self.number(y))\">"
            out += "<title>\(BenchHTML.escape(rule.name)): \(BenchHTML.escape(Self.label(rule.y)))</title></line>"
        }
        if pointCount == 0 {
            out += "<text class=\"empty\" x=\"\(Self.number(Self.left + plotWidth / 2))\" "
            out += "y=\"\(Self.number(Self.top + plotHeight / 2))\" text-anchor=\"middle\">\(BenchHTML.escape(emptyText))</text>"
        }
        out += "</svg>"
        // The legend.
        let entries =
            series.map { ($0.name, $0.cssClass) } + rules.map { ($0.name + " (" + Self.label($0.y) + ")", $0.cssClass) }
        if !entries.isEmpty {
            out += "<div class=\"legend\">"
            for (name, css) in entries {
                out += "<span><i class=\"swatch \(BenchHTML.escape(css))\"></i>\(BenchHTML.escape(name))</span>"
            }
            out += "</div>"
        }
        return out + "</figure>"
    }

    /// A coordinate with at most one decimal.
    static func number(_ value: Double) -> String { value.isFinite ? BenchFormat.fixed(value, 1) : "0" }

    /// An axis or tooltip value: no decimals from 100 on, two below 10.
    static func label(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        let magnitude = abs(value)
        return BenchFormat.fixed(value, magnitude >= 100 || magnitude == 0 ? 0 : magnitude >= 10 ? 1 : 2)
    }

    /// The smallest of 1, 2, 2.5, 5 times a power of ten at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        guard value.isFinite, value > 0 else { return 1 }
        var power = 1.0
        var steps = 0
        while power * 10 < value, steps < 400 {
            power *= 10
            steps += 1
        }
        while power > value, steps < 800 {
            power /= 10
            steps += 1
        }
        for factor in [1.0, 2, 2.5, 5, 10] where power * factor >= value { return power * factor }
        return power * 10
    }
}
