import Foundation
import Testing

@testable import SluiceMockServer

/// 2026-11-21T19:50:00Z
private let start = Duration.seconds(1_795_290_600)

@Suite("Anthropic rate limits over loopback")
struct AnthropicRateLimitTests {
    /// `textTokens("Hello there") + 4 + 3`
    static let inputTokens = 10

    @Test("input and output tokens are separate buckets with anthropic-ratelimit-* headers and RFC 3339 resets")
    func inputAndOutputBuckets() async throws {
        var configuration = MockServerConfiguration()  // 20-token replies
        configuration.clock = .manual(unixTimeAtStart: start)
        configuration.keys = [
            MockAPIKey(
                name: "a", secret: "sk-ant-a",
                limits: MockRateLimits(requestsPerMinute: 60, inputTokensPerMinute: 600, outputTokensPerMinute: 120))
        ]
        try await MockLLMServer.withRunning(configuration) { server in
            let body = messagesBody(maxTokens: 60)
            let first = try await RawHTTPClient.messages(port: server.port, apiKey: "sk-ant-a", body)
            #expect(first.status == 200)
            #expect(first[header: "anthropic-ratelimit-requests-limit"] == "60")
            #expect(first[header: "anthropic-ratelimit-requests-remaining"] == "59")
            #expect(first[header: "anthropic-ratelimit-requests-reset"] == "2026-11-21T19:50:01Z")
            #expect(first[header: "anthropic-ratelimit-input-tokens-limit"] == "600")
            #expect(first[header: "anthropic-ratelimit-input-tokens-remaining"] == "590")
            #expect(first[header: "anthropic-ratelimit-input-tokens-reset"] == "2026-11-21T19:50:01Z")
            // max_tokens (60) is reserved at admission: 60 of 120 left, full again in 30 s at 2 per second.
            #expect(first[header: "anthropic-ratelimit-output-tokens-limit"] == "120")
            #expect(first[header: "anthropic-ratelimit-output-tokens-remaining"] == "60")
            #expect(first[header: "anthropic-ratelimit-output-tokens-reset"] == "2026-11-21T19:50:30Z")
            // The most restrictive token dimension is output.
            #expect(first[header: "anthropic-ratelimit-tokens-limit"] == "120")
            #expect(first[header: "anthropic-ratelimit-tokens-remaining"] == "60")
            #expect(first[header: "anthropic-ratelimit-tokens-reset"] == "2026-11-21T19:50:30Z")
            #expect(first[header: "x-ratelimit-limit-requests"] == nil)

            // The reply used 20 of the 60 reserved: 40 came back when it ended, so 100 - 60 are left.
            let second = try await RawHTTPClient.messages(port: server.port, apiKey: "sk-ant-a", body)
            #expect(second[header: "anthropic-ratelimit-output-tokens-remaining"] == "40")
            #expect(second[header: "anthropic-ratelimit-output-tokens-reset"] == "2026-11-21T19:50:40Z")
            #expect(second[header: "anthropic-ratelimit-input-tokens-remaining"] == "580")
            #expect(second[header: "anthropic-ratelimit-input-tokens-reset"] == "2026-11-21T19:50:02Z")
            var stats = server.stats[key: "a"]
            #expect(stats.inputTokensCharged == 2 * Self.inputTokens)
            #expect(stats.outputTokensCharged == 40)
            #expect(stats.tokensCharged == 2 * (Self.inputTokens + 60))

            _ = try await RawHTTPClient.messages(port: server.port, apiKey: "sk-ant-a", body)  // 80 - 60 = 20 left
            _ = try await RawHTTPClient.messages(port: server.port, apiKey: "sk-ant-a", body)  // 60 - 60 = 0 left
            let limited = try await RawHTTPClient.messages(port: server.port, apiKey: "sk-ant-a", body)  // 40 < 60
            #expect(limited.status == 429)
            #expect(limited[header: "retry-after"] == "10")  // 20 tokens at 2 per second
            #expect(limited[header: "retry-after-ms"] == nil)
            #expect(limited[header: "anthropic-ratelimit-output-tokens-remaining"] == "40")
            #expect(limited[header: "anthropic-ratelimit-output-tokens-reset"] == "2026-11-21T19:50:40Z")
            #expect(limited[header: "request-id"] != nil)
            let json = try limited.json()
            #expect(json["type"] as? String == "error")
            let error = try #require(json["error"] as? [String: Any])
            #expect(error["type"] as? String == "rate_limit_error")
            #expect((error["message"] as? String)?.contains("120 output tokens per minute") == true)

            server.configuration.clock.advance(by: .seconds(10))
            let later = try await RawHTTPClient.messages(port: server.port, apiKey: "sk-ant-a", body)
            #expect(later.status == 200)
            #expect(later[header: "anthropic-ratelimit-output-tokens-remaining"] == "0")
            #expect(later[header: "anthropic-ratelimit-output-tokens-reset"] == "2026-11-21T19:51:10Z")
            stats = server.stats[key: "a"]
            #expect(stats.outputTokensCharged == 5 * 20)
            #expect(stats.rateLimited == 1)
            #expect(stats.tooManyRequests == 1)
        }
    }

    @Test("the input bucket refuses a prompt it cannot hold yet, and one larger than it for good")
    func inputLimit() async throws {
        var configuration = MockServerConfiguration()
        configuration.clock = .manual(unixTimeAtStart: start)
        configuration.defaultLimits = MockRateLimits(inputTokensPerMinute: 15, outputTokensPerMinute: 1000)
        try await MockLLMServer.withRunning(configuration) { server in
            #expect(try await RawHTTPClient.messages(port: server.port, messagesBody()).status == 200)
            let limited = try await RawHTTPClient.messages(port: server.port, messagesBody())
            #expect(limited.status == 429)
            #expect(limited[header: "retry-after"] == "20")  // 5 tokens at 0.25 per second
            #expect(limited[header: "anthropic-ratelimit-input-tokens-remaining"] == "5")
            #expect(limited[header: "anthropic-ratelimit-tokens-remaining"] == "5")
            #expect(limited[header: "anthropic-ratelimit-requests-limit"] == nil)
            #expect(
                ((try limited.json()["error"] as? [String: Any])?["message"] as? String)?.contains("input tokens")
                    == true)

            let tooLarge = try await RawHTTPClient.messages(port: server.port, messagesBody(maxTokens: 5000))
            #expect(tooLarge.status == 429)
            #expect(tooLarge[header: "retry-after"] == nil)
            #expect(tooLarge[header: "x-should-retry"] == "false")
            #expect((try tooLarge.json()["error"] as? [String: Any])?["type"] as? String == "rate_limit_error")
        }
    }

    @Test("OpenAI and Anthropic token limits stay apart; the request bucket is shared by the key")
    func providersStayApart() async throws {
        var configuration = MockServerConfiguration()
        configuration.clock = .manual(unixTimeAtStart: start)
        configuration.defaultLimits = MockRateLimits(
            requestsPerMinute: 10, tokensPerMinute: 1000, inputTokensPerMinute: 600, outputTokensPerMinute: 600)
        try await MockLLMServer.withRunning(configuration) { server in
            let openAI = try await RawHTTPClient.chat(
                port: server.port, bearer: "sk-shared",
                #"{"model":"m","max_tokens":50,"messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(openAI[header: "x-ratelimit-remaining-tokens"] == "942")
            #expect(openAI[header: "x-ratelimit-remaining-requests"] == "9")
            #expect(openAI[header: "anthropic-ratelimit-input-tokens-remaining"] == nil)

            let anthropic = try await RawHTTPClient.messages(port: server.port, apiKey: "sk-shared", messagesBody())
            #expect(anthropic[header: "anthropic-ratelimit-requests-remaining"] == "8")
            #expect(anthropic[header: "anthropic-ratelimit-input-tokens-remaining"] == "590")
            #expect(anthropic[header: "anthropic-ratelimit-output-tokens-remaining"] == "344")
            #expect(anthropic[header: "x-ratelimit-remaining-tokens"] == nil)
        }
    }

    @Test("a streamed reply settles its output reservation when the stream ends")
    func streamSettles() async throws {
        var configuration = MockServerConfiguration(replyTokens: 5)
        configuration.clock = .manual(unixTimeAtStart: start)
        configuration.defaultLimits = MockRateLimits(outputTokensPerMinute: 100)
        try await MockLLMServer.withRunning(configuration) { server in
            let response = try await RawHTTPClient.messages(
                port: server.port, messagesBody(maxTokens: 50, stream: true))
            #expect(response[header: "anthropic-ratelimit-output-tokens-remaining"] == "50")
            let name = MockAPIKey.anonymousName(forSecret: "sk-ant-test")
            let deadline = ContinuousClock.now + .seconds(5)
            while server.stats.inFlight > 0 || server.stats[key: name].outputTokensCharged != 5,
                ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(server.stats[key: name].outputTokensCharged == 5)
            let next = try await RawHTTPClient.messages(port: server.port, messagesBody(maxTokens: 50))
            #expect(next[header: "anthropic-ratelimit-output-tokens-remaining"] == "45")
        }
    }
}

@Suite("Anthropic rate-limit headers")
struct AnthropicRateLimitHeaderTests {
    @Test(
        "timestamps are RFC 3339 in UTC, rounded up to the whole second",
        arguments: [
            (Duration.zero, "1970-01-01T00:00:00Z"),
            (.seconds(1_795_290_612), "2026-11-21T19:50:12Z"),
            (.seconds(1_795_290_611) + .milliseconds(200), "2026-11-21T19:50:12Z"),
            (.seconds(1_709_208_000), "2024-02-29T12:00:00Z"),
            (.seconds(951_868_800), "2000-03-01T00:00:00Z"),
            (.seconds(946_684_799), "1999-12-31T23:59:59Z"),
            (.seconds(4_102_444_800), "2100-01-01T00:00:00Z"),
        ]
    )
    func rfc3339(time: Duration, expected: String) {
        #expect(MockDurationFormat.rfc3339(unixTime: time) == expected)
    }

    @Test("a manual clock tells the wall-clock time it was given, moved by advance(by:)")
    func manualClockWallTime() {
        let clock = MockServerClock.manual(startingAt: .seconds(5), unixTimeAtStart: start)
        #expect(clock.unixTime() == start)
        clock.advance(by: .milliseconds(1500))
        #expect(clock.now() == .milliseconds(6500))
        #expect(clock.unixTime() == start + .milliseconds(1500))
        #expect(MockDurationFormat.rfc3339(unixTime: clock.unixTime()) == "2026-11-21T19:50:02Z")
    }

    @Test("the continuous clock's wall-clock time is the real time")
    func continuousClockWallTime() {
        let difference = MockServerClock.continuous.unixTime() - .seconds(Int64(Date().timeIntervalSince1970))
        #expect(difference < .seconds(2) && difference > .seconds(-2))
    }

    @Test("tokens-* reports the token dimension with fewer tokens remaining, input on a tie")
    func mostRestrictive() {
        let input = RateLimitStatus.Dimension(limit: 30_000, remaining: 100, reset: .seconds(59))
        let output = RateLimitStatus.Dimension(limit: 8000, remaining: 7000, reset: .seconds(8))
        let tie = RateLimitStatus.Dimension(limit: 8000, remaining: 100, reset: .seconds(1))
        #expect(
            RateLimitStatus(requests: nil, tokens: nil, inputTokens: input, outputTokens: output).mostRestrictiveTokens
                == input)
        #expect(
            RateLimitStatus(requests: nil, tokens: nil, inputTokens: output, outputTokens: input).mostRestrictiveTokens
                == input)
        #expect(
            RateLimitStatus(requests: nil, tokens: nil, inputTokens: input, outputTokens: tie).mostRestrictiveTokens
                == input)
        #expect(
            RateLimitStatus(requests: nil, tokens: nil, inputTokens: nil, outputTokens: output).mostRestrictiveTokens
                == output)
        #expect(RateLimitStatus(requests: nil, tokens: input).mostRestrictiveTokens == nil)
    }

    @Test("the limiter charges input and output separately and reconciles the output reservation")
    func limiterReconciles() {
        var limiter = RateLimiter()
        let limits = MockRateLimits(inputTokensPerMinute: 600, outputTokensPerMinute: 120)
        let cost = RateLimitCost(inputTokens: 100, outputTokens: 100)
        guard case .admitted(let status) = limiter.admit(key: "a", limits: limits, cost: cost, now: .zero) else {
            Issue.record("expected admission")
            return
        }
        #expect(status.inputTokens?.remaining == 500)
        #expect(status.outputTokens?.remaining == 20)
        #expect(status.tokens == nil)
        guard case .rejected(let rejection) = limiter.admit(key: "a", limits: limits, cost: cost, now: .zero) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.dimension == .outputTokens)
        #expect(rejection.retryAfter == .seconds(40))
        limiter.refundOutputTokens(key: "a", 80, now: .zero)  // 20 of 100 were used
        guard case .admitted(let after) = limiter.admit(key: "a", limits: limits, cost: cost, now: .zero) else {
            Issue.record("expected admission after the refund")
            return
        }
        #expect(after.outputTokens?.remaining == 0)
        #expect(after.inputTokens?.remaining == 400)
    }
}
