import SluiceTesting
import Testing

@testable import Sluice

@Suite("Responses API stream")
struct ResponsesStreamTests {
    /// One server-sent event as the API writes it.
    static func event(_ type: String, _ fields: String) -> String {
        "event: \(type)\ndata: {\"type\":\"\(type)\"\(fields.isEmpty ? "" : ",")\(fields),\"sequence_number\":0}\n\n"
    }

    static let created = event(
        "response.created", #""response":{"id":"resp_1","model":"gpt","status":"in_progress","output":[],"usage":null}"#
    )
    static let textItem = [
        event("response.output_item.added", #""output_index":0,"item":{"type":"message","id":"msg_1","content":[]}"#),
        event(
            "response.content_part.added",
            #""output_index":0,"content_index":0,"part":{"type":"output_text","text":""}"#),
        event("response.output_text.delta", #""item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hel""#),
        event("response.future_event", #""anything":[1,{"x":2}]"#),
        event("response.output_text.delta", #""item_id":"msg_1","output_index":0,"content_index":0,"delta":"lo""#),
        event("response.output_text.done", #""output_index":0,"content_index":0,"text":"Hello""#),
    ]
    static let callItem = [
        event(
            "response.output_item.added",
            #""output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"f","arguments":""}"#
        ),
        event("response.function_call_arguments.delta", #""output_index":1,"delta":"{\"a\":""#),
        event("response.function_call_arguments.delta", #""output_index":1,"delta":"1}""#),
        event("response.function_call_arguments.done", #""output_index":1,"arguments":"{\"a\":1}""#),
    ]
    static let completed = event(
        "response.completed",
        #"""
        "response":{"id":"resp_1","model":"gpt","status":"completed","output":[
          {"type":"message","id":"msg_1","content":[{"type":"output_text","text":"Hello"}]},
          {"type":"function_call","id":"fc_1","call_id":"call_1","name":"f","arguments":"{\"a\":1}"}],
          "usage":{"input_tokens":5,"output_tokens":7}}
        """#.replacingOccurrences(of: "\n", with: ""))

    /// The typed events of `text`, decoded in pieces of `size` bytes.
    static func decode(_ text: String) throws -> [ResponsesStreamEvent] {
        var parser = ServerSentEventParser()
        var decoder = OpenAIResponsesStreamDecoder()
        var events: [ResponsesStreamEvent] = []
        try parser.parse(Array(text.utf8)) { event in
            try decoder.decode(event) { events.append($0) }
        }
        return events
    }

    static func client(_ chunks: [String], recorder: EventRecorder? = nil) -> LLMClient {
        var configuration = LLMClient.Configuration.openAI(apiKey: "sk-KEY-MARKER", baseURL: "http://127.0.0.1:9/v1")
        configuration.retryPolicy = .disabled
        if let recorder { configuration.eventHandlers = [recorder] }
        let transport = InMemoryTransport { _ in
            ClientResponse(status: 200, body: ResponseBody(chunks: chunks.map { Array($0.utf8) }))
        }
        return LLMClient(configuration, transport: transport)
    }

    @Test("the semantic events decode in order; unknown and unmodelled events are skipped")
    func decoding() throws {
        let events = try Self.decode(([Self.created] + Self.textItem + Self.callItem + [Self.completed]).joined())
        #expect(events.count == 10)
        #expect(events[0] == .created(ResponsesResponse(id: "resp_1", model: "gpt", status: .inProgress)))
        #expect(events[1] == .outputItemAdded(outputIndex: 0, item: .message(ResponsesOutputMessage(id: "msg_1"))))
        #expect(events[2] == .outputTextDelta(outputIndex: 0, contentIndex: 0, delta: "Hel"))
        #expect(events[3] == .outputTextDelta(outputIndex: 0, contentIndex: 0, delta: "lo"))
        #expect(events[4] == .outputTextDone(outputIndex: 0, contentIndex: 0, text: "Hello"))
        #expect(events[6] == .functionCallArgumentsDelta(outputIndex: 1, delta: #"{"a":"#))
        #expect(events[8] == .functionCallArgumentsDone(outputIndex: 1, arguments: #"{"a":1}"#))
        guard case .completed(let final) = events[9] else { Issue.record("no completed event"); return }
        #expect(final.usage == Usage(inputTokens: 5, outputTokens: 7))
    }

    @Test("a stream read through the client gives typed events, a final response, and usage to the hooks")
    func throughClient() async throws {
        let recorder = EventRecorder()
        let client = Self.client([Self.created] + Self.textItem + Self.callItem + [Self.completed], recorder: recorder)
        var deltas: [String] = []
        let reply = try await client.streamResponse(ResponsesRequest(model: "gpt", input: "hi")) { event in
            if case .outputTextDelta(_, _, let delta) = event { deltas.append(delta) }
        }
        #expect(deltas == ["Hel", "lo"])
        #expect(reply.outputText == "Hello")
        #expect(
            reply.functionCalls == [
                ResponsesFunctionCall(id: "fc_1", callID: "call_1", name: "f", arguments: #"{"a":1}"#)
            ])
        #expect(reply.usage == Usage(inputTokens: 5, outputTokens: 7))
        let succeeded = recorder.events.filter { $0.kind == .requestSucceeded }
        #expect(succeeded.count == 1)
        #expect(succeeded.first?.usage == Usage(inputTokens: 5, outputTokens: 7))
        #expect(succeeded.first?.operation == .streamResponses)
        #expect(recorder.events.contains { $0.kind == .firstToken })
    }

    @Test("a stream cut mid-item is a typed incomplete_stream error keeping the partial output")
    func cutMidItem() async throws {
        let client = Self.client([Self.created] + Self.textItem + Array(Self.callItem.prefix(2)))
        var snapshot: ResponsesResponse?
        let error = try await #require(throws: SluiceError.self) {
            try await client.streamResponse(ResponsesRequest(model: "gpt", input: "hi")) { stream in
                do {
                    for try await _ in stream {}
                } catch {
                    snapshot = stream.snapshot
                    throw error
                }
            }
        }
        #expect(error.code == .incompleteStream)
        #expect(error.partialResponse?.text == "Hello")
        #expect(error.partialResponse?.toolCalls.first?.arguments == #"{"a":"#)
        #expect(snapshot?.outputText == "Hello")
        #expect(
            snapshot?.functionCalls == [
                ResponsesFunctionCall(id: "fc_1", callID: "call_1", name: "f", arguments: #"{"a":"#)
            ])
        #expect(snapshot?.status == .inProgress)
    }

    @Test("an error event is a typed stream_error with the provider's code and message, keeping the partial text")
    func errorEvent() async throws {
        let client = Self.client(
            [Self.created] + Self.textItem
                + [Self.event("error", #""code":"server_error","message":"boom sk-KEY-MARKER","param":null"#)])
        let error = try await #require(throws: SluiceError.self) {
            _ = try await client.streamResponse(ResponsesRequest(model: "gpt", input: "hi"))
        }
        #expect(error.code == .streamError)
        #expect(error.providerError?.code == "server_error")
        #expect(error.partialResponse?.text == "Hello")
        #expect(!"\(error)".contains("KEY-MARKER"))
        #expect(error.providerError?.message?.contains("KEY-MARKER") == false)

        let nested = try await #require(throws: SluiceError.self) {
            _ = try await Self.client([
                Self.created, Self.event("error", #""error":{"code":"overloaded","message":"busy"}"#),
            ])
            .streamResponse(ResponsesRequest(model: "gpt", input: "hi"))
        }
        #expect(nested.code == .streamError)
        #expect(nested.providerError?.code == "overloaded")
    }

    @Test("response.failed and response.incomplete end the stream with their response")
    func failedAndIncomplete() async throws {
        let failed = Self.event(
            "response.failed",
            #""response":{"id":"resp_1","status":"failed","error":{"code":"server_error","message":"model failed"},"output":[]}"#
        )
        let reply = try await Self.client([Self.created, failed, Self.completed])
            .streamResponse(ResponsesRequest(model: "gpt", input: "hi"))
        #expect(reply.status == .failed)
        #expect(reply.error?.message == "model failed")
        #expect(reply.usage == nil)

        let incomplete = Self.event(
            "response.incomplete",
            #""response":{"id":"resp_1","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[],"usage":{"input_tokens":1,"output_tokens":2}}"#
        )
        let cut = try await Self.client([Self.created] + Self.textItem + [incomplete])
            .streamResponse(ResponsesRequest(model: "gpt", input: "hi"))
        #expect(cut.status == .incomplete)
        #expect(cut.incompleteReason == "max_output_tokens")
        // The terminal response listed no output: the streamed items stay.
        #expect(cut.outputText == "Hello")
    }

    @Test(
        "hostile events: wrong types are decoding_failed, huge indices saturate, bad JSON never crashes",
        arguments: [
            (#"{"type":"response.output_text.delta","delta":5}"#, true),
            (#"{"type":"response.created","response":"x"}"#, true),
            (#"{"type":"response.completed"}"#, true),
            (#"{"type":"response.output_text.delta","output_index":1e999,"content_index":-9,"delta":"x"}"#, false),
            (
                #"{"type":"response.output_item.added","output_index":99999999999999999999,"item":{"type":"mcp_call"}}"#,
                false
            ),
            (#"{"type":"response.output_text.delta","#, true),
        ])
    func hostile(data: String, fails: Bool) throws {
        var decoder = OpenAIResponsesStreamDecoder()
        var events: [ResponsesStreamEvent] = []
        do {
            try decoder.decode(ServerSentEvent(data: data)) { events.append($0) }
            #expect(!fails)
            if case .outputTextDelta(let index, let part, _)? = events.first {
                #expect(index == WireNumber.maxCount)
                #expect(part == 0)
            }
        } catch let error as SluiceError {
            #expect(fails)
            #expect(error.code == .decodingFailed)
        }
    }

    @Test("the accumulator ignores deltas for items it never saw and keeps hostile indices cheap")
    func accumulatorHostile() {
        var accumulator = ResponsesStreamAccumulator(requestID: nil)
        accumulator.apply(.outputTextDelta(outputIndex: 7, contentIndex: 0, delta: "x"))
        accumulator.apply(.outputItemAdded(outputIndex: Int.max, item: .message(ResponsesOutputMessage())))
        accumulator.apply(.outputTextDelta(outputIndex: Int.max, contentIndex: Int.max, delta: "y"))
        accumulator.apply(.functionCallArgumentsDelta(outputIndex: Int.max, delta: "z"))
        #expect(accumulator.response.output == [.message(ResponsesOutputMessage(parts: ["y"]))])
    }
}
