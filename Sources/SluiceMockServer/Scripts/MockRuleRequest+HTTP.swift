import Hummingbird

extension MockRuleRequest {
    /// What a rule is matched against in `request`, with the parts the route decoded.
    init(_ request: Request, keyName: String, model: String?, lastUserMessage: String, endsWithToolResult: Bool) {
        let headers = request.headers
        self.init(
            path: request.uri.path, model: model, keyName: keyName, lastUserMessage: lastUserMessage,
            endsWithToolResult: endsWithToolResult, header: { MockHTTP.header($0, in: headers) })
    }
}

/// A request body that names a model (checked against ``MockServerConfiguration/models`` when
/// unknown models are refused).
protocol MockModelNaming {
    var model: String? { get }
}

extension OpenAIWire.ChatRequest: MockModelNaming {}
extension OpenAIWire.EmbeddingsRequest: MockModelNaming {}
extension OpenAIResponsesWire.Request: MockModelNaming {}
extension AnthropicWire.MessagesRequest: MockModelNaming {}

extension MockServerEngine {
    /// `model` when the configuration refuses unknown models and does not list it, else `nil`.
    func unknownModel(_ model: String?) -> String? {
        guard !self.configuration.acceptsUnknownModels, let model, !self.configuration.models.contains(model) else {
            return nil
        }
        return model
    }
}

extension MockResponseSteps {
    /// Logs (at debug) the rule that answers a request and the fault it injects.
    static func log(
        _ outcome: MockOutcome, scripted: MockScriptedAnswer?, key: ResolvedKey, context: MockRequestContext
    ) {
        if let scripted {
            context.logger.debug(
                "scripted reply",
                metadata: ["rule": "\(scripted.ruleName)", "key": "\(key.name)", "request": "\(context.requestID)"])
        }
        if let fault = outcome.fault {
            context.logger.debug(
                "injecting fault",
                metadata: ["fault": "\(fault)", "key": "\(key.name)", "request": "\(context.requestID)"]
            )
        }
    }
}
