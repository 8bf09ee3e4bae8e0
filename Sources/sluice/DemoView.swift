import Sluice
import SluiceMockServer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the demo writes: a file descriptor (1 or 2), written with `write(2)` so that nothing is
/// buffered between the live view's frames.
struct DemoTerminal: Sendable {
    let descriptor: Int32
    /// Whether the view redraws in place with ANSI escapes (the descriptor is a terminal and no log
    /// lines share it); otherwise it prints plain progress lines.
    let redraws: Bool

    init(descriptor: Int32, allowRedraw: Bool) {
        self.descriptor = descriptor
        redraws = allowRedraw && isatty(descriptor) == 1
    }

    func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                #if canImport(Darwin)
                    let written = Darwin.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                #elseif canImport(Musl)
                    let written = Musl.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                #else
                    let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                #endif
                if written <= 0 { return }
                offset += written
            }
        }
    }

    func line(_ text: String = "") { write(text + "\n") }

    /// Bold when redrawing on a terminal, plain otherwise.
    func bold(_ text: String) -> String { redraws ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
}

/// Requests and tokens per minute per key, measured from the mock server's own counters over a
/// sliding window, so the view shows what the server accepted against each key's limit.
///
/// The first second is left out of the window: it holds the buckets' initial bursts, which
/// would read as a rate above the limit.
struct DemoRateMeter {
    struct Sample {
        var at: Duration
        var admitted: [Int]
        var tokens: [Int]
    }

    let teams: [DemoTeam]
    let window: Duration = .seconds(10)
    let skip: Duration = .seconds(1)
    private var samples: [Sample] = []

    init(teams: [DemoTeam]) { self.teams = teams }

    mutating func record(_ stats: MockServerStats, at elapsed: Duration) {
        let keys = teams.map { stats[key: $0.name] }
        samples.append(
            Sample(
                at: elapsed, admitted: keys.map { $0.requests - $0.rateLimited }, tokens: keys.map { $0.tokensCharged })
        )
        while let first = samples.first, first.at < elapsed - window - .seconds(1) { samples.removeFirst() }
    }

    /// Per team: (requests per minute, tokens per minute), or `nil` before there is a window to measure.
    func rates() -> [(rpm: Double, tpm: Double)?] {
        guard let last = samples.last else { return teams.map { _ in nil } }
        let from = max(skip, last.at - window)
        guard let base = samples.first(where: { $0.at >= from }), last.at - base.at >= .seconds(1) else {
            return teams.map { _ in nil }
        }
        let minutes = DemoFormat.seconds(last.at - base.at) / 60
        return teams.indices.map { index in
            (
                Double(last.admitted[index] - base.admitted[index]) / minutes,
                Double(last.tokens[index] - base.tokens[index]) / minutes
            )
        }
    }
}

/// One run's live view: redrawn in place a few times a second on a terminal, or a plain progress
/// block every two seconds otherwise. Every line fits in 80 columns.
struct DemoView {
    let terminal: DemoTerminal
    let title: String
    let total: Int
    let teams: [DemoTeam]
    private var drawnLines = 0

    init(terminal: DemoTerminal, title: String, total: Int, teams: [DemoTeam]) {
        self.terminal = terminal
        self.title = title
        self.total = total
        self.teams = teams
    }

    /// How often the view is refreshed (it samples the server at every tick either way).
    static let tick: Duration = .milliseconds(250)
    /// Ticks between plain progress blocks (2 s).
    static let plainEvery = 8

    mutating func draw(_ counts: DemoMonitor.Snapshot, rates: [(rpm: Double, tpm: Double)?], elapsed: Duration) {
        let lines = frame(counts, rates: rates, elapsed: elapsed)
        if terminal.redraws {
            var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)F" : ""
            for line in lines { text += "\u{1B}[2K" + line + "\n" }
            terminal.write(text)
            drawnLines = lines.count
        } else {
            terminal.write(lines.joined(separator: "\n") + "\n")
        }
    }

    func frame(_ counts: DemoMonitor.Snapshot, rates: [(rpm: Double, tpm: Double)?], elapsed: Duration) -> [String] {
        let time = DemoFormat.pad(DemoFormat.seconds1(elapsed), 7)
        if terminal.redraws {
            var lines = [
                "  \(terminal.bold(DemoFormat.pad(title, 14, left: true)))"
                    + "done \(DemoFormat.pad("\(counts.finished)", 4))/\(total)  "
                    + DemoFormat.bar(Double(counts.finished) / Double(max(total, 1)), width: 24) + time,
                "    in flight \(DemoFormat.pad("\(counts.sending)", 3))   waiting for rate budget "
                    + "\(DemoFormat.pad("\(counts.waiting)", 3))   retrying \(DemoFormat.pad("\(counts.backingOff)", 3))",
                "    retries \(DemoFormat.pad("\(counts.retries)", 4))   429s from server "
                    + "\(DemoFormat.pad("\(counts.tooManyRequests)", 5))   failed \(DemoFormat.pad("\(counts.failed)", 4))",
            ]
            for (team, rate) in zip(teams, rates) {
                lines.append("    " + meterLine(team, rate))
            }
            return lines
        }
        let meters = zip(teams, rates).map { team, rate in
            "\(team.name) \(rate.map { DemoFormat.kilo($0.tpm) } ?? "-")/\(DemoFormat.kilo(Double(team.tokensPerMinute))) TPM"
        }
        return [
            "  \(title) \(DemoFormat.seconds1(elapsed))  done \(counts.finished)/\(total)  failed \(counts.failed)  "
                + "in flight \(counts.sending)  waiting \(counts.waiting)",
            "    retries \(counts.retries)  429s \(DemoFormat.grouped(counts.tooManyRequests))  "
                + meters.joined(separator: "  "),
        ]
    }

    /// `team-a  TPM 39.6k/40k [██████████░]  RPM 598/600`.
    func meterLine(_ team: DemoTeam, _ rate: (rpm: Double, tpm: Double)?) -> String {
        let tpm = rate.map { DemoFormat.kilo($0.tpm) } ?? "-"
        let rpm = rate.map { "\(Int($0.rpm.rounded()))" } ?? "-"
        let fraction = rate.map { $0.tpm / Double(team.tokensPerMinute) } ?? 0
        return DemoFormat.pad(team.name, 8, left: true) + "TPM " + DemoFormat.pad(tpm, 5) + "/"
            + DemoFormat.kilo(Double(team.tokensPerMinute)) + " " + DemoFormat.bar(fraction, width: 20) + "  RPM "
            + DemoFormat.pad(rpm, 3) + "/\(team.requestsPerMinute)"
    }
}

/// Number and time formatting without Foundation.
enum DemoFormat {
    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    /// `12.3 s`.
    static func seconds1(_ duration: Duration) -> String {
        fixed(seconds(duration), decimals: 1) + " s"
    }

    /// `value` with `decimals` digits after the point.
    static func fixed(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let sign = scaled < 0 ? "-" : ""
        let magnitude = abs(scaled)
        let whole = magnitude / Int(scale)
        guard decimals > 0 else { return sign + String(whole) }
        let fraction = String(magnitude % Int(scale))
        return sign + String(whole) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// `39.6k` for thousands, the whole number below 1,000.
    static func kilo(_ value: Double) -> String {
        if abs(value) < 1_000 { return String(Int(value.rounded())) }
        let text = fixed(value / 1_000, decimals: 1)
        return (text.hasSuffix(".0") ? String(text.dropLast(2)) : text) + "k"
    }

    /// `12,345`.
    static func grouped(_ value: Int) -> String {
        let digits = String(abs(value))
        var out = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { out += "," }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// Pads to `width` columns: on the left (right-aligned) by default, on the right with `left`.
    static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + padding : padding + text
    }

    /// Lines of at most `width` columns, broken at spaces.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// `[████████░░░░]`, full past 100 %.
    static func bar(_ fraction: Double, width: Int) -> String {
        let clamped = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        let filled = Int((clamped * Double(width)).rounded())
        return "[" + String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled) + "]"
    }
}
