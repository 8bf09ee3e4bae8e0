import Testing

@testable import Sluice

@Suite("Responses API reply")
struct ResponsesReplyTests {
    static func decode(_ body: String, headers: HTTPHeaders = [:]) throws -> ResponsesResponse {
        try OpenAIAdapter().decodeResponsesResponse(Array(body.utf8), headers: headers)
    }

    static let full = #"""
        {"id":"resp_1","object":"response","created_at":1741476542,"status":"completed","error":null,
         "incomplete_details":null,"model":"o4-mini-2025-04-16",
         "output":[
           {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Weather wanted."}],
            "encrypted_content":"gAAAA"},
           {"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search"}},
           {"type":"message","id":"msg_1","status":"completed","role":"assistant",
            "content":[{"type":"output_text","text":"Checking ","annotations":[]},
                       {"type":"future_part","data":[1,2]},
                       {"type":"output_text","text":"now.","annotations":[]}]},
           {"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather",
            "arguments":"{\"city\":\"Oslo\"}","status":"completed"}],
         "usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":12},"output_tokens":87,
                  "output_tokens_details":{"reasoning_tokens":64},"total_tokens":123},
         "metadata":{}}
        """#

    @Test("items decode in order; unknown items and parts are skipped; usage and ids are kept")
    func full() throws {
        let reply = try Self.decode(Self.full, headers: ["x-request-id": "req_1"])
        #expect(reply.id == "resp_1")
        #expect(reply.model == "o4-mini-2025-04-16")
        #expect(reply.status == .completed)
        #expect(reply.createdAt == 1_741_476_542)
        #expect(reply.requestID == "req_1")
        #expect(
            reply.output == [
                .reasoning(ResponsesReasoningItem(id: "rs_1", summary: ["Weather wanted."], encryptedContent: "gAAAA")),
                .message(ResponsesOutputMessage(id: "msg_1", parts: ["Checking ", "now."])),
                .functionCall(
                    ResponsesFunctionCall(
                        id: "fc_1", callID: "call_1", name: "get_weather", arguments: #"{"city":"Oslo"}"#)),
            ])
        #expect(reply.outputText == "Checking now.")
        #expect(reply.functionCalls.map(\.callID) == ["call_1"])
        #expect(reply.usage == Usage(inputTokens: 36, outputTokens: 87, cachedInputTokens: 12, reasoningTokens: 64))
    }

    @Test("the next turn's input is the output (reasoning and calls unchanged) and the results")
    func nextInput() throws {
        let reply = try Self.decode(Self.full)
        let next = reply.nextInput([ResponsesFunctionCallOutput(callID: "call_1", output: "18C")])
        #expect(
            next == [
                .reasoning(ResponsesReasoningItem(id: "rs_1", summary: ["Weather wanted."], encryptedContent: "gAAAA")),
                .assistant("Checking now."),
                .functionCall(reply.functionCalls[0]),
                .functionCallOutput(callID: "call_1", output: "18C"),
            ])
    }

    @Test("incomplete and failed replies keep their reason and error; a refusal is text")
    func statuses() throws {
        let incomplete = try Self.decode(
            #"{"id":"r","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]}"#)
        #expect(incomplete.status == .incomplete)
        #expect(incomplete.incompleteReason == "max_output_tokens")
        let failed = try Self.decode(
            #"{"id":"r","status":"failed","error":{"code":"server_error","message":"boom"},"output":null}"#)
        #expect(failed.status == .failed)
        #expect(failed.error == ProviderErrorDetails(code: "server_error", message: "boom"))
        let refused = try Self.decode(
            #"{"output":[{"type":"message","content":[{"type":"refusal","refusal":"No."}]}]}"#)
        #expect(refused.outputText == "No.")
        #expect(refused.output == [.message(ResponsesOutputMessage(parts: ["No."], refused: true))])
    }

    @Test("huge, negative and fractional counts saturate; odd count types read as missing")
    func hostileNumbers() throws {
        let reply = try Self.decode(
            #"""
            {"created_at":1e400,"usage":{"input_tokens":99999999999999999999999999,"output_tokens":-5,
             "input_tokens_details":{"cached_tokens":"12"},"output_tokens_details":{"reasoning_tokens":2.9}}}
            """#)
        let usage = try #require(reply.usage)
        #expect(usage.inputTokens == WireNumber.maxCount)
        #expect(usage.outputTokens == 0)
        #expect(usage.cachedInputTokens == nil)
        #expect(usage.reasoningTokens == 2)
        #expect(reply.createdAt == WireNumber.maxCount)
        #expect(usage.totalTokens >= usage.inputTokens)
    }

    @Test(
        "a known field of the wrong type or bad JSON is a typed decoding_failed error naming the field",
        arguments: [
            (#"{"id":5}"#, "id"),
            (#"{"output":{"type":"message"}}"#, "output"),
            (
                #"{"output":[{"type":"message","content":[{"type":"output_text","text":7}]}]}"#,
                "output[0].content[0].text"
            ),
            (#"{"output":[{"type":"function_call","name":["x"]}]}"#, "output[0].name"),
            (#"{"status":"completed","#, "invalid JSON"),
            (#"[]"#, "expected an object"),
        ])
    func wrongTypes(body: String, path: String) throws {
        let error = try #require(throws: SluiceError.self) { _ = try Self.decode(body) }
        #expect(error.code == .decodingFailed)
        #expect(error.message.contains(path))
    }
}
