/// Content for a request that asks for structured output (OpenAI `response_format` on chat,
/// `text.format` on responses): JSON made from the schema, or a JSON object.
enum MockStructuredOutput {
    /// For `{"type":"json_schema","json_schema":{"name":…,"schema":{…}}}` (chat) or
    /// `{"type":"json_schema","name":…,"schema":{…}}` (responses), JSON text made from the schema
    /// the way tool arguments are (see ``MockToolCall``); for `{"type":"json_object"}`,
    /// `{"text":"<the reply's words>"}`; `nil` for text or anything else.
    static func content(for format: MockJSON, words: [String]) -> String? {
        switch format["type"]?.stringValue {
        case "json_schema":
            let wrapper = format["json_schema"] ?? format
            let name = wrapper["name"]?.stringValue ?? "response"
            let schema = wrapper["schema"] ?? .object(["type": .string("object")])
            return MockToolCall.value(for: schema, path: name).compactText
        case "json_object":
            return MockJSON.object(["text": .string(words.joined(separator: " "))]).compactText
        default:
            return nil
        }
    }
}

extension MockReplyContent {
    /// Replaces generated text with structured output when `format` asks for it; returns the
    /// output tokens of the JSON text then (it is sent as one chunk), else `nil`.
    mutating func applyStructuredOutput(_ format: MockJSON?) -> Int? {
        guard self.toolCall == nil, self.isGenerated, let format,
            let json = MockStructuredOutput.content(for: format, words: self.words)
        else { return nil }
        self.words = [json]
        return MockTokenEstimator.textTokens(json)
    }
}
