/// The mock server's documented token arithmetic, so a test can predict `usage` and limiter charges.
///
/// The mock does not run a tokenizer. It estimates:
///
/// - text: `ceil(utf8ByteCount / 4)` tokens (``textTokens(_:)``);
/// - a tool definition: `textTokens(name) + textTokens(description) + textTokens(schemaJSON)`
///   (``toolTokens(name:description:schemaJSON:)``), where `schemaJSON` is the tool's
///   `input_schema` (Anthropic) or `function.parameters` (OpenAI) written as compact JSON with
///   sorted keys and whole numbers without a fraction, e.g.
///   `{"properties":{"city":{"type":"string"}},"type":"object"}`;
/// - an OpenAI chat prompt: `sum over messages of (textTokens(content) + 4) + 3`
///   (``chatPromptTokens(messageContents:)``), plus the tool tokens of every tool in `tools`.
///   A message's content is its string, or the concatenation of the `text` fields of its content
///   parts (other parts count nothing), and a `null` content counts as empty;
/// - an Anthropic messages prompt (the input tokens):
///   `textTokens(system) + sum over messages of (textTokens(content) + 4) + 3 + sum of tool tokens`
///   (``messagesPromptTokens(system:messageContents:toolTokens:)``). `system` is the string, or the
///   concatenation of its text blocks. A message's content is its string, or the concatenation,
///   over its blocks, of: a `text` block's text, a `tool_result` block's content (a string or the
///   text of its text blocks), a `tool_use` block's `input` as compact sorted JSON; other blocks
///   (images, documents) count nothing;
/// - an embeddings input: `textTokens(input)` per string, or the count of integers per token array
///   (``embeddingPromptTokens(for:)``);
/// - a reply: one token per word the server sends, so `completion_tokens` / `output_tokens` equals
///   the number of content tokens streamed (``MockReplyGenerator``); a tool call:
///   `textTokens(arguments JSON text)`.
///
/// The rate limiter charges, at admission, ``admissionCost(promptTokens:maxTokens:replyTokens:)``
/// on the OpenAI routes, and on the Anthropic route the input estimate from the input bucket and
/// `max_tokens` from the output bucket, reconciled with the output tokens sent when the response
/// ends (see ``MockRateLimits``).
///
/// ```swift
/// let prompt = MockTokenEstimator.chatPromptTokens(messageContents: ["You are terse.", "Hi"])
/// // (4 + 4) + (1 + 4) + 3 == 16
/// let input = MockTokenEstimator.messagesPromptTokens(system: "You are terse.", messageContents: ["Hi"])
/// // 4 + (1 + 4) + 3 == 12
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

    /// Anthropic input tokens: `textTokens(system) + sum over messages of (textTokens(content) + 4) + 3 + toolTokens`.
    public static func messagesPromptTokens(system: String, messageContents: [String], toolTokens: Int = 0) -> Int {
        textTokens(system) + chatPromptTokens(messageContents: messageContents) + toolTokens
    }

    /// One tool definition: `textTokens(name) + textTokens(description) + textTokens(schemaJSON)`.
    public static func toolTokens(name: String, description: String, schemaJSON: String) -> Int {
        textTokens(name) + textTokens(description) + textTokens(schemaJSON)
    }

    /// The prompt tokens of an embeddings input: ``textTokens(_:)`` summed over the strings.
    public static func embeddingPromptTokens(for inputs: [String]) -> Int {
        inputs.reduce(0) { $0 + textTokens($1) }
    }

    /// The tokens the rate limiter charges when it admits an OpenAI request: the prompt estimate
    /// plus `max_tokens` (or `max_completion_tokens`) when the request sets one, otherwise plus
    /// the reply length the server will send.
    public static func admissionCost(promptTokens: Int, maxTokens: Int?, replyTokens: Int) -> Int {
        promptTokens + (maxTokens ?? replyTokens)
    }
}
