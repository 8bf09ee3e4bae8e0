import Hummingbird

/// Writes one OpenAI chat-completion stream (`text/event-stream`), pacing it and injecting its
/// fault, and accounts for what it sent.
///
/// Event order: a role chunk; one content chunk per token (or per ``MockServerConfiguration/Streaming/tokensPerChunk``);
/// a chunk with `finish_reason`; with `stream_options.include_usage`, a chunk with `choices: []`
/// and `usage` (the other chunks then carry `"usage":null`); then `data: [DONE]`.
///
/// With a tool call, the role chunk also opens the call (`tool_calls[0]` with `index`, `id`,
/// `type`, `function.name` and `arguments: ""`, content null), each later chunk carries one
/// fragment of the arguments (`tool_calls[0].function.arguments`), and `finish_reason` is
/// `"tool_calls"`; a fault's "after N tokens" then counts fragments.
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
    /// The tool calls to stream instead of text, with their ids.
    var toolCalls: [(id: String, call: MockToolCall)] = []
    /// The completion tokens to report instead of the count of what is sent (a script's usage).
    var completionTokensOverride: Int? = nil

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

            if let toolCall = self.toolCalls.first {
                try await self.send(
                    prefix
                        + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[\(Self.opening(toolCall, index: 0))],"
                        + "\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}" + suffix,
                    to: &writer
                )
            } else {
                try await self.send(
                    prefix
                        + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}"
                        + suffix,
                    to: &writer
                )
            }

            var pendingFault = self.fault.flatMap { MockStreamPlan.trigger(of: $0) }
            let pieces = self.pieces()
            var piecesSent = 0
            for (index, piece) in pieces.enumerated() {
                if let (after, fault) = pendingFault, (self.toolCalls.isEmpty ? sent : piecesSent) >= after {
                    pendingFault = nil
                    if try await self.inject(fault, to: &writer) == .streamEnded { return }
                }
                try await self.pacer.pause(self.latency.wait(beforePiece: index, pacedTokens: piece.pacedTokens))
                try await self.send(
                    prefix + "{\"index\":0,\"delta\":\(piece.delta),\"logprobs\":null,\"finish_reason\":null}" + suffix,
                    to: &writer)
                sent += piece.tokens
                piecesSent += 1
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
                        + "],\"usage\":{\"prompt_tokens\":\(self.promptTokens),\"completion_tokens\":\(self.completionTokens),"
                        + "\"total_tokens\":\(self.promptTokens + self.completionTokens)}}\n\n",
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

    private var completionTokens: Int {
        self.completionTokensOverride
            ?? (self.toolCalls.isEmpty ? self.words.count : self.toolCalls.reduce(0) { $0 + $1.call.tokens })
    }

    /// What the content chunks carry: their `delta` object, the tokens they count for usage,
    /// and the tokens their pacing is computed from (at least 1).
    private func pieces() -> [(delta: String, tokens: Int, pacedTokens: Int)] {
        if !self.toolCalls.isEmpty {
            // The first call opens in the role chunk; each later one in a chunk of its own.
            return self.toolCalls.enumerated().flatMap { index, toolCall in
                let opening = index == 0 ? [] : [("{\"tool_calls\":[\(Self.opening(toolCall, index: index))]}", 0, 1)]
                return opening
                    + toolCall.call.fragmentsWithTokens().map { piece in
                        (
                            "{\"tool_calls\":[{\"index\":\(index),\"function\":{\"arguments\":\(JSONText.quoted(piece.fragment))}}]}",
                            piece.tokens, 1
                        )
                    }
            }
        }
        return MockStreamPlan.textChunks(self.words, tokensPerChunk: self.tokensPerChunk).map { chunk in
            ("{\"content\":\(JSONText.quoted(chunk.text))}", chunk.tokens, chunk.tokens)
        }
    }

    /// The `tool_calls` entry that opens a call: index, id, type, name and empty arguments.
    private static func opening(_ toolCall: (id: String, call: MockToolCall), index: Int) -> String {
        "{\"index\":\(index),\"id\":\(JSONText.quoted(toolCall.id)),\"type\":\"function\","
            + "\"function\":{\"name\":\(JSONText.quoted(toolCall.call.name)),\"arguments\":\"\"}}"
    }

    private func inject(_ fault: MockFault, to writer: inout any ResponseBodyWriter) async throws -> FaultResult {
        let ended = try await self.pacer.inject(
            fault,
            malformed:
                "data: {\"id\":\(JSONText.quoted(self.id)),\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\n\n",
            errorEvent: OpenAIWire.streamErrorEvent, to: &writer)
        return ended ? .streamEnded : .continueStream
    }

    private func send(_ text: String, to writer: inout any ResponseBodyWriter) async throws {
        try await self.pacer.send(text, to: &writer)
    }

    private func finish(_ writer: inout any ResponseBodyWriter) async throws {
        try await self.pacer.finish(&writer)
    }
}
