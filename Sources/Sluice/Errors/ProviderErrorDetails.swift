/// The fields of a provider's error body, kept on ``SluiceError/providerError``.
///
/// - Important: Sluice redacts key-like tokens in ``message`` before it keeps it; the mirror (`dump`,
///   `print`) redacts every field again.
public struct ProviderErrorDetails: Sendable, Hashable, CustomReflectable {
    /// The error type (OpenAI `error.type`, Anthropic `error.type`), such as `rate_limit_error`.
    public var type: String?
    /// The error code (OpenAI `error.code`), such as `insufficient_quota`.
    public var code: String?
    /// The parameter the error is about (OpenAI `error.param`).
    public var param: String?
    /// The provider's message, as sent, with key-like tokens redacted.
    public var message: String?

    public init(type: String? = nil, code: String? = nil, param: String? = nil, message: String? = nil) {
        self.type = type
        self.code = code
        self.param = param
        self.message = message
    }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "type": type.map { SecretRedaction.redact($0) } as Any,
                "code": code.map { SecretRedaction.redact($0) } as Any,
                "param": param.map { SecretRedaction.redact($0) } as Any,
                "message": message.map { SecretRedaction.redact($0) } as Any,
            ],
            displayStyle: .struct
        )
    }
}
