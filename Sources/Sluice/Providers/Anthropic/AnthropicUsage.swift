/// Anthropic's `usage` object, as sent in a message, in `message_start` and in `message_delta`.
///
/// ```json
/// {"input_tokens":2095,"cache_creation_input_tokens":0,"cache_read_input_tokens":1800,"output_tokens":503}
/// ```
///
/// Every field is optional: `message_delta` usually carries only `output_tokens` (newer API versions
/// repeat the input counts there too). Unknown fields (`server_tool_use`, `service_tier`, …) are skipped.
struct AnthropicUsage: Sendable, Hashable {
    /// Input tokens that were neither read from nor written to the prompt cache.
    var inputTokens: Int?
    var outputTokens: Int?
    /// Input tokens written to the prompt cache.
    var cacheCreationInputTokens: Int?
    /// Input tokens read from the prompt cache.
    var cacheReadInputTokens: Int?

    static func decode(from reader: inout JSONReader) throws -> AnthropicUsage {
        var usage = AnthropicUsage()
        try reader.readObject { key, reader in
            switch key {
            case "input_tokens": usage.inputTokens = try reader.readTokenCount()
            case "output_tokens": usage.outputTokens = try reader.readTokenCount()
            case "cache_creation_input_tokens": usage.cacheCreationInputTokens = try reader.readTokenCount()
            case "cache_read_input_tokens": usage.cacheReadInputTokens = try reader.readTokenCount()
            default: break
            }
        }
        return usage
    }

    /// Whether the object reported any input count.
    var hasInputCounts: Bool {
        inputTokens != nil || cacheCreationInputTokens != nil || cacheReadInputTokens != nil
    }

    /// The neutral usage: ``Usage/inputTokens`` counts every prompt token (uncached, cache reads and
    /// cache writes), the cache counts are kept apart as well.
    var usage: Usage {
        Usage(
            inputTokens: (inputTokens ?? 0).saturatingAdding(cacheReadInputTokens ?? 0)
                .saturatingAdding(cacheCreationInputTokens ?? 0),
            outputTokens: outputTokens ?? 0,
            cachedInputTokens: cacheReadInputTokens,
            cacheCreationInputTokens: cacheCreationInputTokens
        )
    }
}
