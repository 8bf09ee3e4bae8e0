extension AnthropicWire.MessagesRequest {
    /// The request's prompt-cache breakpoints in prompt order (tools, system, messages), each with
    /// the hash of the prompt up to and including its block and that prefix's tokens; or the
    /// message of Anthropic's 400 for more than ``maxBreakpoints`` or a `cache_control` it refuses.
    ///
    /// A prefix's tokens follow ``MockTokenEstimator/messagesPromptTokens(system:messageContents:toolTokens:)``
    /// cut at the block: the tools up to it; the system text up to it; then `3`, and `textTokens +
    /// 4` for each earlier message and for the marked message's blocks up to the marked one. Blocks
    /// nested in a `tool_result` are part of its prefix but are not breakpoints of their own.
    func cacheBreakpoints(toolTokens: [Int]) -> Result<[MockPromptCache.Breakpoint], AnthropicWire.RequestProblem> {
        var hasher = MockPrefixHasher()
        var breakpoints: [MockPromptCache.Breakpoint] = []
        var refused: String?
        var marks = 0
        func mark(_ control: AnthropicWire.CacheMark?, at prefixTokens: Int) {
            guard let control else { return }
            marks += 1
            guard let lifetime = control.lifetime else {
                refused = refused ?? "cache_control: type must be 'ephemeral' and ttl '5m' or '1h'"
                return
            }
            breakpoints.append(
                MockPromptCache.Breakpoint(prefixHash: hasher.value, prefixTokens: prefixTokens, lifetime: lifetime))
        }

        var prefix = 0
        for (index, tool) in tools.enumerated() {
            hasher.add("tool", tool.identity)
            prefix += index < toolTokens.count ? toolTokens[index] : 0
            mark(tool.cacheControl, at: prefix)
        }
        let toolsTotal = prefix
        if systemBlocks.isEmpty {
            hasher.add("system", system)
        } else {
            var text = ""
            for block in systemBlocks {
                hasher.add("system", block.identity)
                text += block.countedText
                mark(block.cacheControl, at: toolsTotal + MockTokenEstimator.textTokens(text))
            }
        }
        var base = toolsTotal + MockTokenEstimator.textTokens(system) + 3
        for message in messages ?? [] {
            hasher.add("role", message.role ?? "")
            if message.blocks.isEmpty {
                hasher.add("content", message.content)
            } else {
                var text = ""
                for block in message.blocks {
                    hasher.add("block", block.identity)
                    text += block.countedText
                    mark(block.cacheControl, at: base + MockTokenEstimator.textTokens(text) + 4)
                }
            }
            base += MockTokenEstimator.textTokens(message.content) + 4
        }
        if marks > Self.maxBreakpoints {
            return .failure(
                AnthropicWire.RequestProblem(
                    message:
                        "A maximum of \(Self.maxBreakpoints) blocks with cache_control may be provided. Found \(marks)."
                ))
        }
        if let refused { return .failure(AnthropicWire.RequestProblem(message: refused)) }
        return .success(breakpoints)
    }

    /// The most `cache_control` blocks Anthropic accepts in one request.
    static let maxBreakpoints = 4
}
