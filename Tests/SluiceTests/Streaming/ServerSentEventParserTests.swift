import Sluice
import Testing

/// A stream and the events it must produce, however it is split into chunks.
struct SSETranscript: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let events: [ServerSentEvent]

    init(_ name: String, _ text: String, _ events: [ServerSentEvent]) {
        self.name = name
        self.bytes = Array(text.utf8)
        self.events = events
    }

    init(_ name: String, bytes: [UInt8], _ events: [ServerSentEvent]) {
        self.name = name
        self.bytes = bytes
        self.events = events
    }

    var testDescription: String { name }
}

private let openAIChunk1 =
    #"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"#
private let openAIChunk2 =
    #"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":"Grüße 👋"},"logprobs":null,"finish_reason":null}]}"#

private let anthropicStart =
    #"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}"#
private let anthropicDelta = #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hé 👋"}}"#

let sseTranscripts: [SSETranscript] = [
    SSETranscript(
        "OpenAI stream ending in [DONE]",
        "data: \(openAIChunk1)\n\ndata: \(openAIChunk2)\n\ndata: [DONE]\n\n",
        [.init(data: openAIChunk1), .init(data: openAIChunk2), .init(data: "[DONE]")]
    ),
    SSETranscript(
        "Anthropic stream with event lines and a ping",
        "event: message_start\ndata: \(anthropicStart)\n\n"
            + "event: ping\ndata: {\"type\": \"ping\"}\n\n"
            + "event: content_block_delta\ndata: \(anthropicDelta)\n\n"
            + "event: content_block_delta\ndata: \(anthropicDelta)\n\n"
            + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        [
            .init(event: "message_start", data: anthropicStart),
            .init(event: "ping", data: #"{"type": "ping"}"#),
            .init(event: "content_block_delta", data: anthropicDelta),
            .init(event: "content_block_delta", data: anthropicDelta),
            .init(event: "message_stop", data: #"{"type":"message_stop"}"#),
        ]
    ),
    SSETranscript(
        "comments, multi-line data, fields without colon or space",
        ": keep-alive\n\n:\ndata: line one\ndata: line two\n\ndata\n\ndata:\n\n"
            + ": comment between fields\ndata:no-space\ndata:  two spaces\nunknown: field\n\n",
        [
            .init(data: "line one\nline two"),
            .init(data: ""),
            .init(data: ""),
            .init(data: "no-space\n two spaces"),
        ]
    ),
    SSETranscript(
        "CR-only line endings",
        "event: a\rdata: 1\r\rdata: 2\rdata: 3\r\r",
        [.init(event: "a", data: "1"), .init(data: "2\n3")]
    ),
    SSETranscript(
        "CRLF line endings",
        "data: x\r\n\r\nevent: e\r\ndata: y\r\n\r\n: c\r\ndata: z\r\n\r\n",
        [.init(data: "x"), .init(event: "e", data: "y"), .init(data: "z")]
    ),
    SSETranscript(
        "mixed line endings",
        "data: a\r\ndata: b\rdata: c\n\r\ndata: d\n\r",
        [.init(data: "a\nb\nc"), .init(data: "d")]
    ),
    SSETranscript(
        "a leading byte order mark is skipped once",
        "\u{FEFF}data: bom\n\n\u{FEFF}data: not skipped later\n\ndata: after\n\n",
        [.init(data: "bom"), .init(data: "after")]
    ),
    SSETranscript(
        "only one byte order mark is skipped",
        "\u{FEFF}\u{FEFF}data: x\n\ndata: y\n\n",
        [.init(data: "y")]
    ),
    SSETranscript(
        "the last event is dispatched without a trailing blank line",
        "data: a\n\ndata: last\ndata: lines",
        [.init(data: "a"), .init(data: "last\nlines")]
    ),
    SSETranscript(
        "the last event is dispatched after a single line ending",
        "event: done\ndata: end\r\n",
        [.init(event: "done", data: "end")]
    ),
    SSETranscript(
        "id persists, id with NUL is ignored, retry needs digits",
        "id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\u{0}x\ndata: d\n\n"
            + "retry: 1500\ndata: e\n\nretry: 15x\ndata: f\n\nretry:  7\ndata: g\n\nid: 3\nretry: 20\n\ndata: h\n\n",
        [
            .init(data: "a", id: "1"),
            .init(data: "b", id: "1"),
            .init(data: "c", id: ""),
            .init(data: "d", id: ""),
            .init(data: "e", id: "", retry: .milliseconds(1500)),
            .init(data: "f", id: ""),
            .init(data: "g", id: ""),
            .init(data: "h", id: "3", retry: .milliseconds(20)),
        ]
    ),
    SSETranscript(
        "a block without data dispatches nothing and resets the event type",
        "event: ping\n\nevent: other\nid: 9\n\ndata: x\n\n",
        [.init(data: "x", id: "9")]
    ),
    SSETranscript(
        "invalid UTF-8 becomes U+FFFD",
        bytes: Array("data: a".utf8) + [0xFF] + Array("b\ndata: ".utf8) + [0xE2, 0x82] + Array("\nevent: t".utf8)
            + [0xC3] + Array("\n\n".utf8),
        [.init(event: "t\u{FFFD}", data: "a\u{FFFD}b\n\u{FFFD}")]
    ),
    SSETranscript("an empty stream", "", []),
]

@Suite("ServerSentEventParser")
struct ServerSentEventParserTests {
    @Test("a transcript parsed in one chunk gives exactly the expected events", arguments: sseTranscripts)
    func wholeTranscript(transcript: SSETranscript) throws {
        #expect(try ServerSentEventParser.events(in: transcript.bytes) == transcript.events)
    }

    @Test("a transcript split in two at every byte boundary gives the same events", arguments: sseTranscripts)
    func everySplit(transcript: SSETranscript) throws {
        for split in 0...transcript.bytes.count {
            let events = try parse(chunks: [Array(transcript.bytes[..<split]), Array(transcript.bytes[split...])])
            #expect(events == transcript.events, "split at byte \(split)")
        }
    }

    @Test("a transcript split into three at many boundary pairs gives the same events", arguments: sseTranscripts)
    func threeWaySplits(transcript: SSETranscript) throws {
        let count = transcript.bytes.count
        let step = max(1, count / 40)
        for first in stride(from: 0, through: count, by: step) {
            for second in stride(from: first, through: count, by: step) {
                let events = try parse(chunks: [
                    Array(transcript.bytes[..<first]), Array(transcript.bytes[first..<second]),
                    Array(transcript.bytes[second...]),
                ])
                #expect(events == transcript.events, "split at bytes \(first) and \(second)")
            }
        }
    }

    @Test("a transcript fed one byte at a time gives the same events", arguments: sseTranscripts)
    func oneByteChunks(transcript: SSETranscript) throws {
        let events = try parse(chunks: transcript.bytes.map { [$0] })
        #expect(events == transcript.events)
    }

    @Test("the async sequence over a ResponseBody gives the same events", arguments: sseTranscripts)
    func asyncSequence(transcript: SSETranscript) async throws {
        let body = ResponseBody(
            chunks: stride(from: 0, to: transcript.bytes.count, by: 7).map {
                Array(transcript.bytes[$0..<min(transcript.bytes.count, $0 + 7)])
            })
        var events: [ServerSentEvent] = []
        for try await event in body.serverSentEvents() { events.append(event) }
        #expect(events == transcript.events)
    }

    @Test("an over-long line is a malformedStream error with its byte offset, however it arrives")
    func overLongLine() throws {
        let configuration = ServerSentEventParser.Configuration(maxLineLength: 16)
        let text = Array("data: ok\n\ndata: \(String(repeating: "x", count: 100))\n\n".utf8)
        for chunks in [[text], text.map { [$0] }] {
            var parser = ServerSentEventParser(configuration: configuration)
            var events: [ServerSentEvent] = []
            let error = #expect(throws: SluiceError.self) {
                for chunk in chunks { try parser.parse(chunk) { events.append($0) } }
            }
            #expect(error?.code == .malformedStream)
            #expect(error?.message.contains("byte offset 10") == true)
            #expect(error?.message.contains("event #2") == true)
            #expect(events == [.init(data: "ok")])
            // The parser stays failed.
            #expect(throws: SluiceError.self) { try parser.parse([0x0A]) { _ in } }
            #expect(throws: SluiceError.self) { try parser.finish { _ in } }
        }
    }

    @Test("a line that never ends fails as soon as it passes the limit, not at the end of the stream")
    func unterminatedLineFailsEarly() throws {
        var parser = ServerSentEventParser(configuration: .init(maxLineLength: 1024))
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 100)
        var fed = 0
        let error = #expect(throws: SluiceError.self) {
            for _ in 0..<100 {
                try parser.parse(chunk) { _ in }
                fed += chunk.count
            }
        }
        #expect(error?.code == .malformedStream)
        #expect(fed <= 1024)
    }

    @Test("an event with too much data is a malformedStream error naming the event")
    func eventTooLarge() throws {
        var parser = ServerSentEventParser(configuration: .init(maxEventSize: 10))
        var events: [ServerSentEvent] = []
        // Exactly 10 bytes of data ("12345\n1234") is allowed.
        try parser.parse(Array("data: 12345\ndata: 1234\n\n".utf8)) { events.append($0) }
        #expect(events == [.init(data: "12345\n1234")])
        let error = #expect(throws: SluiceError.self) {
            try parser.parse(Array("data: 12345\ndata: 12345\n\n".utf8)) { events.append($0) }
        }
        #expect(error?.code == .malformedStream)
        #expect(error?.message.contains("event #2") == true)
    }

    @Test("the async sequence ends with the parser's error")
    func asyncSequenceError() async throws {
        let body = ResponseBody(chunks: [Array("data: \(String(repeating: "y", count: 64))\n\n".utf8)])
        let error = await #expect(throws: SluiceError.self) {
            for try await _ in body.serverSentEvents(configuration: .init(maxLineLength: 32)) {}
        }
        #expect(error?.code == .malformedStream)
    }

    @Test("lastEventID and reconnectionTime persist across finish; counters reset")
    func persistsAcrossFinish() throws {
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        try parser.parse(Array("id: abc\nretry: 3000\ndata: 1\n\n".utf8)) { events.append($0) }
        #expect(parser.eventCount == 1)
        try parser.finish { events.append($0) }
        #expect(parser.lastEventID == "abc")
        #expect(parser.reconnectionTime == .seconds(3))
        #expect(parser.eventCount == 0)
        #expect(parser.byteOffset == 0)
        // A new stream after finish may start with a BOM again.
        try parser.parse([0xEF, 0xBB, 0xBF] + Array("data: 2\n\n".utf8)) { events.append($0) }
        #expect(events == [.init(data: "1", id: "abc", retry: .seconds(3)), .init(data: "2", id: "abc")])
    }

    @Test("an error thrown by the handler stops parsing and propagates")
    func handlerError() throws {
        struct Stop: Error {}
        var parser = ServerSentEventParser()
        var seen = 0
        #expect(throws: Stop.self) {
            try parser.parse(Array("data: 1\n\ndata: 2\n\n".utf8)) { _ in
                seen += 1
                throw Stop()
            }
        }
        #expect(seen == 1)
    }

    @Test("description writes the event in wire form that parses back to the same event")
    func descriptionRoundTrip() throws {
        let event = ServerSentEvent(event: "update", data: "a\nb", id: "42", retry: .milliseconds(250))
        #expect(event.description == "event: update\nid: 42\nretry: 250\ndata: a\ndata: b\n\n")
        #expect(try ServerSentEventParser.events(in: Array(event.description.utf8)) == [event])
    }

    private func parse(chunks: [[UInt8]]) throws -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for chunk in chunks { try parser.parse(chunk) { events.append($0) } }
        try parser.finish { events.append($0) }
        return events
    }
}
