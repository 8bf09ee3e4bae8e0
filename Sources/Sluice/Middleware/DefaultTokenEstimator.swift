/// The default ``TokenEstimator``: about four UTF-8 bytes a token, plus per-message overhead.
///
/// Errs high rather than low: `ceil(bytes / 4)` for every text, 4 tokens of overhead per message and
/// 3 per request, the JSON text of tool schemas counted like text.
public struct DefaultTokenEstimator: TokenEstimator {
    public init() {}

    public func estimateInputTokens(_ request: ChatRequest) -> Int {
        var tokens = 3
        for message in request.messages {
            tokens += 4
            for part in message.content {
                switch part {
                case .text(let text): tokens += Self.textTokens(text)
                case .image: tokens += 1_105
                }
            }
            for call in message.toolCalls { tokens += Self.textTokens(call.name) + Self.textTokens(call.arguments) }
        }
        for tool in request.tools {
            tokens += Self.textTokens(tool.name) + Self.textTokens(tool.description ?? "")
            tokens += Self.textTokens(tool.parameters.description)
        }
        return tokens
    }

    public func estimateInputTokens(_ request: EmbeddingsRequest) -> Int {
        request.inputs.reduce(0) { $0 + Self.textTokens($1) }
    }

    /// `ceil(utf8 bytes / 4)`.
    public static func textTokens(_ text: String) -> Int {
        (text.utf8.count + 3) / 4
    }
}
