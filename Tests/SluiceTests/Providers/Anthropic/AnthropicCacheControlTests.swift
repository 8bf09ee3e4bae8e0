import Testing

@testable import Sluice

@Suite("AnthropicAdapter prompt-cache breakpoints")
struct AnthropicCacheControlTests {
    typealias Fixture = AnthropicFixture

    /// The request's body as JSON text.
    static func bodyText(_ request: ChatRequest) throws -> String {
        let httpRequest = try Fixture.adapter.chatRequest(request, stream: false, endpoint: Fixture.endpoint)
        return String(decoding: try #require(httpRequest.body), as: UTF8.self)
    }

    // MARK: Encoding

    @Test("a cached system message makes system an array of text blocks, the mark on its last block")
    func systemBlocks() throws {
        let request = ChatRequest(
            model: "m", messages: [.system("Rules."), ChatMessage.system("Long manual").cached(), .user("Q")])
        #expect(
            try Self.bodyText(request)
                == #"{"model":"m","max_tokens":4096,"system":[{"type":"text","text":"Rules."},"#
                + #"{"type":"text","text":"Long manual","cache_control":{"type":"ephemeral"}}],"#
                + #""messages":[{"role":"user","content":[{"type":"text","text":"Q"}]}]}"#
        )
    }

    @Test("without a breakpoint, system stays one string")
    func systemString() throws {
        let body = try Fixture.body(ChatRequest(model: "m", messages: [.system("A"), .system("B"), .user("Q")]))
        #expect(body["system"] == "A\n\nB")
    }

    @Test("a part breakpoint marks that part; the one-hour lifetime is sent as ttl")
    func partBreakpoint() throws {
        var message = ChatMessage.user([.text("Document"), .image(.base64("AAAA", mediaType: "image/png")), .text("Q")])
        message.cacheBreakpoints = [1: .ephemeral(ttl: .oneHour)]
        let messages = try Fixture.messages([message])
        #expect(
            messages
                == [
                    [
                        "role": "user",
                        "content": [
                            ["type": "text", "text": "Document"],
                            [
                                "type": "image",
                                "source": ["type": "base64", "media_type": "image/png", "data": "AAAA"],
                                "cache_control": ["type": "ephemeral", "ttl": "1h"],
                            ],
                            ["type": "text", "text": "Q"],
                        ],
                    ]
                ])
    }

    @Test("a message breakpoint goes on its last block: the last tool_use of an assistant turn, a tool_result")
    func messageBreakpoints() throws {
        let call = ToolCall(id: "toolu_1", name: "lookup", arguments: #"{"q":"x"}"#)
        let messages = try Fixture.messages([
            .user("Q"),
            ChatMessage.assistant("Looking.", toolCalls: [call], thinking: [ThinkingBlock(text: "t", signature: "s")])
                .cached(),
            ChatMessage.tool(callID: "toolu_1", "found").cached(.ephemeral(ttl: .fiveMinutes)),
        ])
        #expect(
            messages?[1]?["content"]
                == [
                    ["type": "thinking", "thinking": "t", "signature": "s"],
                    ["type": "text", "text": "Looking."],
                    [
                        "type": "tool_use", "id": "toolu_1", "name": "lookup", "input": ["q": "x"],
                        "cache_control": ["type": "ephemeral"],
                    ],
                ])
        #expect(
            messages?[2]?["content"]
                == [
                    [
                        "type": "tool_result", "tool_use_id": "toolu_1", "content": "found",
                        "cache_control": ["type": "ephemeral", "ttl": "5m"],
                    ]
                ])
    }

    @Test("a part breakpoint on a tool result sends its content as blocks, the mark on the part")
    func toolResultPart() throws {
        var result = ChatMessage.tool(callID: "toolu_1", "long result")
        result.cacheBreakpoints = [0: .ephemeral]
        let call = ToolCall(id: "toolu_1", name: "lookup", arguments: "{}")
        let messages = try Fixture.messages([.user("Q"), .assistant("", toolCalls: [call]), result])
        #expect(
            messages?[2]?["content"]
                == [
                    [
                        "type": "tool_result", "tool_use_id": "toolu_1",
                        "content": [["type": "text", "text": "long result", "cache_control": ["type": "ephemeral"]]],
                    ]
                ])
    }

    @Test("a tool definition's breakpoint is written after its input_schema")
    func toolBreakpoint() throws {
        var request = ChatRequest(model: "m", messages: [.user("Q")])
        request.tools = [ToolDefinition(name: "lookup", cacheControl: .ephemeral(ttl: .oneHour))]
        #expect(
            try Self.bodyText(request)
                == #"{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"Q"}]}],"#
                + #""tools":[{"name":"lookup","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral","ttl":"1h"}}]}"#
        )
    }

    @Test("OpenAI-compatible adapters send no cache_control")
    func openAIIgnores() throws {
        var request = ChatRequest(model: "m", messages: [ChatMessage.system("Long").cached(), .user("Q")])
        request.tools = [ToolDefinition(name: "lookup", cacheControl: .ephemeral)]
        request.messages[1].cacheBreakpoints = [0: .ephemeral]
        let httpRequest = try OpenAIAdapter().chatRequest(
            request, stream: false, endpoint: ProviderEndpoint(baseURL: "https://api.openai.com/v1", apiKey: "k"))
        let text = String(decoding: try #require(httpRequest.body), as: UTF8.self)
        #expect(!text.contains("cache_control"))
        #expect(text.contains("\"Long\""))
    }

    // MARK: Validation

    static func error(_ request: ChatRequest) throws -> SluiceError {
        try #require(throws: SluiceError.self) { try Fixture.body(request) }
    }

    @Test("four breakpoints are sent; a fifth is refused before sending")
    func tooMany() throws {
        var request = ChatRequest(
            model: "m",
            messages: [
                ChatMessage.system("S").cached(), ChatMessage.user("A").cached(), .assistant("B"),
                ChatMessage.user("C").cached(),
            ])
        request.tools = [ToolDefinition(name: "t", cacheControl: .ephemeral)]
        #expect(throws: Never.self) { try Fixture.body(request) }
        request.messages[2].cacheControl = .ephemeral
        let error = try Self.error(request)
        #expect(error.code == .invalidRequest)
        #expect(error.message.contains("5 prompt-cache breakpoints"))
        #expect(error.message.contains("at most 4"))
    }

    @Test(
        "a breakpoint on something that sends no block is refused",
        arguments: [
            (
                "empty text part",
                ChatMessage(role: .user, content: [.text(""), .text("Q")], cacheBreakpoints: [0: .ephemeral])
            ),
            ("index out of range", ChatMessage(role: .user, content: [.text("Q")], cacheBreakpoints: [1: .ephemeral])),
            ("negative index", ChatMessage(role: .user, content: [.text("Q")], cacheBreakpoints: [-1: .ephemeral])),
            (
                "thinking only",
                ChatMessage(
                    role: .assistant, content: [], thinking: [ThinkingBlock(text: "t", signature: "s")],
                    cacheControl: .ephemeral)
            ),
            ("empty message", ChatMessage(role: .user, content: [.text("")], cacheControl: .ephemeral)),
            (
                "image in a system message",
                ChatMessage(
                    role: .system, content: [.image(.url("https://x/y.png"))], cacheBreakpoints: [0: .ephemeral])
            ),
        ]
    )
    func cannotCarry(_ name: String, _ message: ChatMessage) throws {
        let messages = message.role == .assistant ? [.user("Q"), message] : [message, .user("Q")]
        let error = try Self.error(ChatRequest(model: "m", messages: messages))
        #expect(error.code == .invalidRequest)
        #expect(error.message.contains("nothing to mark"))
    }

    @Test("a one-hour breakpoint after a five-minute one is refused (longer lifetimes first)")
    func lifetimeOrder() throws {
        var request = ChatRequest(
            model: "m",
            messages: [ChatMessage.system("S").cached(.ephemeral(ttl: .oneHour)), ChatMessage.user("Q").cached()])
        request.tools = [ToolDefinition(name: "t", cacheControl: .ephemeral(ttl: .oneHour))]
        #expect(throws: Never.self) { try Fixture.body(request) }
        request.tools[0].cacheControl = .ephemeral
        #expect(try Self.error(request).code == .invalidRequest)
    }
}
