extension DefaultTokenEstimator {
    /// A Responses API request's input, by the same rules as a chat request: 3 tokens; the
    /// instructions as a message (4 plus their text); each message item 4 plus its text parts and
    /// images; a function call 4 plus its name and arguments; a function call's output 4 plus its
    /// text; a reasoning item 4 plus its summaries and encrypted content (which errs high: the provider
    /// charges the reasoning it stands for); any other item its compact JSON text; each tool 8 plus
    /// its name, description and schema; a named tool choice its name. Sums saturate.
    public func estimateInputTokens(_ request: ResponsesRequest) -> Int {
        var tokens = 3
        if let instructions = request.instructions {
            tokens = tokens.saturatingAdding(4 + Self.textTokens(instructions))
        }
        for item in request.input.items {
            tokens = tokens.saturatingAdding(itemTokens(item))
        }
        for tool in request.tools {
            tokens = tokens.saturatingAdding(8 + Self.textTokens(tool.name) + Self.textTokens(tool.description ?? ""))
            tokens = tokens.saturatingAdding(Self.textTokens(tool.parameters.description))
        }
        if case .tool(let name)? = request.toolChoice { tokens = tokens.saturatingAdding(Self.textTokens(name)) }
        return tokens
    }

    private func itemTokens(_ item: ResponsesInputItem) -> Int {
        switch item {
        case .message(_, let content):
            return content.reduce(4) { tokens, part in
                switch part {
                case .text(let text): tokens.saturatingAdding(Self.textTokens(text))
                case .image(let image): tokens.saturatingAdding(imageTokens(image))
                }
            }
        case .functionCall(let call):
            return 4 + Self.textTokens(call.name) + Self.textTokens(call.arguments)
        case .functionCallOutput(let result):
            return 4 + Self.textTokens(result.output)
        case .reasoning(let reasoning):
            let summary = reasoning.summary.reduce(4) { $0.saturatingAdding(Self.textTokens($1)) }
            return summary.saturatingAdding(Self.textTokens(reasoning.encryptedContent ?? ""))
        case .raw(let value):
            return 4 + Self.textTokens(value.description)
        }
    }
}
