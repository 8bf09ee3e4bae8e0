// Target `sse`: ServerSentEventParser fed the input whole and in random splits. Every way of
// feeding must give the same events as a straightforward reference reading of the WHATWG rules,
// and the parser must keep its limits.

@testable import Sluice

enum FuzzSSE {
    static func run(_ bytes: [UInt8]) {
        var random = FuzzRandom(hashing: bytes)

        // Default limits: whole, then split. Inputs are far below the limits, so neither may fail.
        let whole = parse(bytes, chunks: [bytes[...]], configuration: .default)
        let split = parse(bytes, chunks: fuzzChunks(bytes, random: &random), configuration: .default)
        fuzzCheck(whole.error == nil && split.error == nil, "a default parser failed below its limits")
        fuzzCheck(whole.events == split.events, "split feeding changed the events")
        let expected = reference(bytes)
        fuzzCheck(whole.events == expected, "events differ from the reference reading: \(whole.events) vs \(expected)")

        // Tight limits: the same events up to the failure, whatever the split; never past a limit.
        let configuration = ServerSentEventParser.Configuration(
            maxLineLength: 1 + random.below(64), maxEventSize: 1 + random.below(128))
        let tightWhole = parse(bytes, chunks: [bytes[...]], configuration: configuration)
        let tightSplit = parse(bytes, chunks: fuzzChunks(bytes, random: &random), configuration: configuration)
        fuzzCheck((tightWhole.error == nil) == (tightSplit.error == nil), "split feeding changed whether a limit failed")
        let common = min(tightWhole.events.count, tightSplit.events.count)
        fuzzCheck(Array(tightWhole.events.prefix(common)) == Array(tightSplit.events.prefix(common)), "split feeding changed the events under limits")
        for event in tightWhole.events + tightSplit.events {
            fuzzCheck(event.data.utf8.count <= configuration.maxEventSize || event.data.unicodeScalars.contains("\u{FFFD}"),
                      "an event of \(event.data.utf8.count) bytes passed a \(configuration.maxEventSize)-byte limit")
        }
        for error in [tightWhole.error, tightSplit.error].compactMap({ $0 }) {
            fuzzCheck(error.code == .malformedStream, "a limit failed with \(error.code), not malformedStream")
        }
        _ = whole.events.map(\.description)
    }

    struct Outcome {
        var events: [ServerSentEvent] = []
        var error: SluiceError?
        var lastEventID: String?
    }

    static func parse(_ bytes: [UInt8], chunks: [ArraySlice<UInt8>], configuration: ServerSentEventParser.Configuration) -> Outcome {
        var outcome = Outcome()
        var parser = ServerSentEventParser(configuration: configuration)
        do {
            for chunk in chunks {
                try parser.parse(chunk) { outcome.events.append($0) }
            }
            try parser.finish { outcome.events.append($0) }
            fuzzCheck(parser.byteOffset == 0 && parser.eventCount == 0, "finish did not reset the counters")
        } catch let error as SluiceError {
            outcome.error = error
            // A failed parser stays failed.
            do {
                try parser.parse([UInt8(ascii: "\n")]) { _ in fuzzCheck(false, "a failed parser dispatched") }
                fuzzCheck(false, "a failed parser accepted more input")
            } catch {}
        } catch {
            fuzzCheck(false, "unexpected error type \(error)")
        }
        outcome.lastEventID = parser.lastEventID
        return outcome
    }

    /// The events of a whole stream by a plain reading of the spec (with Sluice's deviation: a last
    /// event without a blank line is dispatched).
    static func reference(_ bytes: [UInt8]) -> [ServerSentEvent] {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A || byte == 0x0D {
                lines.append(bytes[start..<index])
                if byte == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
                start = index + 1
            }
            index += 1
        }
        if start < bytes.count { lines.append(bytes[start...]) }

        var events: [ServerSentEvent] = []
        var data: [UInt8] = []
        var hasData = false
        var type: [UInt8] = []
        var lastID: String?
        var retry: Duration?
        func dispatch() {
            defer { type = [] }
            guard hasData else { return }
            events.append(ServerSentEvent(
                event: type.isEmpty ? nil : String(decoding: type, as: UTF8.self),
                data: String(decoding: data, as: UTF8.self), id: lastID, retry: retry))
            data = []
            hasData = false
            retry = nil
        }
        for (number, original) in lines.enumerated() {
            var line = original
            if number == 0, line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
            if line.isEmpty {
                dispatch()
                continue
            }
            if line.first == UInt8(ascii: ":") { continue }
            var name = line
            var value = line[line.endIndex...]
            if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                name = line[..<colon]
                value = line[(colon + 1)...]
                if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
            }
            switch Array(name) {
            case Array("data".utf8):
                if hasData { data.append(0x0A) }
                data.append(contentsOf: value)
                hasData = true
            case Array("event".utf8):
                type = Array(value)
            case Array("id".utf8):
                if !value.contains(0) { lastID = String(decoding: value, as: UTF8.self) }
            case Array("retry".utf8):
                if !value.isEmpty, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                    var milliseconds = 0
                    for digit in value {
                        let (times10, o1) = milliseconds.multipliedReportingOverflow(by: 10)
                        let (sum, o2) = times10.addingReportingOverflow(Int(digit - 0x30))
                        if o1 || o2 { milliseconds = Int.max; break }
                        milliseconds = sum
                    }
                    retry = .milliseconds(milliseconds)
                }
            default:
                break
            }
        }
        dispatch()
        return events
    }
}
