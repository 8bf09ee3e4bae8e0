extension SluiceError.Code {
    // MARK: Provider answers

    /// 401: the API key is missing, wrong or revoked.
    public static let authenticationFailed = SluiceError.Code("authentication_failed")
    /// 403: the key may not use this model or endpoint.
    public static let permissionDenied = SluiceError.Code("permission_denied")
    /// 404: no such model or endpoint.
    public static let notFound = SluiceError.Code("not_found")
    /// 400, 413 or 422: the provider rejected the request as invalid.
    public static let badRequest = SluiceError.Code("bad_request")
    /// 429 over a rate limit; retrying later can succeed.
    public static let rateLimited = SluiceError.Code("rate_limited")
    /// 429 `insufficient_quota`: the account is out of credit; retrying will not help.
    public static let insufficientQuota = SluiceError.Code("insufficient_quota")
    /// 500–599 other than overloaded.
    public static let serverError = SluiceError.Code("server_error")
    /// 529 or `overloaded_error`: the provider is over capacity.
    public static let overloaded = SluiceError.Code("overloaded")
    /// Any other non-success status.
    public static let apiError = SluiceError.Code("api_error")
    /// The provider sent an error event in the middle of a stream;
    /// ``SluiceError/partialResponse`` has what arrived before it.
    public static let streamError = SluiceError.Code("stream_error")
    /// The stream ended before the provider said it was complete (no `[DONE]` or `message_stop`).
    public static let incompleteStream = SluiceError.Code("incomplete_stream")
    /// The provider does not offer this operation (for example embeddings on Anthropic).
    public static let unsupported = SluiceError.Code("unsupported")
}

extension SluiceError {
    /// The code for a provider's non-success status, refined by its error type and code
    /// (`context_length_exceeded` is ``Code/contextWindowExceeded``).
    public static func code(forStatus status: Int, errorType: String?, errorCode: String?) -> Code {
        if errorCode == "insufficient_quota" || errorType == "insufficient_quota" { return .insufficientQuota }
        if errorCode == "context_length_exceeded" { return .contextWindowExceeded }
        if errorType == "overloaded_error" || status == 529 { return .overloaded }
        switch status {
        case 401: return .authenticationFailed
        case 403: return .permissionDenied
        case 404: return .notFound
        case 400, 413, 422: return .badRequest
        case 429: return .rateLimited
        case 500...599: return .serverError
        default: return .apiError
        }
    }
}

extension SluiceError.Code {
    /// `code` refined by the provider's message: a ``badRequest`` whose message says the prompt does
    /// not fit the model (Anthropic's `prompt is too long`, an OpenAI-compatible server's `maximum
    /// context length`) is ``contextWindowExceeded``. Reads at most the message's first 1,000
    /// characters.
    static func refined(_ code: SluiceError.Code, message: String?) -> SluiceError.Code {
        guard code == .badRequest, let message else { return code }
        let head = message.prefix(1_000).lowercased()
        let phrases = ["prompt is too long", "maximum context length", "context_length_exceeded", "context window"]
        return phrases.contains { head.contains($0) } ? .contextWindowExceeded : code
    }
}
