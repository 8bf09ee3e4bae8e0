import Hummingbird

/// Writes one Anthropic messages stream (`text/event-stream`, named events), pacing it and
/// injecting its fault, and accounts for what it sent.
///
/// Event order: `message_start` (the message with empty `content`, `usage.input_tokens`,
/// `cache_creation_input_tokens`, `cache_read_input_tokens` and `output_tokens: 1`); with thinking on, the thinking block at index 0 (`content_block_start` of a
/// `thinking` block with empty `thinking` and `signature`, one `thinking_delta` per word, one
/// `signature_delta`, `content_block_stop`) and the reply's block at index 1;
/// `content_block_start` (index 0: a text block with `text: ""`, or a
/// `tool_use` block with `input: {}`); `ping`; one `content_block_delta` per token (or per
/// ``MockServerConfiguration/Streaming/tokensPerChunk``) as `text_delta`, or per fragment of the
/// tool input as `input_json_delta` with `partial_json`; `content_block_stop`; `message_delta`
/// with `stop_reason`, `stop_sequence: null` and the final `usage.output_tokens`; `message_stop`.
struct AnthropicMessageStream: Sendable {
    enum Reply: Sendable {
        case text(words: [String])
        /// One `tool_use` block a call, in order.
        case toolUse([ToolUse])
    }

    /// A `tool_use` block: its id and the call.
    struct ToolUse: Sendable {
        var id: String
        var call: MockToolCall
    }

    /// The reasoning sent before the reply when the request turns thinking on.
    struct Thinking: Sendable {
        var words: [String]
        /// Whether it goes out as a `redacted_thinking` block (see ``MockThinking/redactedTrigger``).
        var isRedacted = false
        var text: String { MockThinking.text(words: self.words) }
        var signature: String { MockThinking.signature(of: self.text) }
        /// Output tokens: one per word and one for the prefix.
        var tokens: Int { self.words.count + 1 }
        /// The whole block, as a plain reply carries it.
        var block: String {
            self.isRedacted
                ? AnthropicWire.redactedThinkingBlock(data: MockThinking.redactedData(of: self.text))
                : AnthropicWire.thinkingBlock(self.text, signature: self.signature)
        }
    }

    var id: String
    var model: String
    var thinking: Thinking?
    var reply: Reply
    var stopReason: String
    /// The input tokens as the cache split them.
    var input: MockPromptCache.Outcome
    var latency: MockLatency
    var tokensPerChunk: Int
    var fault: MockFault?
    var pacer: MockPacer
    var engine: MockServerEngine
    var key: ResolvedKey
    var reservation: OutputTokenReservation
    /// The output tokens to report and settle instead of the count of what is sent (a script's usage).
    var outputTokensOverride: Int? = nil

    func write(to writer: inout any ResponseBodyWriter) async throws {
        var sent = 0
        defer {
            self.engine.recordCompletionTokens(sent, key: self.key)
            self.reservation.settle(used: self.outputTokensOverride ?? sent)
        }
        do {
            try await self.send(
                AnthropicWire.event(
                    "message_start",
                    "{\"type\":\"message_start\",\"message\":{\"id\":\(JSONText.quoted(self.id)),\"type\":\"message\",\"role\":\"assistant\","
                        + "\"model\":\(JSONText.quoted(self.model)),\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                        + AnthropicWire.usage(self.input, outputTokens: 1) + "}}"),
                to: &writer)
            if let thinking = self.thinking {
                try await self.sendThinking(thinking, to: &writer)
                sent += thinking.tokens
            }
            let firstIndex = self.thinking == nil ? 0 : 1
            var pendingFault = self.fault.flatMap { MockStreamPlan.trigger(of: $0) }
            var piecesSent = 0
            let blocks = self.blocks()
            for (offset, block) in blocks.enumerated() {
                let blockIndex = firstIndex + offset
                try await self.send(
                    AnthropicWire.event(
                        "content_block_start",
                        "{\"type\":\"content_block_start\",\"index\":\(blockIndex),\"content_block\":\(block.start)}"),
                    to: &writer)
                if offset == 0 {
                    try await self.send(AnthropicWire.event("ping", "{\"type\": \"ping\"}"), to: &writer)
                }
                for piece in block.pieces {
                    if let (after, fault) = pendingFault, (self.isToolUse ? piecesSent : sent) >= after {
                        pendingFault = nil
                        if try await self.inject(fault, to: &writer) { return }
                    }
                    try await self.pacer.pause(
                        self.latency.wait(beforePiece: piecesSent, pacedTokens: piece.pacedTokens))
                    try await self.send(
                        AnthropicWire.event(
                            "content_block_delta",
                            "{\"type\":\"content_block_delta\",\"index\":\(blockIndex),\"delta\":\(piece.delta)}"
                        ),
                        to: &writer)
                    sent += piece.tokens
                    piecesSent += 1
                }
                if offset == blocks.count - 1, let (_, fault) = pendingFault {
                    if try await self.inject(fault, to: &writer) { return }
                }
                try await self.send(
                    AnthropicWire.event(
                        "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":\(blockIndex)}"),
                    to: &writer)
            }
            try await self.send(
                AnthropicWire.event(
                    "message_delta",
                    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\(JSONText.quoted(self.stopReason)),\"stop_sequence\":null},"
                        + "\"usage\":{\"output_tokens\":\(self.outputTokens)}}"),
                to: &writer)
            try await self.send(AnthropicWire.event("message_stop", "{\"type\":\"message_stop\"}"), to: &writer)
            try await self.finish(&writer)
        } catch MockResponseEnd.clientDisconnected {
            self.engine.recordDisconnect()
            throw MockResponseEnd.clientDisconnected
        }
    }

    private var isToolUse: Bool {
        if case .toolUse = self.reply { return true }
        return false
    }

    /// The output tokens of the whole reply, thinking included.
    var outputTokens: Int {
        if let outputTokensOverride { return outputTokensOverride }
        let thinking = self.thinking?.tokens ?? 0
        switch self.reply {
        case .text(let words): return thinking + words.count
        case .toolUse(let uses): return thinking + uses.reduce(0) { $0 + $1.call.tokens }
        }
    }

    /// The thinking block at index 0: its start, a delta per word, the signature, its stop; or a
    /// redacted block whole in its start, then its stop.
    private func sendThinking(_ thinking: Thinking, to writer: inout any ResponseBodyWriter) async throws {
        if thinking.isRedacted {
            try await self.pacer.pause(self.latency.firstToken)
            try await self.send(
                AnthropicWire.event(
                    "content_block_start",
                    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":\(thinking.block)}"),
                to: &writer)
            try await self.send(
                AnthropicWire.event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"),
                to: &writer)
            return
        }
        func delta(_ delta: String) -> String {
            AnthropicWire.event(
                "content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":\(delta)}")
        }
        try await self.send(
            AnthropicWire.event(
                "content_block_start",
                "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
                    + AnthropicWire.thinkingBlock("", signature: "") + "}"),
            to: &writer)
        let pieces = ["Reasoning:"] + thinking.words
        for (position, word) in pieces.enumerated() {
            try await self.pacer.pause(position == 0 ? self.latency.firstToken : self.latency.perToken)
            let fragment = position == 0 ? word : " " + word
            try await self.send(
                delta("{\"type\":\"thinking_delta\",\"thinking\":\(JSONText.quoted(fragment))}"), to: &writer)
        }
        try await self.send(
            delta("{\"type\":\"signature_delta\",\"signature\":\(JSONText.quoted(thinking.signature))}"),
            to: &writer)
        try await self.send(
            AnthropicWire.event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"), to: &writer)
    }

    /// The content blocks after thinking: each block's start object, and its pieces: the `delta`
    /// objects of its events, the tokens each counts, and the tokens its pacing is computed from.
    private func blocks() -> [(start: String, pieces: [(delta: String, tokens: Int, pacedTokens: Int)])] {
        switch self.reply {
        case .toolUse(let uses):
            return uses.map { use in
                (
                    AnthropicWire.toolUseBlock(id: use.id, name: use.call.name, input: "{}"),
                    use.call.fragmentsWithTokens().map { piece in
                        (
                            "{\"type\":\"input_json_delta\",\"partial_json\":\(JSONText.quoted(piece.fragment))}",
                            piece.tokens, 1
                        )
                    }
                )
            }
        case .text(let words):
            let pieces = MockStreamPlan.textChunks(words, tokensPerChunk: self.tokensPerChunk).map { chunk in
                ("{\"type\":\"text_delta\",\"text\":\(JSONText.quoted(chunk.text))}", chunk.tokens, chunk.tokens)
            }
            return [(AnthropicWire.textBlock(""), pieces)]
        }
    }

    /// Acts on `fault` mid-stream (see ``MockPacer/inject(_:malformed:errorEvent:to:)``); returns
    /// whether the stream ended.
    private func inject(_ fault: MockFault, to writer: inout any ResponseBodyWriter) async throws -> Bool {
        try await self.pacer.inject(
            fault,
            malformed:
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\n\n",
            errorEvent: AnthropicWire.streamErrorEvent, to: &writer)
    }

    private func send(_ text: String, to writer: inout any ResponseBodyWriter) async throws {
        try await self.pacer.send(text, to: &writer)
    }

    private func finish(_ writer: inout any ResponseBodyWriter) async throws {
        try await self.pacer.finish(&writer)
    }
}
