import Foundation
import Testing

@testable import SluiceMockServer

@Suite("Anthropic prompt caching in the mock server")
struct AnthropicPromptCacheTests {
    /// 4 400 ASCII bytes: 1 100 tokens, above the default 1 024-token minimum.
    static let manual = String(repeating: "abc ", count: 1_100)
    /// `textTokens("Question 1") + 4 + 3`: the uncached rest of each request.
    static let rest = 10

    /// A body with a system text block of `system`, marked with `cacheControl` (JSON, or none).
    static func body(
        system: String = manual, cacheControl: String? = #"{"type":"ephemeral"}"#, question: String = "Question 1",
        model: String = "claude-test", stream: Bool = false
    ) -> String {
        let mark = cacheControl.map { #","cache_control":\#($0)"# } ?? ""
        return #"{"model":"\#(model)","max_tokens":16,"#
            + (stream ? #""stream":true,"# : "")
            + #""system":[{"type":"text","text":"\#(system)"\#(mark)}],"#
            + #""messages":[{"role":"user","content":"\#(question)"}]}"#
    }

    static func usage(_ response: RawHTTPResponse) throws -> [String: Any] {
        try #require(try RawHTTPResponse.object(response.body)["usage"] as? [String: Any])
    }

    static func configuration(clock: MockServerClock = .manual()) -> MockServerConfiguration {
        var configuration = MockServerConfiguration()
        configuration.clock = clock
        configuration.keys = [
            MockAPIKey(name: "a", secret: "sk-ant-a", limits: MockRateLimits(inputTokensPerMinute: 100_000)),
            MockAPIKey(name: "b", secret: "sk-ant-b", limits: MockRateLimits(inputTokensPerMinute: 100_000)),
        ]
        return configuration
    }

    @Test("a new prefix is written, the same prefix again is read; the input bucket counts input and writes, not reads")
    func creationThenRead() async throws {
        try await MockLLMServer.withRunning(Self.configuration()) { server in
            let first = try await RawHTTPClient.messages(port: server.port, apiKey: "sk-ant-a", Self.body())
            #expect(first.status == 200)
            let written = try Self.usage(first)
            #expect(written["cache_creation_input_tokens"] as? Int == 1_100)
            #expect(written["cache_read_input_tokens"] as? Int == 0)
            #expect(written["input_tokens"] as? Int == Self.rest)
            #expect(first[header: "anthropic-ratelimit-input-tokens-remaining"] == "\(100_000 - 1_110)")

            let second = try await RawHTTPClient.messages(
                port: server.port, apiKey: "sk-ant-a", Self.body(question: "Question 2"))
            let read = try Self.usage(second)
            #expect(read["cache_creation_input_tokens"] as? Int == 0)
            #expect(read["cache_read_input_tokens"] as? Int == 1_100)
            #expect(read["input_tokens"] as? Int == Self.rest)
            #expect(second[header: "anthropic-ratelimit-input-tokens-remaining"] == "\(100_000 - 1_110 - 10)")

            let stats = server.stats[key: "a"]
            #expect(stats.inputTokensCharged == 1_110 + 10)
            #expect(stats.cacheReadInputTokens == 1_100)
            #expect(stats.cacheCreationInputTokens == 1_100)
        }
    }

    @Test("the cache is per key and per model, and a changed prefix is a new entry")
    func scope() async throws {
        try await MockLLMServer.withRunning(Self.configuration()) { server in
            _ = try await RawHTTPClient.messages(port: server.port, apiKey: "sk-ant-a", Self.body())
            for (key, body) in [
                ("sk-ant-b", Self.body()),
                ("sk-ant-a", Self.body(model: "claude-other")),
                ("sk-ant-a", Self.body(system: Self.manual + "x")),
            ] {
                let response = try await RawHTTPClient.messages(port: server.port, apiKey: key, body)
                #expect(try Self.usage(response)["cache_read_input_tokens"] as? Int == 0)
                #expect(try Self.usage(response)["cache_creation_input_tokens"] as? Int ?? 0 > 1_000)
            }
        }
    }

    @Test("a prefix below the minimum is neither written nor read; without a breakpoint nothing is cached")
    func belowMinimumAndUnmarked() async throws {
        try await MockLLMServer.withRunning(Self.configuration()) { server in
            for body in [
                Self.body(system: "Short rules."), Self.body(system: "Short rules."), Self.body(cacheControl: nil),
                Self.body(cacheControl: nil),
            ] {
                let usage = try Self.usage(
                    try await RawHTTPClient.messages(port: server.port, apiKey: "sk-ant-a", body))
                #expect(usage["cache_creation_input_tokens"] as? Int == 0)
                #expect(usage["cache_read_input_tokens"] as? Int == 0)
            }
        }
    }

    @Test("an entry lives five minutes from its last use by default, an hour with ttl 1h")
    func lifetimes() async throws {
        let clock = MockServerClock.manual()
        try await MockLLMServer.withRunning(Self.configuration(clock: clock)) { server in
            let hour = #"{"type":"ephemeral","ttl":"1h"}"#
            let fiveMinutes = Self.body()
            let oneHour = Self.body(system: Self.manual + "h", cacheControl: hour)
            var reads: [Int?] = []
            for (advance, body) in [
                (0, fiveMinutes), (0, oneHour), (299, fiveMinutes), (299, fiveMinutes), (301, fiveMinutes),
                (0, oneHour),
            ] {
                clock.advance(by: .seconds(advance))
                let response = try await RawHTTPClient.messages(port: server.port, apiKey: "sk-ant-a", body)
                reads.append(try Self.usage(response)["cache_read_input_tokens"] as? Int)
            }
            // Written; written; read (and refreshed) at 299 s; read at 598 s; expired at 899 s and
            // written again; the one-hour entry read at 899 s.
            #expect(reads == [0, 0, 1_100, 1_100, 0, 1_101])
        }
    }

    @Test("message_start of a stream carries the three input counts")
    func streamed() async throws {
        try await MockLLMServer.withRunning(Self.configuration()) { server in
            _ = try await RawHTTPClient.messages(port: server.port, apiKey: "sk-ant-a", Self.body())
            let response = try await RawHTTPClient.messages(
                port: server.port, apiKey: "sk-ant-a", Self.body(stream: true))
            let start = try #require(response.namedEvents.first { $0.name == "message_start" })
            let message = try #require(try start.json()["message"] as? [String: Any])
            let usage = try #require(message["usage"] as? [String: Any])
            #expect(usage["cache_read_input_tokens"] as? Int == 1_100)
            #expect(usage["cache_creation_input_tokens"] as? Int == 0)
            #expect(usage["input_tokens"] as? Int == Self.rest)
        }
    }

    @Test("more than four breakpoints, or a lifetime Anthropic does not offer, is answered 400")
    func refused() async throws {
        try await MockLLMServer.withRunning(Self.configuration()) { server in
            let block = #"{"type":"text","text":"x","cache_control":{"type":"ephemeral"}}"#
            let five =
                #"{"model":"claude-test","max_tokens":16,"system":["#
                + Array(repeating: block, count: 5).joined(separator: ",")
                + #"],"messages":[{"role":"user","content":"Q"}]}"#
            let tooMany = try await RawHTTPClient.messages(port: server.port, apiKey: "sk-ant-a", five)
            #expect(tooMany.status == 400)
            #expect(tooMany.body.contains("A maximum of 4 blocks with cache_control may be provided. Found 5."))
            let badTTL = try await RawHTTPClient.messages(
                port: server.port, apiKey: "sk-ant-a", Self.body(cacheControl: #"{"type":"ephemeral","ttl":"2d"}"#))
            #expect(badTTL.status == 400)
            #expect(server.stats[key: "a"].inputTokensCharged == 0)
        }
    }

    @Test("the longest cached prefix is read and the rest up to the last breakpoint written")
    func twoBreakpoints() async throws {
        try await MockLLMServer.withRunning(Self.configuration()) { server in
            let mark = #","cache_control":{"type":"ephemeral"}"#
            func body(_ second: String) -> String {
                #"{"model":"claude-test","max_tokens":16,"system":[{"type":"text","text":"\#(Self.manual)"\#(mark)}],"#
                    + #""messages":[{"role":"user","content":[{"type":"text","text":"\#(second)"\#(mark)},"#
                    + #"{"type":"text","text":"Q"}]}]}"#
            }
            let history = String(repeating: "defg", count: 500)  // 500 tokens
            _ = try await RawHTTPClient.messages(port: server.port, apiKey: "sk-ant-a", body(history))
            let usage = try Self.usage(
                try await RawHTTPClient.messages(port: server.port, apiKey: "sk-ant-a", body(history + "h")))
            // The system prefix (1 100) is read; the history block, 1 100 + 3 + 501 + 4, is written.
            #expect(usage["cache_read_input_tokens"] as? Int == 1_100)
            #expect(usage["cache_creation_input_tokens"] as? Int == 508)
            #expect(usage["input_tokens"] as? Int == 0)
        }
    }

    @Test("the cache keeps at most maxEntries prefixes")
    func bounded() async throws {
        var configuration = Self.configuration()
        configuration.promptCaching = .init(minimumTokens: 1, maxEntries: 8)
        try await MockLLMServer.withRunning(configuration) { server in
            for index in 0..<40 {
                _ = try await RawHTTPClient.messages(
                    port: server.port, apiKey: "sk-ant-a", Self.body(system: "Rules number \(index)."))
            }
            #expect(server.engine.promptCache.count <= 8)
            // The most recent prefix is still there.
            let usage = try Self.usage(
                try await RawHTTPClient.messages(
                    port: server.port, apiKey: "sk-ant-a", Self.body(system: "Rules number 39.")))
            #expect(usage["cache_read_input_tokens"] as? Int ?? 0 > 0)
        }
    }
}
