import Testing

@testable import SluiceMockServer

@Suite("Mock script JSON")
struct ScriptParsingTests {
    @Test("every documented field is read")
    func fullScript() throws {
        let script = try MockScript(
            json: #"""
                {
                  "rules": [
                    {
                      "name": "all",
                      "match": {"path": "/v1/chat/completions", "model": "gpt-4o", "key": "tenant-a",
                                "headers": {"x-test": "1"}, "message": "(?i)weather", "toolResult": false},
                      "replies": [
                        {"status": 503, "headers": {"retry-after": "2"}, "message": "busy", "times": 2},
                        {"text": "ok", "usage": {"inputTokens": 7, "outputTokens": 9}, "finishReason": "stop",
                         "delayMs": 5, "chunkTokens": 2, "chunkGapMs": 10,
                         "fault": {"kind": "stall", "afterTokens": 1, "ms": 20}},
                        {"toolCalls": [{"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}]}
                      ]
                    }
                  ],
                  "default": {"text": "fallback"}
                }
                """#)
        let rule = try #require(script.rules.first)
        #expect(rule.name == "all")
        #expect(rule.match.path == "/v1/chat/completions")
        #expect(rule.match.model == "gpt-4o")
        #expect(rule.match.key == "tenant-a")
        #expect(rule.match.headers == ["x-test": "1"])
        #expect(rule.match.message?.source == "(?i)weather")
        #expect(rule.match.toolResult == false)
        #expect(rule.replies.count == 3)
        #expect(rule.replies[0].status == 503)
        #expect(rule.replies[0].headers == ["retry-after": "2"])
        #expect(rule.replies[0].errorMessage == "busy")
        #expect(rule.replies[0].times == 2)
        let ok = rule.replies[1]
        #expect(ok.text == "ok")
        #expect(ok.inputTokens == 7 && ok.outputTokens == 9)
        #expect(ok.finishReason == "stop")
        #expect(ok.delay == .milliseconds(5))
        #expect(ok.chunkTokens == 2 && ok.chunkGap == .milliseconds(10))
        #expect(ok.fault == .stall(afterTokens: 1, duration: .milliseconds(20)))
        #expect(
            rule.replies[2].toolCalls == [
                MockReply.ToolCall(name: "get_weather", arguments: #"{"city":"Paris","days":2}"#)
            ])
        #expect(script.defaultReply?.text == "fallback")
    }

    @Test("a sequence answers each reply its times, then repeats the last")
    func sequence() {
        let rule = MockRule(replies: [MockReply(status: 503, times: 2), MockReply(text: "a"), MockReply(text: "b")])
        #expect((0..<6).map { rule.reply(forMatch: $0)?.status ?? 0 } == [503, 503, 0, 0, 0, 0])
        #expect((0..<6).map { rule.reply(forMatch: $0)?.text } == [nil, nil, "a", "b", "b", "b"])
    }

    private func error(_ json: String) -> MockScriptError? {
        do {
            _ = try MockScript(json: json)
            return nil
        } catch {
            return error
        }
    }

    @Test(
        "malformed scripts are refused with the line and column of the offending value",
        arguments: [
            ("{\n  \"rules\": [\n    {\"reply\": {\"txt\": \"x\"}}\n  ]\n}", 3, 23, "unknown field 'txt'"),
            ("{\n  \"rules\": [\n    {\"reply\": {\"text\": 5}}\n  ]\n}", 3, 24, "expected a string"),
            (
                "{\"rules\": [\n {\"match\": {\"message\": \"(unclosed\"},\n  \"reply\": {}}]}", 2, 24,
                "invalid regular expression"
            ),
            (
                "{\"rules\": [{\"reply\":\n  {\"fault\": {\"kind\": \"explode\"}}}]}", 2, 22,
                "unknown fault kind 'explode'"
            ),
            ("{\"rules\": [{\"replies\": [\n\n  {\"text\": \"a\", \"times\": -1}]}]}", 3, 26, "negative"),
            ("{\"rules\": [{\"reply\": {\"status\": 200}}]}", 1, 33, "'status' must be 400...599"),
            ("{\"rules\": [{\"match\": {}}]}", 1, 12, "a rule needs 'reply' or 'replies'"),
            ("{\n\"rules\": [\n  {\"reply\": {\"text\": \"a\"}},\n  }\n]}", 4, 3, "unexpected character"),
            ("{\"rules\": {}}", 1, 11, "'rules' must be an array"),
            ("{\"rules\": [],\n \"default\": {,}}", 2, 14, "expected a member name"),
            ("{\"rules\": [], \"default\": {\"text\": \"a\" \"b\"}}", 1, 39, "expected ',' or '}'"),
            ("{\"rules\": [{\"reply\": {\"chunkTokens\": 1.5}}]}", 1, 38, "whole number"),
        ])
    func refusals(json: String, line: Int, column: Int, reason: String) throws {
        let error = try #require(self.error(json))
        #expect(error.line == line)
        #expect(error.column == column)
        #expect(error.reason.contains(reason), "\(error)")
        #expect(error.description.hasPrefix("\(line):\(column): "))
    }

    @Test("columns count characters, not bytes")
    func unicodeColumns() throws {
        let error = try #require(self.error("{\"rules\": [{\"name\": \"é\", \"bad\": 1}]}"))
        #expect(error.line == 1)
        #expect(error.column == 33)
    }

    @Test("hostile input: deep nesting, huge numbers and oversized scripts are refused without trapping")
    func hostile() throws {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(self.error(deep)?.reason.contains("nesting") == true)
        #expect(self.error("{\"rules\": [{\"reply\": {\"times\": 1e300}}]}")?.reason.contains("whole number") == true)
        #expect(self.error("{\"rules\": [{\"reply\": {\"times\": 1e999}}]}")?.reason.contains("invalid number") == true)
        let big = [UInt8](repeating: UInt8(ascii: " "), count: MockPositionedJSON.maxBytes + 1)
        #expect(throws: MockScriptError.self) { try MockScript.parse(big) }
    }

    @Test("a long one-line script with many members parses in linear time, and a repeated member is refused")
    func manyMembers() throws {
        let members = (0..<20_000).map { #""h\#($0)":"v""# }.joined(separator: ",")
        let script = try MockScript(json: #"{"rules":[{"match":{"headers":{\#(members)}},"reply":{}}]}"#)
        #expect(script.rules.first?.match.headers.count == 20_000)
        let error = try #require(self.error(#"{"rules": [], "rules": []}"#))
        #expect(error.column == 15)
        #expect(error.reason.contains("duplicate member 'rules'"))
    }

    @Test("an invalid pattern built from Swift throws")
    func swiftPattern() {
        #expect(throws: MockScriptError.self) { try MockPattern("[a-") }
    }
}
