import Hummingbird

/// Writes one OpenAI chat-completion stream (`text/event-stream`), pacing it and injecting its
/// fault, and accounts for what it sent.
///
/// Event order: a role chunk; one content chunk per token (or per ``MockServerConfiguration/Streaming/tokensPerChunk``);
/// a chunk with `finish_reason`; with `stream_options.include_usage`, a chunk with `choices: []`
/// and `usage` (the other chunks then carry `"usage":null`); then `data: [DONE]`.
struct OpenAIChatStream: Sendable {
    var id: String
    var created: Int
    var model: String
    var words: [String]
    var promptTokens: Int
    var finishReason: String
    var includeUsage: Bool
    var latency: MockLatency
    var tokensPerChunk: Int
    var fault: MockFault?
    var pacer: MockPacer
    var engine: MockServerEngine
    var key: ResolvedKey

    private enum FaultResult {
        case continueStream
        case streamEnded
    }

    func write(to writer: inout any ResponseBodyWriter) async throws {
        var sent = 0
        defer { self.engine.recordCompletionTokens(sent, key: self.key) }
        do {
            let prefix =
                "data: {\"id\":\(JSONText.quoted(self.id)),\"object\":\"chat.completion.chunk\",\"created\":\(self.created),"
                + "\"model\":\(JSONText.quoted(self.model)),\"system_fingerprint\":\"\(OpenAIWire.systemFingerprint)\",\"choices\":["
            let suffix = self.includeUsage ? "],\"usage\":null}\n\n" : "]}\n\n"

            try await self.send(
                prefix
                    + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}"
                    + suffix,
                to: &writer
            )

            var pendingFault = self.fault.flatMap { Self.streamTrigger(of: $0) }
            var index = 0
            while index < self.words.count {
                if let (after, fault) = pendingFault, sent >= after {
                    pendingFault = nil
                    if try await self.inject(fault, to: &writer) == .streamEnded { return }
                }
                let end = min(index + self.tokensPerChunk, self.words.count)
                let count = end - index
                let delay =
                    index == 0
                    ? self.latency.firstToken + self.latency.perToken * (count - 1)
                    : self.latency.perToken * count
                try await self.pacer.pause(delay)
                var text = ""
                for position in index..<end {
                    if position > 0 { text += " " }
                    text += self.words[position]
                }
                try await self.send(
                    prefix
                        + "{\"index\":0,\"delta\":{\"content\":\(JSONText.quoted(text))},\"logprobs\":null,\"finish_reason\":null}"
                        + suffix,
                    to: &writer
                )
                sent += count
                index = end
            }
            if let (_, fault) = pendingFault {
                if try await self.inject(fault, to: &writer) == .streamEnded { return }
            }
            try await self.send(
                prefix
                    + "{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\(JSONText.quoted(self.finishReason))}"
                    + suffix,
                to: &writer
            )
            if self.includeUsage {
                try await self.send(
                    prefix
                        + "],\"usage\":{\"prompt_tokens\":\(self.promptTokens),\"completion_tokens\":\(self.words.count),"
                        + "\"total_tokens\":\(self.promptTokens + self.words.count)}}\n\n",
                    to: &writer
                )
            }
            try await self.send("data: [DONE]\n\n", to: &writer)
            try await self.finish(&writer)
        } catch MockResponseEnd.clientDisconnected {
            self.engine.recordDisconnect()
            throw MockResponseEnd.clientDisconnected
        }
    }

    /// The token count after which a fault acts on a stream, or `nil` for faults that only change timing.
    private static func streamTrigger(of fault: MockFault) -> (Int, MockFault)? {
        switch fault.backing {
        case .stall(let after, _), .dropConnection(let after), .malformedSSE(let after), .errorEvent(let after):
            (after, fault)
        case .malformedJSON:
            (0, fault)
        case .httpError, .headDelay, .firstTokenDelay, .tokenDelay:
            nil
        }
    }

    private func inject(_ fault: MockFault, to writer: inout any ResponseBodyWriter) async throws -> FaultResult {
        switch fault.backing {
        case .stall(_, let duration):
            try await self.pacer.pause(duration)
            throw MockResponseEnd.closedByFault
        case .dropConnection:
            try self.pacer.checkConnected()
            throw MockResponseEnd.closedByFault
        case .malformedSSE, .malformedJSON:
            try await self.send(
                "data: {\"id\":\(JSONText.quoted(self.id)),\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\n\n",
                to: &writer
            )
            return .continueStream
        case .errorEvent:
            try await self.send(OpenAIWire.streamErrorEvent, to: &writer)
            try await self.finish(&writer)
            return .streamEnded
        case .httpError, .headDelay, .firstTokenDelay, .tokenDelay:
            return .continueStream
        }
    }

    private func send(_ text: String, to writer: inout any ResponseBodyWriter) async throws {
        try self.pacer.checkConnected()
        do {
            try await writer.write(ByteBuffer(string: text))
        } catch {
            if Task.isCancelled { throw error }
            throw MockResponseEnd.clientDisconnected
        }
    }

    private func finish(_ writer: inout any ResponseBodyWriter) async throws {
        do {
            try await writer.finish(nil)
        } catch {
            if Task.isCancelled { throw error }
            throw MockResponseEnd.clientDisconnected
        }
    }
}
