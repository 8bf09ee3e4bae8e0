/// A Responses API call, plain or streamed: its model and token estimate come from its request.
protocol ResponsesCallOperation: CallOperation {
    /// The request with the client's defaults applied.
    var request: ResponsesRequest { get }
}

extension ResponsesCallOperation {
    var model: String { request.model }

    func requestDetails() -> ClientEvent.RequestDetails {
        ClientEvent.RequestDetails(
            maxOutputTokens: request.maxOutputTokens, temperature: request.temperature, topP: request.topP)
    }

    /// The input by the client's estimator (instructions, items and tools), and the request's
    /// `max_output_tokens` or the client's assumption.
    func tokenEstimate(_ configuration: LLMClient.Configuration) -> TokenEstimate {
        TokenEstimate(
            input: configuration.tokenEstimator.estimateInputTokens(request),
            maxOutput: request.maxOutputTokens ?? configuration.assumedMaxOutputTokens
        )
    }
}

/// A Responses API call answered in one reply.
struct ResponsesOperation: BufferedCallOperation, ResponsesCallOperation {
    let request: ResponsesRequest

    var kind: ClientContext.Operation { .responses }

    func encode(for adapter: any ProviderAdapter, endpoint: ProviderEndpoint) throws -> ClientRequest {
        try adapter.responsesRequest(request, stream: false, endpoint: endpoint)
    }

    /// The provider's reply; the request id from the headers when the body names none.
    func decode(_ body: [UInt8], headers: HTTPHeaders, adapter: any ProviderAdapter) throws -> ResponsesResponse {
        var reply = try adapter.decodeResponsesResponse(body, headers: headers)
        if reply.requestID == nil { reply.requestID = LLMClient.requestID(headers) }
        return reply
    }

    func attach(_ head: HTTPResponseHead, to reply: inout ResponsesResponse) { reply.responseHead = head }

    func usage(of reply: ResponsesResponse) -> Usage? { reply.usage }

    func estimatedOutputTokens(of reply: ResponsesResponse) -> Int { Usage.estimatedOutputTokens(of: reply) }

    func replyDetails(of reply: ResponsesResponse) -> ClientEvent.ReplyDetails? { ClientEvent.ReplyDetails(reply) }
}

/// A Responses API call whose reply is streamed: a ``ResponsesStream`` over the body, read by the
/// caller's closure. It runs on the chat stream's machinery (limits, timers, usage, events).
struct StreamResponsesOperation: ResponsesCallOperation {
    let request: ResponsesRequest

    var kind: ClientContext.Operation { .streamResponses }

    /// The stream reports content on the context, so the attempt's timers count from content.
    func prepare(_ context: inout ClientContext) {
        context.streamProgress = StreamProgress()
    }

    func encode(for adapter: any ProviderAdapter, endpoint: ProviderEndpoint) throws -> ClientRequest {
        try adapter.responsesRequest(request, stream: true, endpoint: endpoint)
    }

    nonisolated(nonsending) func decode(
        _ response: ClientResponse,
        client: LLMClient,
        context: ClientContext,
        started: Duration
    ) async throws -> ResponsesStream {
        let adapter = client.configuration.adapter
        let head = HTTPResponseHead(response)
        let state = ResponsesStream.State(head: head)
        let events = ChatStream(
            body: response.body,
            decoder: ResponsesChatBridge(decoder: adapter.makeResponsesStreamDecoder(), state: state),
            provider: adapter.provider,
            head: head,
            usage: context.usage,
            context: LLMClient.servedContext(context),
            limits: context.options.streamLimits ?? client.configuration.streamLimits,
            progress: context.streamProgress,
            callStarted: started
        )
        return ResponsesStream(events: events, state: state)
    }

    /// A stream reports its usage as it is read; the call's report takes the latest.
    func usage(of reply: ResponsesStream) -> Usage? { nil }

    func estimatedOutputTokens(of reply: ResponsesStream) -> Int { Usage.estimatedOutputTokens(of: reply.snapshot) }

    /// From what the caller read of the stream.
    func replyDetails(of reply: ResponsesStream) -> ClientEvent.ReplyDetails? {
        ClientEvent.ReplyDetails(reply.snapshot)
    }
}
