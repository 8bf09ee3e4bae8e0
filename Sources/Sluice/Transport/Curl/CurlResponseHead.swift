/// A final response head as it arrived: the status and the raw header lines, parsed into
/// ``HTTPHeaders`` by the task that receives it rather than on the transport's thread.
struct CurlResponseHead: Sendable {
    var status: Int
    /// The header lines of the final head, each with its line ending; no status line, no blank line.
    var headerBlock: [UInt8]

    /// The status code of an HTTP status line (`HTTP/1.1 200 OK`, `HTTP/2 200`), or `nil` when the line
    /// is not one.
    static func status(ofStatusLine line: UnsafeRawBufferPointer) -> Int? {
        guard line.count >= 5, line[0] == UInt8(ascii: "H"), line[1] == UInt8(ascii: "T"),
            line[2] == UInt8(ascii: "T"), line[3] == UInt8(ascii: "P"), line[4] == UInt8(ascii: "/")
        else { return nil }
        var index = 5
        while index < line.count, line[index] != UInt8(ascii: " ") { index += 1 }
        while index < line.count, line[index] == UInt8(ascii: " ") { index += 1 }
        var status = 0
        var digits = 0
        while index < line.count, digits < 3, line[index] >= UInt8(ascii: "0"), line[index] <= UInt8(ascii: "9") {
            status = status * 10 + Int(line[index] - UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        return digits == 3 ? status : nil
    }

    /// Whether a header line is the blank line that ends a head.
    static func isBlankLine(_ line: UnsafeRawBufferPointer) -> Bool {
        (line.count == 2 && line[0] == 0x0D && line[1] == 0x0A) || (line.count == 1 && line[0] == 0x0A)
    }

    /// The header fields, in order. Folded continuation lines join the previous value with a space;
    /// lines without a colon are skipped; surrounding whitespace is trimmed from values.
    var headers: HTTPHeaders { Self.parseHeaders(headerBlock) }

    static func parseHeaders(_ block: [UInt8]) -> HTTPHeaders {
        var fields: [HTTPHeaders.Field] = []
        block.withUnsafeBufferPointer { bytes in
            // One field per line at most: reserved once rather than grown.
            var lines = 0
            for byte in bytes where byte == 0x0A { lines += 1 }
            fields.reserveCapacity(lines + 1)
            var lineStart = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count, bytes[lineEnd] != 0x0A { lineEnd += 1 }
                var contentEnd = lineEnd
                if contentEnd > lineStart, bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
                defer { lineStart = lineEnd + 1 }
                guard contentEnd > lineStart else { continue }
                let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<contentEnd])
                if line[0] == 0x20 || line[0] == 0x09 {
                    // obs-fold: a continuation of the previous field's value.
                    guard !fields.isEmpty else { continue }
                    let more = trimmed(line[...])
                    if !more.isEmpty {
                        fields[fields.count - 1].value += " " + String(decoding: more, as: UTF8.self)
                    }
                    continue
                }
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { continue }
                let name = string(line[..<colon])
                let value = string(trimmed(line[(colon + 1)...]))
                fields.append(HTTPHeaders.Field(name: name, value: value))
            }
        }
        return HTTPHeaders(fields: fields)
    }

    /// Names and values that providers send on every reply and that are too long for a small
    /// (inline) string: taken from here they cost no allocation. Shorter ones never allocate anyway.
    static let commonTokens: [String] = [
        "application/json", "application/json; charset=utf-8", "text/event-stream",
        "text/event-stream; charset=utf-8", "transfer-encoding", "Transfer-Encoding",
        "x-ratelimit-limit-requests", "x-ratelimit-limit-tokens", "x-ratelimit-remaining-requests",
        "x-ratelimit-remaining-tokens", "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens",
        "openai-processing-ms", "openai-organization", "strict-transport-security",
        "access-control-expose-headers", "anthropic-organization-id",
    ]

    /// The bytes as a string: one of ``commonTokens`` when they spell it, else a new string.
    private static func string(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        if bytes.count > 15 {
            // Over the token's contiguous bytes: comparing through the string's UTF-8 view element by
            // element is several times slower (the same finding as `HTTPHeaders.namesEqual`).
            for token in commonTokens where token.utf8.count == bytes.count {
                let equal = token.utf8.withContiguousStorageIfAvailable { $0.elementsEqual(bytes) }
                if equal ?? token.utf8.elementsEqual(bytes) { return token }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func trimmed(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return bytes[start..<end]
    }

    /// The body length the head announces, for ``ResponseBody/expectedContentLength``: 0 when the
    /// response can have no body, the `Content-Length` when there is exactly one valid value, else `nil`.
    static func expectedContentLength(status: Int, isHeadRequest: Bool, headers: HTTPHeaders) -> Int? {
        if isHeadRequest || status == 204 || status == 304 || (100..<200).contains(status) { return 0 }
        // The one value every Content-Length field agrees on (no array of them).
        var first: String?
        for field in headers where HTTPHeaders.namesEqual(field.name, "content-length") {
            if let first, first != field.value { return nil }
            first = field.value
        }
        guard let first, !first.isEmpty, first.utf8.count <= 18, first.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else {
            return nil
        }
        return Int(first)
    }
}
