/// A chat call whose reply is streamed: its reply is a ``ChatStream`` over the body, read by the
/// caller's closure.
struct StreamChatOperation: ChatCallOperation {
    let request: ChatRequest

    var kind: ClientContext.Operation { .streamChat }

    /// The stream reports content on the context, so the attempt's timers count from content, not
    /// bytes.
    func prepare(_ context: inout ClientContext) {
        context.streamProgress = StreamProgress()
    }

    func encode(for adapter: any ProviderAdapter, endpoint: ProviderEndpoint) throws -> ClientRequest {
        try adapter.chatRequest(request, stream: true, endpoint: endpoint)
    }

    /// The stream over the body; `first_token` latency counts from `started`, waits and earlier
    /// attempts included.
    nonisolated(nonsending) func decode(
        _ response: ClientResponse,
        client: LLMClient,
        context: ClientContext,
        started: Duration
    ) async throws -> ChatStream {
        let adapter = client.configuration.adapter
        return ChatStream(
            body: response.body,
            decoder: adapter.makeStreamDecoder(),
            provider: adapter.provider,
            head: HTTPResponseHead(response),
            usage: context.usage,
            context: LLMClient.servedContext(context),
            limits: context.options.streamLimits ?? client.configuration.streamLimits,
            progress: context.streamProgress,
            callStarted: started
        )
    }

    /// A stream reports its usage as it is read; the call's report takes the latest.
    func usage(of reply: ChatStream) -> Usage? { nil }

    // Not inlined, like `replyDetails(of:)`: the reply they build (`snapshot`) would otherwise take room
    // in the async frame of `LLMClient.run`, which every open stream holds while it is read.
    @inline(never)
    func estimatedOutputTokens(of reply: ChatStream) -> Int { Usage.estimatedOutputTokens(of: reply.snapshot) }

    /// From what the caller read of the stream.
    @inline(never)
    func replyDetails(of reply: ChatStream) -> ClientEvent.ReplyDetails? { ClientEvent.ReplyDetails(reply.snapshot) }
}
