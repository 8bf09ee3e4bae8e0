import Hummingbird

/// The Anthropic Messages endpoint, `POST /v1/messages`, with `x-api-key` (or `Authorization:
/// Bearer`) auth.
///
/// Only wire concerns live here (headers, request and response shapes, error bodies, named SSE
/// events); key lookup, limits, outcome selection and stats come from ``MockServerEngine``.
struct AnthropicRoutes: MockRouteDialect {
    let engine: MockServerEngine

    private var configuration: MockServerConfiguration { self.engine.configuration }

    func register(on router: Router<MockRequestContext>) {
        router.post("v1/messages") { request, context in
            var response = try await self.messages(request, context: context)
            response.headers[AnthropicWire.requestID] = context.requestID
            return response
        }
    }

    // MARK: Endpoint

    func messages(_ request: Request, context: MockRequestContext) async throws -> Response {
        let ticket = await self.engine.beginRequest()
        // In flight until this handler returns, or until a streamed body that holds the ticket ends.
        defer { withExtendedLifetime(ticket) {} }
        let key: ResolvedKey
        let body: AnthropicWire.MessagesRequest
        switch await self.open(request, as: AnthropicWire.MessagesRequest.self) {
        case .proceed(let opened): (key, body) = opened
        case .answer(let response): return response
        }
        guard let model = body.model else { return self.badRequest("model: Field required") }
        guard let maxTokens = body.maxTokens else { return self.badRequest("max_tokens: Field required") }
        if maxTokens < 1 { return self.badRequest("max_tokens: Input should be greater than or equal to 1") }
        guard let messages = body.messages else { return self.badRequest("messages: Field required") }
        if messages.isEmpty { return self.badRequest("messages: at least one message is required") }
        let thinkingTokens: Int?
        if let thinking = body.thinking, thinking.isOn {
            if let problem = MockThinking.problem(in: messages) { return self.badRequest(problem) }
            thinkingTokens = max(0, min(MockThinking.defaultTokens, thinking.budgetTokens ?? .max, maxTokens - 1))
        } else {
            thinkingTokens = nil
        }

        let tools = body.toolDefinitions
        let decidedCall: MockToolCall?
        switch MockToolCall.decide(tools: tools, choice: body.choice, lastUserMessage: body.replySeed) {
        case .noCall: decidedCall = nil
        case .call(let call): decidedCall = call
        case .unknownTool(let name):
            return self.badRequest("tool_choice.name: Tool '\(name)' not found in tools")
        }

        let inputTokens = MockTokenEstimator.messagesPromptTokens(
            system: body.system, messageContents: messages.map(\.content),
            toolTokens: tools.reduce(0) { $0 + $1.promptTokens })
        let breakpoints: [MockPromptCache.Breakpoint]
        switch body.cacheBreakpoints(toolTokens: tools.map(\.promptTokens)) {
        case .success(let found): breakpoints = found
        case .failure(let problem): return self.badRequest(problem.message)
        }
        // The cache outcome comes first: the input bucket counts input plus cache writes, not reads.
        var input = self.engine.promptCache.lookUp(
            breakpoints, key: key.name, model: model, promptTokens: inputTokens, now: self.configuration.clock.now())
        let ruleRequest = MockRuleRequest(
            request, keyName: key.name, model: model, lastUserMessage: body.replySeed,
            endsWithToolResult: messages.last.map { $0.role == "user" && $0.blocks.contains { $0.type == "tool_result" } }
                ?? false)
        let status: RateLimitStatus
        let outcome: MockOutcome
        let scripted: MockScriptedAnswer?
        switch self.engine.admit(
            key: key, request: ruleRequest,
            charging: { hints in
                RateLimitCost(
                    inputTokens: hints.promptTokens.map { $0 + input.cacheCreationInputTokens } ?? input.limitedInputTokens,
                    outputTokens: maxTokens)
            })
        {
        case .rejected(let rejection):
            return self.rateLimited(rejection, key: key)
        case .admitted(let admittedStatus, let admittedOutcome, let rule):
            (status, outcome, scripted) = (admittedStatus, admittedOutcome, rule)
        }
        self.engine.recordPromptCache(input, key: key, now: self.configuration.clock.now())
        let reservation = OutputTokenReservation(engine: self.engine, key: key, reserved: maxTokens)
        let script = scripted?.reply
        if let inputTokens = script?.inputTokens { input.inputTokens = inputTokens }

        MockResponseSteps.log(outcome, scripted: scripted, key: key, context: context)
        var headers = HTTPFields()
        AnthropicWire.addRateLimitHeaders(status, unixNow: self.configuration.clock.unixTime(), to: &headers)
        let latency = MockResponseSteps.latency(for: outcome, default: self.configuration.latency)
        let pacer = MockPacer(monitor: self.engine.connections.monitor(for: context.channel))

        if let response = try await MockResponseSteps.errorAnswer(
            scripted: script, fault: outcome.fault, headers: headers, latency: latency, pacer: pacer, key: key,
            engine: self.engine,
            body: { status, message in
                let error = AnthropicWire.injectedError(status: status)
                return AnthropicWire.errorBody(type: error.type, message: message ?? error.message)
            })
        {
            reservation.settle(used: 0)
            return response
        }

        let id = MockIdentifier.make("msg_01", seed: context.requestNumber, length: 22)
        let thinking = thinkingTokens.map { tokens in
            AnthropicMessageStream.Thinking(
                words: MockThinking.words(seed: body.replySeed, tokens: tokens),
                isRedacted: body.replySeed.contains(MockThinking.redactedTrigger))
        }
        let wanted = outcome.replyTokens ?? self.configuration.replyTokens
        let replyContent = MockReplyContent(scripted: script, decided: decidedCall) {
            MockReplyGenerator.words(for: body.replySeed, tokens: min(wanted, maxTokens - (thinking?.tokens ?? 0)))
        }
        let reply: AnthropicMessageStream.Reply =
            replyContent.toolCalls.isEmpty
            ? .text(words: replyContent.words)
            : .toolUse(
                replyContent.toolCalls.enumerated().map { index, call in
                    AnthropicMessageStream.ToolUse(
                        id: MockIdentifier.make("toolu_01", seed: MockIdentifier.seed(context.requestNumber, index), length: 22),
                        call: call)
                })
        let stopReason =
            script?.finishReason
            ?? (replyContent.toolCall != nil
                ? "tool_use"
                : replyContent.isGenerated && replyContent.words.count < wanted ? "max_tokens" : "end_turn")
        let stream = AnthropicMessageStream(
            id: id, model: model, thinking: thinking, reply: reply, stopReason: stopReason, input: input,
            latency: latency,
            tokensPerChunk: script?.chunkTokens ?? self.configuration.streaming.tokensPerChunk, fault: outcome.fault,
            pacer: pacer, engine: self.engine, key: key, reservation: reservation,
            outputTokensOverride: script?.outputTokens
        )

        if body.stream == true {
            try await MockResponseSteps.waitBeforeHead(latency.head, pacer: pacer, engine: self.engine)
            return MockResponseSteps.eventStream(headers: headers, ticket: ticket) { writer in
                try await stream.write(to: &writer)
            }
        }

        var content: String
        let pacedTokens: Int
        switch reply {
        case .text(let words):
            content = "[" + AnthropicWire.textBlock(words.joined(separator: " ")) + "]"
            pacedTokens = words.count
        case .toolUse(let uses):
            content =
                "["
                + uses.map { AnthropicWire.toolUseBlock(id: $0.id, name: $0.call.name, input: $0.call.arguments) }
                .joined(separator: ",") + "]"
            pacedTokens = 1
        }
        if let thinking {
            content = "[" + thinking.block + "," + content.dropFirst()
        }
        let generation = pacedTokens == 0 ? Duration.zero : latency.firstToken + latency.perToken * (pacedTokens - 1)
        try await MockResponseSteps.waitBeforeHead(latency.head + generation, pacer: pacer, engine: self.engine)
        let outputTokens = stream.outputTokens
        let message = AnthropicWire.message(
            id: id, model: model, content: content, stopReason: stopReason, input: input, outputTokens: outputTokens)
        return MockResponseSteps.bufferedAnswer(
            message, fault: outcome.fault, headers: headers, completionTokens: outputTokens, key: key,
            engine: self.engine, pacer: pacer, ticket: ticket, reservation: reservation
        ) {
            MockHTTP.json(
                HTTPResponse.Status(code: 529),
                AnthropicWire.errorBody(type: "overloaded_error", message: "Overloaded"),
                headers: headers)
        }
    }

    // MARK: Steps

    /// Reads `x-api-key`, else `Authorization: Bearer` (what the current anthropic SDKs send);
    /// answers 401 `authentication_error` when neither holds an accepted key. The key itself never
    /// appears in the answer.
    func authenticate(_ request: Request) -> RouteStep<ResolvedKey> {
        let secret =
            request.headers[AnthropicWire.apiKey].map { String(Substring($0).trimmingSpaces()) }
            ?? MockHTTP.bearerToken(request.headers)
        switch self.engine.resolveKey(secret: secret) {
        case .known(let key):
            self.engine.recordAuthenticated(key)
            return .proceed(key)
        case .missing, .rejected:
            self.engine.recordUnauthorized()
            return .answer(
                MockHTTP.json(
                    .unauthorized, AnthropicWire.errorBody(type: "authentication_error", message: "invalid x-api-key")))
        }
    }

    /// `anthropic-version` is required.
    func headerProblem(in request: Request) -> Response? {
        guard request.headers[AnthropicWire.version]?.isEmpty ?? true else { return nil }
        return self.badRequest("anthropic-version: header is required")
    }

    func tooLargeAnswer() -> Response {
        MockHTTP.bodyTooLarge(anthropicShape: true, cap: self.configuration.maxRequestBodySize)
    }

    func decodedBody<Body: Decodable>(_ type: Body.Type, from bytes: [UInt8]) -> RouteStep<Body> {
        switch AnthropicWire.decode(type, from: bytes) {
        case .success(let value): return .proceed(value)
        case .failure(let problem): return .answer(self.badRequest(problem.message))
        }
    }

    func unknownModelAnswer(_ model: String) -> Response {
        MockHTTP.json(.notFound, AnthropicWire.errorBody(type: "not_found_error", message: "model: \(model)"))
    }

    func badRequest(_ message: String) -> Response {
        self.engine.recordBadRequest()
        return MockHTTP.json(.badRequest, AnthropicWire.errorBody(type: "invalid_request_error", message: message))
    }

    private func rateLimited(_ rejection: RateLimitRejection, key: ResolvedKey) -> Response {
        self.engine.recordTooManyRequests(key: key)
        var headers = HTTPFields()
        AnthropicWire.addRateLimitHeaders(
            rejection.status, unixNow: self.configuration.clock.unixTime(), to: &headers)
        if let retryAfter = rejection.retryAfter {
            // Anthropic sends whole seconds only.
            MockHTTP.addRetryHeaders(
                MockRetryAfter(delay: retryAfter, includesSeconds: true, includesMilliseconds: false), shouldRetry: nil,
                to: &headers)
        } else {
            MockHTTP.addRetryHeaders(nil, shouldRetry: false, to: &headers)
        }
        return MockHTTP.json(
            .tooManyRequests,
            AnthropicWire.errorBody(type: "rate_limit_error", message: AnthropicWire.rateLimitMessage(rejection)),
            headers: headers)
    }
}
