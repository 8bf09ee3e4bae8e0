import Testing

@testable import Sluice

/// Shared values and helpers for the Anthropic adapter tests.
enum AnthropicFixture {
    static let apiKey = "sk-ant-api03-TESTKEY0123456789abcdefABCDEF_-xyz"
    static let endpoint = ProviderEndpoint(baseURL: "https://api.anthropic.com", apiKey: apiKey)
    static let adapter = AnthropicAdapter()

    /// The request's body parsed.
    static func body(_ request: ChatRequest, stream: Bool = false, adapter: AnthropicAdapter = adapter) throws
        -> JSONValue
    {
        let httpRequest = try adapter.chatRequest(request, stream: stream, endpoint: endpoint)
        return try JSONValue(parsing: try #require(httpRequest.body))
    }

    /// The `messages` array of the request's body.
    static func messages(_ messages: [ChatMessage]) throws -> JSONValue? {
        try body(ChatRequest(model: "claude-test", messages: messages))["messages"]
    }

    /// The result of feeding a wire transcript through the SSE parser and a fresh stream decoder.
    struct StreamRun {
        var events: [ChatStreamEvent] = []
        var error: (any Error)?
        var isComplete = false
    }

    /// Parses `transcript` as `text/event-stream`, `chunkSize` bytes at a time (all at once when
    /// `nil`), and decodes each event, stopping at the first error.
    static func run(_ transcript: String, chunkSize: Int? = nil) -> StreamRun {
        var run = StreamRun()
        var decoder = adapter.makeStreamDecoder()
        var parser = ServerSentEventParser()
        let bytes = Array(transcript.utf8)
        let size = chunkSize ?? max(1, bytes.count)
        do {
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + size)
                try parser.parse(bytes[start..<end]) { event in
                    try decoder.decode(event) { run.events.append($0) }
                }
                start = end
            }
            try parser.finish { event in try decoder.decode(event) { run.events.append($0) } }
        } catch {
            run.error = error
        }
        run.isComplete = decoder.isComplete
        return run
    }

    /// One SSE event in wire form.
    static func event(_ name: String?, _ data: String) -> String {
        ServerSentEvent(event: name, data: data).description
    }
}
