extension OpenAIAdapter {
    /// The body field a chat request's output token limit (``ChatRequest/maxOutputTokens``) is sent in.
    ///
    /// OpenAI deprecated `max_tokens` in favour of `max_completion_tokens`, and its reasoning models
    /// (o-series, GPT-5) reject `max_tokens`. Many compatible servers (older vLLM, llama.cpp, some
    /// gateways) know only `max_tokens`: choose ``maxTokens`` for them.
    ///
    /// ```swift
    /// let adapter = OpenAIAdapter(maxTokensField: .maxTokens)
    /// ```
    public struct MaxTokensField: Hashable, Sendable, CustomStringConvertible {
        /// The JSON key written.
        public let name: String

        private init(name: String) { self.name = name }

        public var description: String { name }

        /// `max_completion_tokens`: OpenAI's current field, the default.
        public static let maxCompletionTokens = MaxTokensField(name: "max_completion_tokens")
        /// `max_tokens`: the deprecated field, for compatible servers that know only it.
        public static let maxTokens = MaxTokensField(name: "max_tokens")
    }
}
