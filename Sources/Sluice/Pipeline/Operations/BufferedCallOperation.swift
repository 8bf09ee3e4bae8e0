/// An operation whose reply is read in full, then decoded at once (a chat reply, embeddings).
///
/// The body is read up to ``LLMClient/Configuration/maxResponseBytes``; a larger one fails with
/// ``SluiceError/Code/bodyTooLarge``.
protocol BufferedCallOperation: CallOperation {
    /// Decodes a successful body with the client's adapter.
    func decode(_ body: [UInt8], headers: HTTPHeaders, adapter: any ProviderAdapter) throws -> Reply

    /// Records the answer's status and headers on the decoded reply.
    func attach(_ head: HTTPResponseHead, to reply: inout Reply)
}

extension BufferedCallOperation {
    nonisolated(nonsending) func decode(
        _ response: ClientResponse,
        client: LLMClient,
        context: ClientContext,
        started: Duration
    ) async throws -> Reply {
        let body = try await response.body.collect(upTo: client.configuration.maxResponseBytes)
        var reply = try decode(body, headers: response.headers, adapter: client.configuration.adapter)
        attach(HTTPResponseHead(response), to: &reply)
        return reply
    }
}
