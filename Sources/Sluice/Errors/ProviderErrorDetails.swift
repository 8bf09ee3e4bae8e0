/// The fields of a provider's error body, kept on ``SluiceError/providerError``.
public struct ProviderErrorDetails: Sendable, Hashable {
    /// The error type (OpenAI `error.type`, Anthropic `error.type`), such as `rate_limit_error`.
    public var type: String?
    /// The error code (OpenAI `error.code`), such as `insufficient_quota`.
    public var code: String?
    /// The parameter the error is about (OpenAI `error.param`).
    public var param: String?
    /// The provider's message, as sent.
    public var message: String?

    public init(type: String? = nil, code: String? = nil, param: String? = nil, message: String? = nil) {
        self.type = type
        self.code = code
        self.param = param
        self.message = message
    }
}
