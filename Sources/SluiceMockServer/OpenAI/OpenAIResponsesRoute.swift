import Hummingbird

extension OpenAIRoutes {
    /// `POST /v1/responses`, plain and streamed, with the chat route's auth, limits, faults and
    /// stats.
    ///
    /// The rate limiter charges the prompt estimate (``OpenAIResponsesWire/Request/promptTokens``)
    /// plus `max_output_tokens` (or the reply length). Function tools follow the chat route's rule
    /// (``MockToolCall``) — except that an input ending with a `function_call_output` is answered
    /// with text. A reply longer than `max_output_tokens` is cut and `incomplete`.
    /// `previous_response_id` is accepted and echoed, not looked up.
    func responses(_ request: Request, context: MockRequestContext) async throws -> Response {
        let ticket = await self.engine.beginRequest()
        // In flight until this handler returns, or until a streamed body that holds the ticket ends.
        defer { withExtendedLifetime(ticket) {} }
        let key: ResolvedKey
        let body: OpenAIResponsesWire.Request
        switch await self.open(request, as: OpenAIResponsesWire.Request.self) {
        case .proceed(let accepted): (key, body) = accepted
        case .answer(let response): return response
        }
        if body.input.isEmpty {
            return self.badRequest(
                "Invalid 'input': empty array. Expected an array with minimum length 1.", param: "input")
        }
        if let cap = body.maxOutputTokens, cap < 16 {
            return self.badRequest(
                "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got \(cap) instead.",
                param: "max_output_tokens")
        }
        let decidedCall: MockToolCall?
        switch MockToolCall.decide(
            tools: body.toolDefinitions, choice: body.answersFunctionCall ? .none : body.toolChoice?.choice ?? .auto,
            lastUserMessage: body.replySeed)
        {
        case .noCall: decidedCall = nil
        case .call(let call): decidedCall = call
        case .unknownTool(let name):
            return self.badRequest("Tool choice '\(name)' not found in 'tools' parameter.", param: "tool_choice")
        }

        let model = body.model ?? self.configuration.models.first ?? "mock"
        let admission = self.engine.admit(
            key: key,
            request: MockRuleRequest(
                request, keyName: key.name, model: body.model, lastUserMessage: body.replySeed,
                endsWithToolResult: body.answersFunctionCall)
        ) { hints in
            RateLimitCost(
                tokens: hints.tokens(
                    promptTokens: body.promptTokens, maxTokens: body.maxOutputTokens,
                    defaultReplyTokens: self.configuration.replyTokens))
        }
        let answer: AdmittedAnswer
        switch try await self.startAnswer(admission, key: key, model: model, context: context) {
        case .proceed(let started): answer = started
        case .answer(let response): return response
        }
        let (outcome, latency, pacer, headers) = (answer.outcome, answer.latency, answer.pacer, answer.headers)
        let scripted = answer.scripted?.reply
        let promptTokens = scripted?.inputTokens ?? body.promptTokens

        let wanted = outcome.replyTokens ?? self.configuration.replyTokens
        var content = MockReplyContent(scripted: scripted, decided: decidedCall) {
            let seed = body.answersFunctionCall ? "result " + (body.input.last?.text ?? "") : body.replySeed
            return MockReplyGenerator.words(for: seed, tokens: min(wanted, body.maxOutputTokens ?? wanted))
        }
        let isCut = content.isGenerated && content.toolCall == nil && content.words.count < wanted
        let structuredTokens = content.applyStructuredOutput(body.text?["format"])
        let (toolCall, words) = (content.toolCall, content.words)
        let number = context.requestNumber
        let reply = OpenAIResponsesWire.Reply(
            id: MockIdentifier.make("resp_", seed: number), createdAt: MockHTTP.unixTime(), model: model,
            request: body, text: words.joined(separator: " "), messageID: MockIdentifier.make("msg_", seed: number),
            functionCall: toolCall.map {
                (MockIdentifier.make("fc_", seed: number), MockIdentifier.make("call_", seed: number), $0)
            },
            promptTokens: promptTokens,
            outputTokens: scripted?.outputTokens ?? structuredTokens ?? toolCall?.tokens ?? words.count,
            cut: isCut)

        if body.stream == true {
            try await self.waitBeforeHead(latency.head, pacer: pacer)
            let stream = OpenAIResponsesStream(
                reply: reply, words: words, latency: latency,
                tokensPerChunk: scripted?.chunkTokens ?? self.configuration.streaming.tokensPerChunk,
                fault: outcome.fault, pacer: pacer, engine: self.engine, key: key)
            return Self.eventStream(headers: headers, ticket: ticket) { writer in try await stream.write(to: &writer) }
        }

        let pacedTokens = toolCall == nil ? words.count : 1
        let generation = pacedTokens == 0 ? Duration.zero : latency.firstToken + latency.perToken * (pacedTokens - 1)
        try await self.waitBeforeHead(latency.head + generation, pacer: pacer)
        return self.bufferedAnswer(
            OpenAIResponsesWire.response(reply, final: true), fault: outcome.fault, headers: headers,
            completionTokens: reply.outputTokens, key: key, pacer: pacer, ticket: ticket)
    }
}
