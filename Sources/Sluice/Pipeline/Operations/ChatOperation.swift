/// A chat call answered in one reply.
struct ChatOperation: BufferedCallOperation, ChatCallOperation {
    let request: ChatRequest

    var kind: ClientContext.Operation { .chat }

    func encode(for adapter: any ProviderAdapter, endpoint: ProviderEndpoint) throws -> ClientRequest {
        try adapter.chatRequest(request, stream: false, endpoint: endpoint)
    }

    /// The provider's reply; the request id from the headers when the body names none.
    func decode(_ body: [UInt8], headers: HTTPHeaders, adapter: any ProviderAdapter) throws -> ChatResponse {
        var reply = try adapter.decodeChatResponse(body, headers: headers)
        if reply.requestID == nil { reply.requestID = LLMClient.requestID(headers) }
        return reply
    }

    func attach(_ head: HTTPResponseHead, to reply: inout ChatResponse) { reply.responseHead = head }

    func usage(of reply: ChatResponse) -> Usage? { reply.usage }

    func estimatedOutputTokens(of reply: ChatResponse) -> Int { Usage.estimatedOutputTokens(of: reply) }

    func replyDetails(of reply: ChatResponse) -> ClientEvent.ReplyDetails? { ClientEvent.ReplyDetails(reply) }
}
