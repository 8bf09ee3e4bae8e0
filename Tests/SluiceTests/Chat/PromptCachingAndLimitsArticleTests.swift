import Sluice
import Testing

// The two code blocks of Sources/Sluice/Sluice.docc/PromptCachingAndLimits.md, as they stand there:
// this file compiling is what keeps the article's code compiling. Change them together.

/// A request whose tools and long instructions are cached; only the question changes.
func cachedRequest(instructions: String, tools: [ToolDefinition], question: String) -> ChatRequest {
    var tools = tools
    if let last = tools.indices.last {
        tools[last].cacheControl = .ephemeral(ttl: .oneHour)  // tools come first in the prefix
    }
    return ChatRequest(
        model: "claude-sonnet-4-5",
        messages: [ChatMessage.system(instructions).cached(), .user(question)],
        tools: tools,
        maxOutputTokens: 1_024
    )
}

/// A client whose limiter settles Anthropic calls as the input limit counts them.
func cachingConfiguration(apiKey: String, limitCountsCacheReads: Bool) -> LLMClient.Configuration {
    var configuration = LLMClient.Configuration.anthropic(apiKey: apiKey)
    let limits = RateLimits(inputTokensPerMinute: 400_000, outputTokensPerMinute: 80_000)
    configuration.rateLimits = RateLimitMiddleware.Configuration(keys: [APIKey(apiKey, label: "main", limits: limits)])
    if limitCountsCacheReads {
        // Older models whose input limit counts cache reads: keep the whole prompt charged.
        configuration.rateLimits?.settlement = .refundUnusedOutput(countingCacheReads: true)
    }
    return configuration
}

@Suite("The Prompt caching and limits article's code")
struct PromptCachingAndLimitsArticleTests {
    @Test("the article's code blocks are the ones in this file")
    func inSync() throws {
        try ArticleCode.expectInSync(article: "PromptCachingAndLimits.md", count: 2)
    }

    @Test("the cached request marks the last tool for an hour and the system prompt for five minutes")
    func request() throws {
        let request = cachedRequest(
            instructions: "The manual.", tools: [ToolDefinition(name: "a"), ToolDefinition(name: "b")], question: "Q")
        let endpoint = ProviderEndpoint(baseURL: "https://api.anthropic.com", apiKey: "sk-ant-article")
        let http = try AnthropicAdapter().chatRequest(request, stream: false, endpoint: endpoint)
        let body = try JSONValue(parsing: try #require(http.body))
        #expect(body["tools"]?[0]?["cache_control"] == nil)
        #expect(body["tools"]?[1]?["cache_control"] == ["type": "ephemeral", "ttl": "1h"])
        #expect(body["system"] == [["type": "text", "text": "The manual.", "cache_control": ["type": "ephemeral"]]])
    }

    @Test("the configuration keeps Anthropic's default, or counts the reads when told")
    func configuration() {
        let usage = Usage(inputTokens: 10_000, outputTokens: 10, cachedInputTokens: 9_000)
        let reserved = TokenEstimate(input: 10_000, maxOutput: 100)
        let byDefault = cachingConfiguration(apiKey: "sk-ant-article", limitCountsCacheReads: false)
        #expect(byDefault.rateLimits?.settlement == nil)  // the provider's default applies
        #expect(
            RateLimitSettlementPolicy.default(for: .anthropic).charge(reserved, usage)
                == TokenCharge(input: 1_000, output: 10))
        let counting = cachingConfiguration(apiKey: "sk-ant-article", limitCountsCacheReads: true)
        #expect(counting.rateLimits?.settlement?.charge(reserved, usage) == TokenCharge(input: 10_000, output: 10))
    }
}
