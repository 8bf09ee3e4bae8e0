extension AnthropicAdapter {
    /// The typed error for a non-success reply.
    ///
    /// Anthropic's error body is
    /// `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_…"}`.
    /// The code comes from the status refined by the error type
    /// (``SluiceError/code(forStatus:errorType:errorCode:)``: `overloaded_error` or 529 is
    /// ``SluiceError/Code/overloaded``, 429 ``SluiceError/Code/rateLimited``, 401
    /// ``SluiceError/Code/authenticationFailed``, a 400 `invalid_request_error` whose message says
    /// `prompt is too long` ``SluiceError/Code/contextWindowExceeded``, …); the message reads
    /// `Anthropic returned 529 overloaded_error: Overloaded`, with the provider's text cut at 500
    /// characters; ``SluiceError/providerError`` keeps the type and the message; the request id is the
    /// `request-id` header (or the body's `request_id`).
    ///
    /// A body of another shape (an HTML page from a proxy, an empty body) still gives an error of the
    /// status's code, whose message holds a short excerpt with control characters removed.
    ///
    /// Anything that looks like an API key (`sk-ant-…`, `sk-…`, `Bearer …`) in the provider's text is
    /// replaced by `<redacted>` (``SecretRedaction``) before it reaches a message.
    public func decodeError(status: Int, headers: HTTPHeaders, body: [UInt8]) -> SluiceError {
        var details: ProviderErrorDetails?
        var bodyRequestID: String?
        var topLevelMessage: String?
        let isObject =
            (try? JSONReader.read(body) { reader -> Bool in
                guard try reader.peekKind() == .object else { return false }
                try reader.readObject { key, reader in
                    switch key {
                    case "error":
                        switch try reader.peekKind() {
                        case .object: details = try Self.decodeErrorObject(from: &reader)
                        case .string: details = ProviderErrorDetails(message: try reader.readString())
                        default: break
                        }
                    case "request_id": bodyRequestID = try reader.readStringOrNull()
                    case "message": topLevelMessage = try reader.readStringOrNull()
                    default: break
                    }
                }
                return true
            }) ?? false
        let requestID = headers[Self.requestIDHeader] ?? bodyRequestID
        if isObject, let details = details ?? topLevelMessage.map({ ProviderErrorDetails(message: $0) }) {
            return Self.providerError(status: status, details: details, requestID: requestID)
        }
        let code = SluiceError.code(forStatus: status, errorType: nil, errorCode: nil)
        let what: String
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            what = "an empty body"
        } else if isObject {
            what = "a JSON body that is not an Anthropic error: \"\(Self.excerpt(body))\""
        } else {
            what = "a body that is not JSON: \"\(Self.excerpt(body))\""
        }
        return SluiceError(code, "Anthropic returned \(status) with \(what)", status: status, requestID: requestID)
    }

    /// Reads the `error` object of an error body or `error` event: its `type` and `message`.
    static func decodeErrorObject(from reader: inout JSONReader) throws -> ProviderErrorDetails {
        var details = ProviderErrorDetails()
        try reader.readObject { key, reader in
            switch key {
            case "type": details.type = try reader.readStringOrNull()
            case "message": details.message = try reader.readStringOrNull()
            default: break
            }
        }
        return details
    }

    /// The longest provider message, in characters, that an error's ``SluiceError/message`` quotes.
    static let maxQuotedMessage = 500
    /// The most characters of an error type quoted in a message.
    static let maxQuotedType = 64

    /// The error for a provider error object. With no status (an error inside a 200 body), the code
    /// comes from the error type alone.
    static func providerError(status: Int?, details: ProviderErrorDetails, requestID: String?) -> SluiceError {
        var details = details
        details.message = details.message.map { SecretRedaction.redact($0) }
        let code = SluiceError.Code.refined(
            SluiceError.code(
                forStatus: status ?? statusForErrorType(details.type), errorType: details.type, errorCode: nil),
            message: details.message)
        return SluiceError(
            code,
            (status.map { "Anthropic returned \($0) " } ?? "Anthropic returned ") + summary(details),
            status: status,
            providerError: details,
            requestID: requestID
        )
    }

    /// `type: message`, `type` or `message` (cut to ``maxQuotedMessage`` characters), or
    /// `unknown error` when the provider said neither.
    static func summary(_ details: ProviderErrorDetails) -> String {
        var text = ""
        // A type is a short identifier; a hostile one is cut so the message stays bounded.
        if let type = details.type, !type.isEmpty {
            text = type.count > maxQuotedType ? type.prefix(maxQuotedType) + "…" : type
        }
        if let message = details.message, !message.isEmpty {
            if !text.isEmpty { text += ": " }
            text += message.count > maxQuotedMessage ? message.prefix(maxQuotedMessage) + "…" : message
        }
        return text.isEmpty ? "unknown error" : text
    }

    /// The HTTP status Anthropic documents for an error type, for errors that arrive without one.
    static func statusForErrorType(_ type: String?) -> Int {
        switch type {
        case "invalid_request_error": 400
        case "authentication_error": 401
        case "billing_error": 402
        case "permission_error": 403
        case "not_found_error": 404
        case "request_too_large": 413
        case "rate_limit_error": 429
        case "api_error": 500
        case "timeout_error": 504
        case "overloaded_error": 529
        default: 0
        }
    }

    /// At most 100 characters of a body, control characters as spaces, secrets redacted.
    static func excerpt(_ body: [UInt8]) -> String {
        let limit = 100
        // Redacted before it is cut, so a key across the cut cannot leave a recognisable part.
        let head = SecretRedaction.redact(String(decoding: body.prefix(limit * 4), as: UTF8.self))
        var text = ""
        var count = 0
        var lastWasSpace = false
        for character in head {
            let isSpace =
                character.isWhitespace || character.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{7F}" }
            if isSpace {
                if lastWasSpace || text.isEmpty { continue }
                text.append(" ")
            } else {
                text.append(character)
            }
            lastWasSpace = isSpace
            count += 1
            if count == limit { break }
        }
        while text.last == " " { text.removeLast() }
        return count == limit || body.count > limit * 4 ? text + "…" : text
    }
}
