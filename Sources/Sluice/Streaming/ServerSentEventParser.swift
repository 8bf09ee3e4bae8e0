/// An incremental parser for `text/event-stream` bodies (server-sent events).
///
/// Feed it the body's byte chunks as they arrive, split anywhere — inside a CRLF pair or inside a
/// multi-byte UTF-8 character — and it calls your handler once per complete event, in order:
///
/// ```swift
/// var parser = ServerSentEventParser()
/// for try await chunk in response.body {
///     try parser.parse(chunk) { event in
///         if event.data == "[DONE]" { return }
///         // decode event.data
///     }
/// }
/// try parser.finish { event in /* an event the server did not end with a blank line */ }
/// ```
///
/// It follows the WHATWG HTML "Parsing an event stream" and "Interpreting an event stream" rules:
/// - Lines end in CRLF, LF or CR. One leading UTF-8 byte order mark is skipped.
/// - A line starting with `:` is a comment and is ignored (servers send them as keep-alives).
/// - `field: value` — one space after the colon is removed; a line without a colon is a field with an
///   empty value. Unknown fields are ignored.
/// - `data` lines accumulate, joined with `"\n"`. `event` sets the type, `id` sets the last event ID
///   (ignored if the value contains NUL), `retry` sets the reconnection time (only if the value is
///   all ASCII digits, in milliseconds).
/// - A blank line dispatches the event. An event whose data buffer is empty (no `data` line) is not
///   dispatched, so a block with only `event:` or `id:` lines produces nothing — as in the spec.
/// - Invalid UTF-8 becomes U+FFFD, as the spec's UTF-8 decode does.
///
/// Deviations from the spec, on purpose:
/// - ``finish(into:)`` dispatches a final event that has data but no trailing blank line (and
///   processes a last line without a line ending). Browsers discard it; a client of an LLM API must
///   not lose the last chunk of a server that closes the connection early.
/// - Size limits: a line longer than ``Configuration/maxLineLength`` or an event whose data exceeds
///   ``Configuration/maxEventSize`` fails with ``SluiceError/Code/malformedStream`` instead of growing
///   memory without bound.
///
/// The parser copies only partial lines that straddle two chunks; a line inside one chunk is read in
/// place, and strings are built once per field (the data once per event).
///
/// - Important: A parser is a value used by one task. After it throws, it stays failed: every later
///   call throws the same error. After ``finish(into:)`` it is ready for a new stream (a reconnection)
///   and keeps ``lastEventID`` and ``reconnectionTime``, as the spec does.
public struct ServerSentEventParser: Sendable {
    /// Limits that protect against hostile or broken streams.
    public struct Configuration: Sendable, Hashable {
        /// The longest line accepted, in bytes, without its line ending. Default 1 MiB.
        public var maxLineLength: Int
        /// The most data bytes one event may accumulate (all its `data` lines). Default 8 MiB.
        public var maxEventSize: Int

        /// - Parameters:
        ///   - maxLineLength: the longest line accepted, in bytes (at least 1). Default 1 MiB.
        ///   - maxEventSize: the most data bytes in one event (at least 1). Default 8 MiB.
        public init(maxLineLength: Int = 1 << 20, maxEventSize: Int = 8 << 20) {
            self.maxLineLength = max(1, maxLineLength)
            self.maxEventSize = max(1, maxEventSize)
        }

        /// 1 MiB lines, 8 MiB events.
        public static var `default`: Configuration { Configuration() }
    }

    /// The limits this parser enforces.
    public let configuration: Configuration

    /// The last event ID the stream has set with an `id` field, `nil` before the first. Persists across
    /// events and across ``finish(into:)``: send it as `Last-Event-ID` when reconnecting.
    public private(set) var lastEventID: String?

    /// The reconnection time the stream has set with a `retry` field, `nil` before the first.
    public private(set) var reconnectionTime: Duration?

    /// How many bytes this parser has consumed since it was created or last finished.
    public private(set) var byteOffset = 0

    /// How many events this parser has dispatched since it was created or last finished.
    public private(set) var eventCount = 0

    // Partial line carried over from the previous chunk (without its terminator).
    private var carry: [UInt8] = []
    // The previous chunk ended in CR: an LF at the start of the next one belongs to that line ending.
    private var pendingCR = false
    // No line has been processed yet: the first line may start with a BOM.
    private var atStreamStart = true
    // The data buffer of the spec: each data value followed by LF.
    private var dataBuffer: [UInt8] = []
    // The event type buffer of the spec (bytes; empty means none).
    private var eventType: [UInt8] = []
    // The last event type turned into a string, to reuse it when the next event has the same type.
    private var cachedEventTypeBytes: [UInt8] = []
    private var cachedEventType: String?
    private var retryInBlock: Duration?
    // The error the parser failed with, boxed (an existential) so that a parser, which a stream keeps
    // for its whole life, does not carry a whole SluiceError inline.
    private var failure: (any Error)?

    /// A parser with the given limits.
    public init(configuration: Configuration = .default) {
        self.configuration = configuration
    }

    // MARK: Feeding bytes

    /// Parses one chunk of the stream and calls `handler` for each event the chunk completes.
    ///
    /// - Throws: ``SluiceError/Code/malformedStream`` when a limit is exceeded; any error `handler`
    ///   throws (the rest of the chunk is then not parsed, so discard the parser).
    public mutating func parse(_ chunk: [UInt8], into handler: (ServerSentEvent) throws -> Void) throws {
        try chunk.withUnsafeBufferPointer { try parse($0, into: handler) }
    }

    /// Parses one chunk of the stream; see ``parse(_:into:)-([UInt8],_)``.
    public mutating func parse(_ chunk: ArraySlice<UInt8>, into handler: (ServerSentEvent) throws -> Void) throws {
        try chunk.withUnsafeBufferPointer { try parse($0, into: handler) }
    }

    /// Parses one chunk of the stream; see ``parse(_:into:)-([UInt8],_)``.
    public mutating func parse(
        _ chunk: UnsafeRawBufferPointer,
        into handler: (ServerSentEvent) throws -> Void
    ) throws {
        try parse(chunk.assumingMemoryBound(to: UInt8.self), into: handler)
    }

    /// Parses one chunk of the stream, held in any collection of bytes; see
    /// ``parse(_:into:)-([UInt8],_)``. Contiguous collections are read in place.
    public mutating func parse(
        _ chunk: some Collection<UInt8>,
        into handler: (ServerSentEvent) throws -> Void
    ) throws {
        let done: Void? = try chunk.withContiguousStorageIfAvailable { try parse($0, into: handler) }
        if done == nil {
            try Array(chunk).withUnsafeBufferPointer { try parse($0, into: handler) }
        }
    }

    /// Parses one chunk of the stream; see ``parse(_:into:)-([UInt8],_)``.
    public mutating func parse(
        _ chunk: UnsafeBufferPointer<UInt8>,
        into handler: (ServerSentEvent) throws -> Void
    ) throws {
        if let failure { throw failure }
        let count = chunk.count
        guard count > 0, let base = chunk.baseAddress else { return }
        var index = 0
        if pendingCR {
            pendingCR = false
            if base[0] == lf {
                index = 1
            }
        }
        var lineStart = index
        while true {
            // Find the next CR or LF.
            index = Self.nextLineBreak(base, from: index, count: count)
            if index == count { break }
            let terminator = base[index]
            try completeLine(
                UnsafeBufferPointer(start: base + lineStart, count: index - lineStart),
                lineOffset: byteOffset + lineStart, handler: handler)
            index += 1
            if terminator == cr {
                if index < count {
                    if base[index] == lf { index += 1 }
                } else {
                    pendingCR = true
                }
            }
            lineStart = index
        }
        if lineStart < count {
            let partial = count - lineStart
            if carry.count + partial > configuration.maxLineLength {
                try fail(lineTooLong(at: byteOffset + lineStart - carry.count))
            }
            carry.append(contentsOf: UnsafeBufferPointer(start: base + lineStart, count: partial))
        }
        byteOffset += count
    }

    /// Ends the stream: processes a last line that had no line ending, then dispatches a pending event
    /// that the server did not end with a blank line (a deviation from the spec, which discards it).
    ///
    /// Afterwards the parser is ready for a new stream; ``lastEventID`` and ``reconnectionTime`` are
    /// kept.
    public mutating func finish(into handler: (ServerSentEvent) throws -> Void) throws {
        if let failure { throw failure }
        if !carry.isEmpty {
            let offset = byteOffset - carry.count
            var line: [UInt8] = []
            swap(&line, &carry)
            try line.withUnsafeBufferPointer { try processLine($0, lineOffset: offset, handler: handler) }
        }
        try dispatch(handler)
        carry = []
        pendingCR = false
        atStreamStart = true
        dataBuffer.removeAll(keepingCapacity: true)
        eventType.removeAll(keepingCapacity: true)
        retryInBlock = nil
        byteOffset = 0
        eventCount = 0
    }

    /// Parses a complete stream held in memory and returns its events, including a final event without
    /// a trailing blank line.
    public static func events(
        in bytes: some Collection<UInt8>,
        configuration: Configuration = .default
    ) throws -> [ServerSentEvent] {
        var parser = ServerSentEventParser(configuration: configuration)
        var events: [ServerSentEvent] = []
        try parser.parse(bytes) { events.append($0) }
        try parser.finish { events.append($0) }
        return events
    }

    // MARK: Lines

    @inline(__always)
    private static func nextLineBreak(_ base: UnsafePointer<UInt8>, from start: Int, count: Int) -> Int {
        var index = start
        // Eight bytes at a time: a byte of the word equals LF or CR when (word ^ pattern) has a zero byte.
        while index &+ 8 <= count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            let withLF = word ^ 0x0A0A_0A0A_0A0A_0A0A
            let withCR = word ^ 0x0D0D_0D0D_0D0D_0D0D
            let low: UInt64 = 0x0101_0101_0101_0101
            let high: UInt64 = 0x8080_8080_8080_8080
            let found = ((withLF &- low) & ~withLF & high) | ((withCR &- low) & ~withCR & high)
            if found != 0 { break }
            index &+= 8
        }
        while index < count {
            let byte = base[index]
            if byte == lf || byte == cr { return index }
            index &+= 1
        }
        return count
    }

    private mutating func completeLine(
        _ tail: UnsafeBufferPointer<UInt8>,
        lineOffset: Int,
        handler: (ServerSentEvent) throws -> Void
    ) throws {
        if carry.isEmpty {
            if tail.count > configuration.maxLineLength { try fail(lineTooLong(at: lineOffset)) }
            try processLine(tail, lineOffset: lineOffset, handler: handler)
            return
        }
        let start = lineOffset - carry.count
        if carry.count + tail.count > configuration.maxLineLength { try fail(lineTooLong(at: start)) }
        carry.append(contentsOf: tail)
        var line: [UInt8] = []
        swap(&line, &carry)
        defer {
            line.removeAll(keepingCapacity: true)
            swap(&line, &carry)
        }
        try line.withUnsafeBufferPointer { try processLine($0, lineOffset: start, handler: handler) }
    }

    private mutating func processLine(
        _ fullLine: UnsafeBufferPointer<UInt8>,
        lineOffset: Int,
        handler: (ServerSentEvent) throws -> Void
    ) throws {
        var line = fullLine
        if atStreamStart {
            atStreamStart = false
            if line.count >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF {
                line = UnsafeBufferPointer(rebasing: line[3...])
            }
        }
        guard let first = line.first else {
            try dispatch(handler)
            return
        }
        if first == colon { return }  // a comment

        var nameEnd = line.count
        var valueStart = line.count
        if let colonIndex = line.firstIndex(of: colon) {
            nameEnd = colonIndex
            valueStart = colonIndex + 1
            if valueStart < line.count, line[valueStart] == space { valueStart += 1 }
        }
        let name = UnsafeBufferPointer(rebasing: line[0..<nameEnd])
        let value = UnsafeBufferPointer(rebasing: line[valueStart...])

        switch name.count {
        case 4 where Self.equals(name, "data"):
            if dataBuffer.count + value.count + 1 > configuration.maxEventSize + 1 {
                try fail(eventTooLarge(at: lineOffset))
            }
            dataBuffer.append(contentsOf: value)
            dataBuffer.append(lf)
        case 5 where Self.equals(name, "event"):
            eventType.removeAll(keepingCapacity: true)
            eventType.append(contentsOf: value)
        case 2 where Self.equals(name, "id"):
            if !value.contains(0) {
                lastEventID = String(decoding: value, as: UTF8.self)
            }
        case 5 where Self.equals(name, "retry"):
            if let milliseconds = Self.parseDigits(value) {
                let duration = Duration.milliseconds(milliseconds)
                retryInBlock = duration
                reconnectionTime = duration
            }
        default:
            break  // unknown fields are ignored
        }
    }

    private mutating func dispatch(_ handler: (ServerSentEvent) throws -> Void) throws {
        if dataBuffer.isEmpty {
            eventType.removeAll(keepingCapacity: true)
            return
        }
        // Drop the LF that follows the last data value.
        let data = dataBuffer.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0.dropLast()), as: UTF8.self)
        }
        let type: String?
        if eventType.isEmpty {
            type = nil
        } else if eventType == cachedEventTypeBytes, let cachedEventType {
            type = cachedEventType
        } else {
            let decoded = String(decoding: eventType, as: UTF8.self)
            cachedEventTypeBytes = eventType
            cachedEventType = decoded
            type = decoded
        }
        let event = ServerSentEvent(event: type, data: data, id: lastEventID, retry: retryInBlock)
        dataBuffer.removeAll(keepingCapacity: true)
        eventType.removeAll(keepingCapacity: true)
        retryInBlock = nil
        eventCount += 1
        try handler(event)
    }

    // MARK: Helpers

    @inline(__always)
    private static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        guard bytes.count == count else { return false }
        let expected = name.utf8Start
        for index in 0..<count where bytes[index] != expected[index] { return false }
        return true
    }

    /// Base-ten digits only (no sign, no spaces), at least one; clamps values too large for `Int`.
    private static func parseDigits(_ value: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !value.isEmpty else { return nil }
        var result = 0
        var overflowed = false
        for byte in value {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            if overflowed { continue }
            let (times10, o1) = result.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(byte - 0x30))
            if o1 || o2 { overflowed = true } else { result = sum }
        }
        return overflowed ? Int.max : result
    }

    private mutating func fail(_ error: SluiceError) throws -> Never {
        failure = error
        throw error
    }

    private func lineTooLong(at offset: Int) -> SluiceError {
        SluiceError(
            .malformedStream,
            "server-sent events: the line starting at byte offset \(offset) is longer than the limit of "
                + "\(configuration.maxLineLength) bytes (while reading event #\(eventCount + 1))"
        )
    }

    private func eventTooLarge(at offset: Int) -> SluiceError {
        SluiceError(
            .malformedStream,
            "server-sent events: event #\(eventCount + 1) has more than \(configuration.maxEventSize) bytes "
                + "of data (at the data line starting at byte offset \(offset))"
        )
    }
}

private let lf: UInt8 = 0x0A
private let cr: UInt8 = 0x0D
private let colon: UInt8 = 0x3A
private let space: UInt8 = 0x20
