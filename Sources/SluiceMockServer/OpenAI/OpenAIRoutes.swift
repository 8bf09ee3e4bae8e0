import Hummingbird

/// The OpenAI-compatible endpoints: `POST /v1/chat/completions`, `POST /v1/responses` (in
/// `OpenAIResponsesRoute.swift`), `POST /v1/embeddings`,
/// `GET /v1/models`, with `Authorization: Bearer` auth.
///
/// Only wire concerns live here (auth header, request and response shapes, error bodies); key
/// lookup, limits, outcome selection and stats come from ``MockServerEngine``.
struct OpenAIRoutes: MockRouteDialect {
    let engine: MockServerEngine

    var configuration: MockServerConfiguration { self.engine.configuration }

    func register(on router: Router<MockRequestContext>) {
        router.post("v1/chat/completions") { request, context in
            try await self.chatCompletions(request, context: context)
        }
        router.post("v1/responses") { request, context in
            try await self.responses(request, context: context)
        }
        router.post("v1/embeddings") { request, context in
            try await self.embeddings(request, context: context)
        }
        router.get("v1/models") { request, context in
            await self.models(request, context: context)
        }
    }

    // MARK: Endpoints

    func chatCompletions(_ request: Request, context: MockRequestContext) async throws -> Response {
        let ticket = await self.engine.beginRequest()
        // In flight until this handler returns, or until a streamed body that holds the ticket ends.
        defer { withExtendedLifetime(ticket) {} }
        let key: ResolvedKey
        let chat: OpenAIWire.ChatRequest
        switch await self.open(request, as: OpenAIWire.ChatRequest.self) {
        case .proceed(let accepted): (key, chat) = accepted
        case .answer(let response): return response
        }
        if chat.messages.isEmpty {
            return self.badRequest(
                "Invalid 'messages': empty array. Expected an array with minimum length 1.", param: "messages")
        }
        if let cap = chat.replyCap, cap < 1 {
            return self.badRequest(
                "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1.", param: "max_tokens")
        }

        let tools = chat.toolDefinitions
        let decidedCall: MockToolCall?
        switch MockToolCall.decide(
            tools: tools, choice: chat.toolChoice?.choice ?? .auto, lastUserMessage: chat.toolRuleSeed)
        {
        case .noCall: decidedCall = nil
        case .call(let call): decidedCall = call
        case .unknownTool(let name):
            return self.badRequest(
                "Invalid value for 'tool_choice': no function named '\(name)' was specified in the 'tools' parameter.",
                param: "tool_choice")
        }

        let model = chat.model ?? self.configuration.models.first ?? "mock"
        let estimatedPromptTokens =
            MockTokenEstimator.chatPromptTokens(messageContents: chat.messages.map(\.content))
            + tools.reduce(0) { $0 + $1.promptTokens }
        let admission = self.engine.admit(
            key: key,
            request: MockRuleRequest(
                request, keyName: key.name, model: chat.model, lastUserMessage: chat.replySeed,
                endsWithToolResult: chat.messages.last?.role == "tool")
        ) { hints in
            RateLimitCost(
                tokens: hints.tokens(
                    promptTokens: estimatedPromptTokens, maxTokens: chat.replyCap,
                    defaultReplyTokens: self.configuration.replyTokens))
        }
        let answer: AdmittedAnswer
        switch try await self.startAnswer(admission, key: key, model: model, context: context) {
        case .proceed(let started): answer = started
        case .answer(let response): return response
        }
        let (outcome, latency, pacer, headers) = (answer.outcome, answer.latency, answer.pacer, answer.headers)
        let scripted = answer.scripted?.reply
        let promptTokens = scripted?.inputTokens ?? estimatedPromptTokens

        let wanted = outcome.replyTokens ?? self.configuration.replyTokens
        var reply = MockReplyContent(scripted: scripted, decided: decidedCall) {
            MockReplyGenerator.words(for: chat.replySeed, tokens: min(wanted, chat.replyCap ?? wanted))
        }
        let isCut = reply.isGenerated && reply.toolCalls.isEmpty && reply.words.count < wanted
        let structuredTokens = reply.applyStructuredOutput(chat.responseFormat)
        let words = reply.words
        let finishReason = scripted?.finishReason ?? (!reply.toolCalls.isEmpty ? "tool_calls" : isCut ? "length" : "stop")
        let id = "chatcmpl-mock-\(context.requestNumber)"
        let created = MockHTTP.unixTime()
        let identifiedCalls = reply.toolCalls.enumerated().map { index, call in
            (id: MockIdentifier.make("call_", seed: MockIdentifier.seed(context.requestNumber, index)), call: call)
        }
        let completionTokens =
            scripted?.outputTokens ?? structuredTokens
            ?? (reply.toolCalls.isEmpty ? words.count : reply.toolCalls.reduce(0) { $0 + $1.tokens })

        if chat.stream == true {
            try await self.waitBeforeHead(latency.head, pacer: pacer)
            let stream = OpenAIChatStream(
                id: id, created: created, model: model, words: words, promptTokens: promptTokens,
                finishReason: finishReason, includeUsage: chat.streamOptions?.includeUsage == true,
                latency: latency, tokensPerChunk: scripted?.chunkTokens ?? self.configuration.streaming.tokensPerChunk,
                fault: outcome.fault, pacer: pacer, engine: self.engine, key: key, toolCalls: identifiedCalls,
                completionTokensOverride: scripted?.outputTokens ?? structuredTokens
            )
            return Self.eventStream(headers: headers, ticket: ticket) { writer in try await stream.write(to: &writer) }
        }

        let pacedTokens = reply.toolCalls.isEmpty ? words.count : 1
        let generation = pacedTokens == 0 ? Duration.zero : latency.firstToken + latency.perToken * (pacedTokens - 1)
        try await self.waitBeforeHead(latency.head + generation, pacer: pacer)
        let body = OpenAIWire.chatCompletion(
            id: id, created: created, model: model, content: words.joined(separator: " "),
            finishReason: finishReason, promptTokens: promptTokens, completionTokens: completionTokens,
            toolCalls: identifiedCalls
        )
        return self.bufferedAnswer(
            body, fault: outcome.fault, headers: headers, completionTokens: completionTokens, key: key, pacer: pacer,
            ticket: ticket)
    }

    func embeddings(_ request: Request, context: MockRequestContext) async throws -> Response {
        let ticket = await self.engine.beginRequest()
        // In flight until this handler returns, or until a streamed body that holds the ticket ends.
        defer { withExtendedLifetime(ticket) {} }
        let key: ResolvedKey
        let embeddings: OpenAIWire.EmbeddingsRequest
        switch await self.open(request, as: OpenAIWire.EmbeddingsRequest.self) {
        case .proceed(let accepted): (key, embeddings) = accepted
        case .answer(let response): return response
        }
        if embeddings.count == 0 {
            return self.badRequest(
                "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
                param: "input")
        }
        let dimensions = embeddings.dimensions ?? self.configuration.embeddingDimensions
        if dimensions < 1 {
            return self.badRequest(
                "Invalid 'dimensions': integer below minimum value. Expected a value >= 1.", param: "dimensions")
        }
        let model = embeddings.model ?? "text-embedding-3-small"
        let promptTokens = embeddings.promptTokens
        let answer: AdmittedAnswer
        let admission = self.engine.admit(
            key: key,
            request: MockRuleRequest(
                request, keyName: key.name, model: embeddings.model, lastUserMessage: embeddings.firstText,
                endsWithToolResult: false),
            charging: { RateLimitCost(tokens: $0.promptTokens ?? promptTokens) })
        switch try await self.startAnswer(admission, key: key, model: model, context: context) {
        case .proceed(let started): answer = started
        case .answer(let response): return response
        }
        let (outcome, latency, pacer, headers) = (answer.outcome, answer.latency, answer.pacer, answer.headers)
        try await self.waitBeforeHead(latency.head, pacer: pacer)
        let vectors: [[Float]]
        switch embeddings.input {
        case .texts(let texts): vectors = texts.map { MockReplyGenerator.embedding(of: $0, dimensions: dimensions) }
        case .tokenArrays(let arrays):
            vectors = arrays.map { MockReplyGenerator.embedding(ofTokens: $0, dimensions: dimensions) }
        }
        let body = OpenAIWire.embeddings(
            model: model, vectors: vectors, base64: embeddings.encodingFormat == "base64",
            promptTokens: answer.scripted?.reply.inputTokens ?? promptTokens)
        return self.bufferedAnswer(
            body, fault: outcome.fault, headers: headers, completionTokens: 0, key: key, pacer: pacer, ticket: ticket)
    }

    /// `GET /v1/models`: OpenAI's list, or Anthropic's when the request carries
    /// `anthropic-version` (the path is the same on both APIs).
    func models(_ request: Request, context: MockRequestContext) async -> Response {
        let ticket = await self.engine.beginRequest()
        defer { ticket.release() }
        if request.headers[AnthropicWire.version] != nil {
            let anthropic = AnthropicRoutes(engine: self.engine)
            if case .answer(let response) = anthropic.authenticate(request) {
                return response
            }
            var response = MockHTTP.json(.ok, AnthropicWire.models(self.configuration.models))
            response.headers[AnthropicWire.requestID] = context.requestID
            return response
        }
        if case .answer(let response) = self.authenticate(request) {
            return response
        }
        return MockHTTP.json(.ok, OpenAIWire.models(self.configuration.models))
    }

    // MARK: Shared steps

    /// What answering an admitted request starts from.
    struct AdmittedAnswer {
        var outcome: MockOutcome
        /// The rate-limit headers.
        var headers: HTTPFields
        var latency: MockLatency
        var pacer: MockPacer
        /// The rule's answer, when a rule (or the default reply) answers.
        var scripted: MockScriptedAnswer?
    }

    /// The start of the answer to an admitted request (its fault logged), or the answer now: the 429
    /// of a rejected one, or the injected HTTP error.
    func startAnswer(
        _ admission: Admission, key: ResolvedKey, model: String, context: MockRequestContext
    ) async throws -> RouteStep<AdmittedAnswer> {
        let status: RateLimitStatus
        let outcome: MockOutcome
        let scripted: MockScriptedAnswer?
        switch admission {
        case .rejected(let rejection):
            return .answer(self.rateLimited(rejection, key: key, model: model))
        case .admitted(let admittedStatus, let admittedOutcome, let rule):
            (status, outcome, scripted) = (admittedStatus, admittedOutcome, rule)
        }
        MockResponseSteps.log(outcome, scripted: scripted, key: key, context: context)
        var headers = HTTPFields()
        MockHTTP.addRateLimitHeaders(status, to: &headers)
        let latency = Self.latency(for: outcome, default: self.configuration.latency)
        let pacer = MockPacer(monitor: self.engine.connections.monitor(for: context.channel))
        if let response = try await MockResponseSteps.errorAnswer(
            scripted: scripted?.reply, fault: outcome.fault, headers: headers, latency: latency, pacer: pacer, key: key,
            engine: self.engine,
            body: { status, message in
                let error = OpenAIWire.injectedError(status: status)
                return OpenAIWire.errorBody(message: message ?? error.message, type: error.type, code: error.code)
            })
        {
            return .answer(response)
        }
        return .proceed(
            AdmittedAnswer(outcome: outcome, headers: headers, latency: latency, pacer: pacer, scripted: scripted))
    }

    /// A `text/event-stream` answer whose body `write` writes; the ticket is released when it ends.
    static func eventStream(
        headers: HTTPFields, ticket: InFlightTicket,
        _ write: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void
    ) -> Response {
        MockResponseSteps.eventStream(headers: headers, ticket: ticket, write)
    }

    /// Reads `Authorization: Bearer <key>`; answers 401 when it is missing or not accepted.
    /// The key itself never appears in the answer.
    func authenticate(_ request: Request) -> RouteStep<ResolvedKey> {
        switch self.engine.resolveKey(secret: MockHTTP.bearerToken(request.headers)) {
        case .known(let key):
            self.engine.recordAuthenticated(key)
            return .proceed(key)
        case .missing:
            self.engine.recordUnauthorized()
            return .answer(
                MockHTTP.json(
                    .unauthorized,
                    OpenAIWire.errorBody(
                        message:
                            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                        type: "invalid_request_error", code: "invalid_api_key"
                    )))
        case .rejected:
            self.engine.recordUnauthorized()
            return .answer(
                MockHTTP.json(
                    .unauthorized,
                    OpenAIWire.errorBody(
                        message:
                            "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
                        type: "invalid_request_error", code: "invalid_api_key"
                    )))
        }
    }

    func headerProblem(in request: Request) -> Response? { nil }

    func tooLargeAnswer() -> Response {
        MockHTTP.bodyTooLarge(anthropicShape: false, cap: self.configuration.maxRequestBodySize)
    }

    func decodedBody<Body: Decodable>(_ type: Body.Type, from bytes: [UInt8]) -> RouteStep<Body> {
        switch OpenAIWire.decode(type, from: bytes) {
        case .success(let value):
            return .proceed(value)
        case .failure(let problem):
            self.engine.recordBadRequest()
            return .answer(self.problem(problem))
        }
    }

    func unknownModelAnswer(_ model: String) -> Response {
        MockHTTP.json(
            .notFound,
            OpenAIWire.errorBody(
                message: "The model `\(model)` does not exist or you do not have access to it.",
                type: "invalid_request_error", code: "model_not_found"))
    }

    func badRequest(_ message: String) -> Response {
        self.badRequest(message, param: nil)
    }

    func badRequest(_ message: String, param: String?) -> Response {
        self.engine.recordBadRequest()
        return self.problem(OpenAIWire.RequestProblem(message: message, param: param))
    }

    private func problem(_ problem: OpenAIWire.RequestProblem) -> Response {
        MockHTTP.json(
            .badRequest,
            OpenAIWire.errorBody(
                message: problem.message, type: "invalid_request_error", code: nil, param: problem.param))
    }

    func rateLimited(_ rejection: RateLimitRejection, key: ResolvedKey, model: String) -> Response {
        self.engine.recordTooManyRequests(key: key)
        var headers = HTTPFields()
        MockHTTP.addRateLimitHeaders(rejection.status, to: &headers)
        if let retryAfter = rejection.retryAfter {
            MockHTTP.addRetryHeaders(.both(retryAfter), shouldRetry: nil, to: &headers)
        } else {
            MockHTTP.addRetryHeaders(nil, shouldRetry: false, to: &headers)
        }
        return MockHTTP.json(
            .tooManyRequests,
            OpenAIWire.errorBody(
                message: OpenAIWire.rateLimitMessage(rejection, model: model), type: rejection.dimension.rawValue,
                code: "rate_limit_exceeded"
            ), headers: headers)
    }

    /// A complete JSON answer, or the fault that replaces it (stall, dropped connection,
    /// truncated JSON, server error).
    func bufferedAnswer(
        _ body: String, fault: MockFault?, headers: HTTPFields, completionTokens: Int,
        key: ResolvedKey, pacer: MockPacer, ticket: InFlightTicket
    ) -> Response {
        MockResponseSteps.bufferedAnswer(
            body, fault: fault, headers: headers, completionTokens: completionTokens, key: key, engine: self.engine,
            pacer: pacer, ticket: ticket
        ) {
            let error = OpenAIWire.injectedError(status: 500)
            return MockHTTP.json(
                .internalServerError, OpenAIWire.errorBody(message: error.message, type: error.type, code: error.code),
                headers: headers)
        }
    }

    /// Waits before sending the head; a client leaving meanwhile is counted and ends the request.
    func waitBeforeHead(_ duration: Duration, pacer: MockPacer) async throws {
        try await MockResponseSteps.waitBeforeHead(duration, pacer: pacer, engine: self.engine)
    }

    /// The outcome's timing (or the default), with a delay fault applied.
    static func latency(for outcome: MockOutcome, default defaultLatency: MockLatency) -> MockLatency {
        MockResponseSteps.latency(for: outcome, default: defaultLatency)
    }
}

/// Either go on with a value, or answer now with a response.
enum RouteStep<Value> {
    case proceed(Value)
    case answer(Response)
}

extension Substring {
    /// The substring without leading and trailing spaces.
    func trimmingSpaces() -> Substring {
        var result = self
        while result.last == " " { result.removeLast() }
        while result.first == " " { result.removeFirst() }
        return result
    }
}
