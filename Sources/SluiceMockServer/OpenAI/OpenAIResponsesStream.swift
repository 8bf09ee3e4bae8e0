import Hummingbird

/// Writes one streamed Responses API reply (`text/event-stream`), pacing it and injecting its
/// fault, and accounts for what it sent.
///
/// Event order, each as `event: <type>` and `data: {…,"sequence_number":n}`: `response.created`,
/// `response.in_progress`, `response.output_item.added`; for text `response.content_part.added`,
/// one `response.output_text.delta` per chunk, `response.output_text.done`,
/// `response.content_part.done`; for a function call one `response.function_call_arguments.delta`
/// per fragment and `response.function_call_arguments.done`; then `response.output_item.done` and
/// `response.completed` (or `response.incomplete` when `max_output_tokens` cut the text) with the
/// whole response and its usage. A fault's "after N tokens" counts text tokens, or argument
/// fragments; an error-event fault sends an `error` event and ends the stream.
struct OpenAIResponsesStream: Sendable {
    var reply: OpenAIResponsesWire.Reply
    var words: [String]
    var latency: MockLatency
    var tokensPerChunk: Int
    var fault: MockFault?
    var pacer: MockPacer
    var engine: MockServerEngine
    var key: ResolvedKey

    func write(to writer: inout any ResponseBodyWriter) async throws {
        var sent = 0
        defer { self.engine.recordCompletionTokens(sent, key: self.key) }
        var sequence = 0
        do {
            let itemID = self.reply.functionCall?.itemID ?? self.reply.messageID
            let started = OpenAIResponsesWire.response(self.reply, final: false)
            try await self.send("response.created", "\"response\":\(started)", &sequence, &writer)
            try await self.send("response.in_progress", "\"response\":\(started)", &sequence, &writer)
            try await self.send(
                "response.output_item.added",
                "\"output_index\":0,\"item\":\(OpenAIResponsesWire.outputItem(self.reply, done: false))", &sequence,
                &writer)
            let position = "\"item_id\":\(JSONText.quoted(itemID)),\"output_index\":0"
            if self.reply.functionCall == nil {
                try await self.send(
                    "response.content_part.added",
                    position + ",\"content_index\":0,\"part\":\(OpenAIResponsesWire.textPart(""))", &sequence, &writer)
            }
            var pendingFault = self.fault.flatMap { MockStreamPlan.trigger(of: $0) }
            let pieces = self.pieces()
            for (index, piece) in pieces.enumerated() {
                if let (after, fault) = pendingFault, (self.reply.functionCall == nil ? sent : index) >= after {
                    pendingFault = nil
                    if try await self.inject(fault, &sequence, &writer) { return }
                }
                try await self.pacer.pause(self.latency.wait(beforePiece: index, pacedTokens: piece.pacedTokens))
                try await self.send(piece.type, position + piece.fields, &sequence, &writer)
                sent += piece.tokens
            }
            if let (_, fault) = pendingFault {
                if try await self.inject(fault, &sequence, &writer) { return }
            }
            if let call = self.reply.functionCall {
                try await self.send(
                    "response.function_call_arguments.done",
                    position + ",\"arguments\":\(JSONText.quoted(call.call.arguments))", &sequence, &writer)
            } else {
                let text = self.reply.text
                try await self.send(
                    "response.output_text.done",
                    position + ",\"content_index\":0,\"text\":\(JSONText.quoted(text)),\"logprobs\":[]", &sequence,
                    &writer)
                try await self.send(
                    "response.content_part.done",
                    position + ",\"content_index\":0,\"part\":\(OpenAIResponsesWire.textPart(text))", &sequence,
                    &writer)
            }
            try await self.send(
                "response.output_item.done",
                "\"output_index\":0,\"item\":\(OpenAIResponsesWire.outputItem(self.reply, done: true))", &sequence,
                &writer)
            try await self.send(
                self.reply.cut ? "response.incomplete" : "response.completed",
                "\"response\":\(OpenAIResponsesWire.response(self.reply, final: true))", &sequence, &writer)
            try await self.pacer.finish(&writer)
        } catch MockResponseEnd.clientDisconnected {
            self.engine.recordDisconnect()
            throw MockResponseEnd.clientDisconnected
        }
    }

    /// The delta events: their type, fields after the position, the tokens they count for usage,
    /// and the tokens their pacing is computed from (at least 1).
    private func pieces() -> [(type: String, fields: String, tokens: Int, pacedTokens: Int)] {
        if let call = self.reply.functionCall {
            return call.call.fragmentsWithTokens().map { piece in
                (
                    "response.function_call_arguments.delta", ",\"delta\":\(JSONText.quoted(piece.fragment))",
                    piece.tokens, 1
                )
            }
        }
        return MockStreamPlan.textChunks(self.words, tokensPerChunk: self.tokensPerChunk).map { chunk in
            (
                "response.output_text.delta",
                ",\"content_index\":0,\"delta\":\(JSONText.quoted(chunk.text)),\"logprobs\":[]", chunk.tokens,
                chunk.tokens
            )
        }
    }

    /// Acts on a fault mid-stream (see ``MockPacer/inject(_:malformed:errorEvent:to:)``); returns
    /// whether the stream ended.
    private func inject(_ fault: MockFault, _ sequence: inout Int, _ writer: inout any ResponseBodyWriter)
        async throws -> Bool
    {
        let error =
            "{\"type\":\"error\",\"code\":\"server_error\",\"message\":\"The server had an error while processing your request. Sorry about that!\",\"param\":null,\"sequence_number\":\(sequence)}"
        sequence += 1
        return try await self.pacer.inject(
            fault,
            malformed:
                "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\n\n",
            errorEvent: "event: error\ndata: \(error)\n\n", to: &writer)
    }

    /// One event: `event: <type>` and its data object with `type`, `fields` and the sequence number.
    private func send(
        _ type: String, _ fields: String, _ sequence: inout Int, _ writer: inout any ResponseBodyWriter
    ) async throws {
        let data = "{\"type\":\"\(type)\",\(fields),\"sequence_number\":\(sequence)}"
        sequence += 1
        try await self.pacer.send("event: \(type)\ndata: \(data)\n\n", to: &writer)
    }
}
