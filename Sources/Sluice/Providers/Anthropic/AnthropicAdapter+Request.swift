extension AnthropicAdapter {
    /// `POST {baseURL}/v1/messages` with `x-api-key`, `anthropic-version`, `anthropic-beta` (when
    /// betas are set), `content-type` and `accept`, then the endpoint's own headers.
    ///
    /// The endpoint's headers replace the adapter's of the same name (so an endpoint can pin its own
    /// `anthropic-version`), except `anthropic-beta`, whose values are added to the adapter's betas.
    ///
    /// - Throws: ``SluiceError/Code/invalidRequest`` for a message the wire format cannot carry: a
    ///   tool call whose arguments are not a JSON object, a `.tool` message without
    ///   ``ChatMessage/toolCallID``, a role Anthropic does not know, a malformed `data:` image URL, or a
    ///   temperature or top-p that is not a finite number, a thinking budget below 1, or prompt-cache
    ///   breakpoints Anthropic refuses (more than ``CacheControl/maxBreakpoints``, a one-hour one after
    ///   a shorter one, or one on something that sends no block; see ``CacheControl``).
    public func chatRequest(_ request: ChatRequest, stream: Bool, endpoint: ProviderEndpoint) throws -> ClientRequest {
        ClientRequest(
            method: .post,
            url: endpoint.url("/v1/messages"),
            headers: headers(endpoint: endpoint, stream: stream),
            body: try requestBody(request, stream: stream)
        )
    }

    /// Throws ``SluiceError/Code/unsupported``: Anthropic has no embeddings API.
    public func embeddingsRequest(_ request: EmbeddingsRequest, endpoint: ProviderEndpoint) throws -> ClientRequest {
        throw Self.embeddingsUnsupported
    }

    /// The JSON body of a messages request, `extraFields` merged last (one replaces a field of the
    /// same name in its place), written straight to bytes.
    func requestBody(_ request: ChatRequest, stream: Bool) throws -> [UInt8] {
        var writer = JSONWriter()
        try writer.writeObject(overriddenBy: request.extraFields) { body in
            body.member("model", .string(request.model))
            let thinkingBudget = request.thinking?.reservedBudget ?? 0
            body.member(
                "max_tokens",
                .number(JSONNumber(request.maxOutputTokens ?? defaultMaxTokens.saturatingAdding(thinkingBudget))))

            let conversation = try AnthropicMessageList(request.messages)
            try Self.checkBreakpoints(request.tools.compactMap(\.cacheControl) + conversation.breakpoints)
            if let system = conversation.system { body.member("system", system) }
            body.member("messages") { conversation.writeMessages(&$0) }

            if !request.tools.isEmpty {
                body.member("tools", .array(request.tools.map(Self.toolJSON)))
            }
            if let choice = request.toolChoice {
                body.member("tool_choice", Self.toolChoiceJSON(choice))
            }
            if let temperature = request.temperature {
                body.member("temperature", try Self.finiteNumber(temperature, "temperature"))
            }
            if let topP = request.topP {
                body.member("top_p", try Self.finiteNumber(topP, "topP"))
            }
            if !request.stopSequences.isEmpty {
                body.member("stop_sequences", .array(request.stopSequences.map(JSONValue.string)))
            }
            if let user = request.user {
                body.member("metadata", ["user_id": .string(user)])
            }
            if let thinking = request.thinking {
                body.member("thinking", try Self.thinkingJSON(thinking))
            }
            if stream { body.member("stream", true) }
        }
        return writer.bytes
    }

    static func toolJSON(_ tool: ToolDefinition) -> JSONValue {
        var object = JSONObject()
        object["name"] = .string(tool.name)
        if let description = tool.description { object["description"] = .string(description) }
        object["input_schema"] = tool.parameters
        if let control = tool.cacheControl { object["cache_control"] = control.json }
        return .object(object)
    }

    /// Refuses more than ``CacheControl/maxBreakpoints`` breakpoints, and a one-hour entry after a
    /// shorter one (Anthropic requires longer lifetimes first when they are mixed). `breakpoints`
    /// are in prompt order: tools, system, messages.
    static func checkBreakpoints(_ breakpoints: [CacheControl]) throws {
        guard breakpoints.count <= CacheControl.maxBreakpoints else {
            throw SluiceError(
                .invalidRequest,
                "the request has \(breakpoints.count) prompt-cache breakpoints (cacheControl); Anthropic allows at "
                    + "most \(CacheControl.maxBreakpoints) across tools, system and messages"
            )
        }
        var shorterSeen = false
        for control in breakpoints {
            if control.ttl == .oneHour {
                if shorterSeen {
                    throw SluiceError(
                        .invalidRequest,
                        "a one-hour prompt-cache breakpoint comes after a shorter one; Anthropic requires the "
                            + "longer lifetimes first (tools, then system, then messages)"
                    )
                }
            } else {
                shorterSeen = true
            }
        }
    }

    /// `{"type": "enabled", "budget_tokens": N}`, `{"type": "adaptive"}` or `{"type": "disabled"}`
    /// (any other mode as its `type`, with the budget only for `enabled`).
    static func thinkingJSON(_ thinking: ThinkingConfiguration) throws -> JSONValue {
        var object: JSONObject = ["type": .string(thinking.mode.rawValue)]
        // Anthropic takes a budget with `enabled` only; `adaptive` refuses one.
        if let budget = thinking.budgetTokens, thinking.mode == .enabled {
            guard budget >= 1 else {
                throw SluiceError(.invalidRequest, "the thinking budget must be at least 1 token, not \(budget)")
            }
            object["budget_tokens"] = .number(JSONNumber(budget))
        }
        return .object(object)
    }

    static func toolChoiceJSON(_ choice: ToolChoice) -> JSONValue {
        switch choice {
        case .auto: ["type": "auto"]
        case .none: ["type": "none"]
        case .required: ["type": "any"]
        case .tool(let name): ["type": "tool", "name": .string(name)]
        }
    }

    static func finiteNumber(_ value: Double, _ name: String) throws -> JSONValue {
        guard let number = JSONNumber(value) else {
            throw SluiceError(.invalidRequest, "\(name) must be a finite number, not \(value)")
        }
        return .number(number)
    }
}
