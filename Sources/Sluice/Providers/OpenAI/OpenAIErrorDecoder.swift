/// Turns OpenAI error bodies and stream error events into ``SluiceError``s.
///
/// OpenAI's error body is `{"error": {"message": …, "type": …, "param": …, "code": …}}`, where `code`
/// is a string, a number or `null`. Compatible servers vary, so these shapes are read too:
/// `{"error": "text"}`, vLLM's and FastAPI's top-level `{"message": …, "type": …, "code": 400}`, and
/// `{"detail": …}`. Any other body (an HTML 502 page from a proxy, plain text) still gives a typed
/// error, from the status, with a short excerpt: tags, scripts and styles dropped, whitespace
/// collapsed, at most ``excerptLimit`` characters.
///
/// - Important: Provider text is redacted by ``SecretRedaction`` before it is kept anywhere: a
///   key-like `sk-…` token becomes `sk-<redacted>` and a `Bearer …` credential `Bearer <redacted>`.
///   OpenAI echoes part of a wrong key (`Incorrect API key provided: sk-abc***xyz`).
enum OpenAIErrorDecoder {
    /// The most characters of the provider's message a ``SluiceError/message`` holds.
    static let messageLimit = 500
    /// The most characters of an error code or type quoted in a message.
    static let labelLimit = 64
    /// The most characters of the provider's message kept in ``ProviderErrorDetails/message``.
    static let detailsLimit = 4000
    /// The most characters of a body excerpt.
    static let excerptLimit = 200

    // MARK: Errors

    /// The error for a non-success response.
    static func error(status: Int, requestID: String?, body: [UInt8]) -> SluiceError {
        if let details = details(in: body) {
            return error(status: status, details: details, requestID: requestID)
        }
        let code = SluiceError.code(forStatus: status, errorType: nil, errorCode: nil)
        let text = excerpt(body)
        let message =
            text.isEmpty
            ? "OpenAI returned \(status) with an empty body"
            : "OpenAI returned \(status) with a body that is not an OpenAI error: \"\(text)\""
        return SluiceError(code, message, status: status, requestID: requestID)
    }

    /// The error for a provider's error details; `status` is `nil` for an error object in a 2xx body.
    static func error(status: Int?, details: ProviderErrorDetails, requestID: String?) -> SluiceError {
        let code = SluiceError.Code.refined(
            SluiceError.code(forStatus: status ?? 200, errorType: details.type, errorCode: details.code),
            message: details.message)
        var message = status.map { "OpenAI returned \($0)" } ?? "OpenAI returned an error instead of a reply"
        append(details, to: &message)
        return SluiceError(code, message, status: status, providerError: details, requestID: requestID)
    }

    /// The error for an `{"error": …}` chunk or an `event: error` event in the middle of a stream.
    static func streamError(_ details: ProviderErrorDetails, eventNumber: Int) -> SluiceError {
        var message = "OpenAI sent an error in the stream (event #\(eventNumber))"
        append(details, to: &message)
        return SluiceError(.streamError, message, providerError: details)
    }

    /// The error for an `event: error` event: its data read as an error body, else as text.
    static func streamError(eventData data: String, eventNumber: Int) -> SluiceError {
        let bytes = Array(data.utf8)
        let details = Self.details(in: bytes) ?? ProviderErrorDetails(message: excerpt(bytes))
        return streamError(details, eventNumber: eventNumber)
    }

    private static func append(_ details: ProviderErrorDetails, to message: inout String) {
        // A code or type is a short identifier; a hostile one is cut so the message stays bounded.
        if let label = details.code ?? details.type { message += " " + truncate(label, to: labelLimit) }
        if let text = details.message, !text.isEmpty { message += ": " + truncate(text, to: messageLimit) }
    }

    // MARK: Reading bodies

    /// The error fields of a JSON error body, or `nil` when the body is not JSON or has none of the
    /// known shapes. The message is redacted.
    static func details(in body: [UInt8]) -> ProviderErrorDetails? {
        guard let first = body.first(where: { !isWhitespace($0) }), first == UInt8(ascii: "{"),
            let root = try? JSONValue(parsing: body), case .object(let object) = root
        else { return nil }
        var details: ProviderErrorDetails
        switch object["error"] {
        case .object(let error)?:
            details = fields(of: error)
        case .string(let message)?:
            details = ProviderErrorDetails(message: message)
        default:
            if object["message"]?.stringValue != nil {
                details = fields(of: object)
            } else if let detail = object["detail"], !detail.isNull {
                details = ProviderErrorDetails(message: detail.stringValue ?? detail.description)
            } else {
                return nil
            }
        }
        details.message = details.message.map { truncate(SecretRedaction.redact($0), to: detailsLimit) }
        return details
    }

    private static func fields(of object: JSONObject) -> ProviderErrorDetails {
        ProviderErrorDetails(
            type: text(object["type"]),
            code: text(object["code"]),
            param: text(object["param"]),
            message: text(object["message"])
        )
    }

    /// A string's value or a number's literal; `nil` for anything else.
    private static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let string)?: string
        case .number(let number)?: number.text
        default: nil
        }
    }

    // MARK: Sanitizing

    /// A short, single-line, redacted excerpt of a body that is not an error document: for HTML the
    /// text without tags, scripts and styles.
    static func excerpt(_ body: [UInt8]) -> String {
        let head = body.prefix(8192)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(head.count, 1024))
        var index = head.startIndex
        let isMarkup = head.first(where: { !isWhitespace($0) }) == UInt8(ascii: "<")
        var pendingSpace = false
        while index < head.endIndex {
            let byte = head[index]
            if isMarkup, byte == UInt8(ascii: "<") {
                var skipTo: StaticString?
                if startsTag(head, at: index, "<script") {
                    skipTo = "</script>"
                } else if startsTag(head, at: index, "<style") {
                    skipTo = "</style>"
                }
                if let skipTo, let end = find(head, skipTo, from: index) {
                    index = end
                } else {
                    index = head[index...].firstIndex(of: UInt8(ascii: ">")).map { $0 + 1 } ?? head.endIndex
                }
                pendingSpace = true
                continue
            }
            if byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: " ") {
                pendingSpace = true
            } else {
                if pendingSpace, !bytes.isEmpty { bytes.append(UInt8(ascii: " ")) }
                pendingSpace = false
                bytes.append(byte)
            }
            index += 1
            if bytes.count > excerptLimit * 4 { break }
        }
        return truncate(SecretRedaction.redact(String(decoding: bytes, as: UTF8.self)), to: excerptLimit)
    }

    /// At most `limit` characters, with `…` when cut.
    static func truncate(_ text: String, to limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var count = 0
        var end = text.startIndex
        while end < text.endIndex, count < limit {
            end = text.index(after: end)
            count += 1
        }
        return end == text.endIndex ? text : String(text[..<end]) + "…"
    }

    // MARK: Bytes

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// Whether an ASCII-case-insensitive `tag` (`<script`) starts at `index`, followed by `>` or space.
    private static func startsTag(_ bytes: ArraySlice<UInt8>, at index: Int, _ tag: StaticString) -> Bool {
        let count = tag.utf8CodeUnitCount
        guard index + count < bytes.endIndex else { return false }
        let expected = tag.utf8Start
        for offset in 0..<count where bytes[index + offset] | 0x20 != expected[offset] | 0x20 { return false }
        let next = bytes[index + count]
        return next == UInt8(ascii: ">") || isWhitespace(next)
    }

    /// The index just after the first ASCII-case-insensitive `needle` at or after `start`.
    private static func find(_ bytes: ArraySlice<UInt8>, _ needle: StaticString, from start: Int) -> Int? {
        let count = needle.utf8CodeUnitCount
        let expected = needle.utf8Start
        var index = start
        while index + count <= bytes.endIndex {
            var found = true
            for offset in 0..<count where bytes[index + offset] | 0x20 != expected[offset] | 0x20 {
                found = false
                break
            }
            if found { return index + count }
            index += 1
        }
        return nil
    }
}
