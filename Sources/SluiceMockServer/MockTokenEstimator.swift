/// The mock server's documented token arithmetic, so a test can predict `usage` and limiter charges.
///
/// The mock does not run a tokenizer. It estimates:
///
/// - text: `ceil(utf8ByteCount / 4)` tokens (``textTokens(_:)``);
/// - a chat prompt: `sum over messages of (textTokens(content) + 4) + 3` (``chatPromptTokens(messageContents:)``),
///   where a message's content is its string, or the concatenation of the `text` fields of its
///   content parts (other parts count nothing), and a `null` content counts as empty;
/// - an embeddings input: `textTokens(input)` per string, or the count of integers per token array
///   (``embeddingPromptTokens(for:)``);
/// - a reply: one token per word the server sends, so `completion_tokens` equals the number of
///   content tokens streamed (``MockReplyGenerator``).
///
/// The rate limiter charges ``admissionCost(promptTokens:maxTokens:replyTokens:)`` at admission.
///
/// ```swift
/// let prompt = MockTokenEstimator.chatPromptTokens(messageContents: ["You are terse.", "Hi"])
/// // (4 + 4) + (1 + 4) + 3 == 16
/// ```
public enum MockTokenEstimator {
    /// `ceil(utf8ByteCount / 4)`.
    public static func textTokens(_ text: String) -> Int {
        (text.utf8.count + 3) / 4
    }

    /// `sum over messages of (textTokens(content) + 4) + 3`.
    public static func chatPromptTokens(messageContents: [String]) -> Int {
        messageContents.reduce(3) { $0 + textTokens($1) + 4 }
    }

    /// The prompt tokens of an embeddings input: ``textTokens(_:)`` summed over the strings.
    public static func embeddingPromptTokens(for inputs: [String]) -> Int {
        inputs.reduce(0) { $0 + textTokens($1) }
    }

    /// The tokens the rate limiter charges when it admits a request: the prompt estimate plus
    /// `max_tokens` (or `max_completion_tokens`) when the request sets one, otherwise plus the
    /// reply length the server will send.
    public static func admissionCost(promptTokens: Int, maxTokens: Int?, replyTokens: Int) -> Int {
        promptTokens + (maxTokens ?? replyTokens)
    }
}
