import Testing

@testable import SluiceMockServer

@Suite("Rate limiter")
struct RateLimiterTests {
    @Test("admits up to the request bucket's capacity, then rejects with the time until one request refills")
    func requestBucket() {
        var limiter = RateLimiter()
        let limits = MockRateLimits(requestsPerMinute: 60)
        for _ in 0..<60 {
            guard case .admitted = limiter.admit(key: "a", limits: limits, cost: 0, now: .zero) else {
                Issue.record("expected admission")
                return
            }
        }
        guard case .rejected(let rejection) = limiter.admit(key: "a", limits: limits, cost: 0, now: .zero) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.dimension == .requests)
        #expect(rejection.retryAfter == .seconds(1))
        #expect(rejection.status.requests?.remaining == 0)
        #expect(rejection.status.requests?.reset == .seconds(60))
        #expect(rejection.status.tokens == nil)
    }

    @Test("refills continuously: waiting the announced retry delay is enough")
    func refill() {
        var limiter = RateLimiter()
        let limits = MockRateLimits(requestsPerMinute: 7)
        for _ in 0..<7 { _ = limiter.admit(key: "a", limits: limits, cost: 0, now: .zero) }
        guard case .rejected(let rejection) = limiter.admit(key: "a", limits: limits, cost: 0, now: .seconds(1)),
            let retryAfter = rejection.retryAfter
        else {
            Issue.record("expected a rejection")
            return
        }
        guard case .admitted = limiter.admit(key: "a", limits: limits, cost: 0, now: .seconds(1) + retryAfter) else {
            Issue.record("expected admission after the retry delay")
            return
        }
    }

    @Test("charges tokens at admission and rejects when the token bucket is short")
    func tokenBucket() {
        var limiter = RateLimiter()
        let limits = MockRateLimits(tokensPerMinute: 600)
        guard case .admitted(let status) = limiter.admit(key: "a", limits: limits, cost: 500, now: .zero) else {
            Issue.record("expected admission")
            return
        }
        #expect(status.tokens == RateLimitStatus.Dimension(limit: 600, remaining: 100, reset: .seconds(50)))
        #expect(status.requests == nil)
        guard case .rejected(let rejection) = limiter.admit(key: "a", limits: limits, cost: 200, now: .zero) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.dimension == .tokens)
        #expect(rejection.retryAfter == .seconds(10))
        #expect(rejection.requested == 200)
    }

    @Test("a request larger than the token bucket can never be admitted")
    func tooLarge() {
        var limiter = RateLimiter()
        let limits = MockRateLimits(tokensPerMinute: 1000, tokenBurst: 100)
        guard case .rejected(let rejection) = limiter.admit(key: "a", limits: limits, cost: 101, now: .zero) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.isTooLarge)
        #expect(rejection.retryAfter == nil)
    }

    @Test("keys have separate buckets")
    func separateKeys() {
        var limiter = RateLimiter()
        let limits = MockRateLimits(requestsPerMinute: 1)
        _ = limiter.admit(key: "a", limits: limits, cost: 0, now: .zero)
        guard case .admitted = limiter.admit(key: "b", limits: limits, cost: 0, now: .zero) else {
            Issue.record("key b should have its own bucket")
            return
        }
    }

    @Test("burst capacity differs from the per-minute limit")
    func burst() {
        var limiter = RateLimiter()
        let limits = MockRateLimits(requestsPerMinute: 600, requestBurst: 2)
        _ = limiter.admit(key: "a", limits: limits, cost: 0, now: .zero)
        _ = limiter.admit(key: "a", limits: limits, cost: 0, now: .zero)
        guard case .rejected(let rejection) = limiter.admit(key: "a", limits: limits, cost: 0, now: .zero) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.retryAfter == .milliseconds(100))
        #expect(rejection.status.requests?.limit == 600)
    }
}

@Suite("Header formats")
struct HeaderFormatTests {
    @Test(
        "reset durations are written like OpenAI's (Go duration strings, millisecond precision)",
        arguments: [
            (Duration.zero, "0s"),
            (.milliseconds(20), "20ms"),
            (.microseconds(1500), "2ms"),
            (.seconds(1), "1s"),
            (.milliseconds(2500), "2.5s"),
            (.milliseconds(17_057), "17.057s"),
            (.seconds(90), "1m30s"),
            (.seconds(360), "6m0s"),
            (.seconds(3600), "1h0m0s"),
        ]
    )
    func resetFormat(duration: Duration, expected: String) {
        #expect(MockDurationFormat.rateLimitReset(duration) == expected)
    }

    @Test("retry-after rounds up to whole seconds, retry-after-ms to whole milliseconds")
    func retryAfter() {
        #expect(MockDurationFormat.retryAfterSeconds(.milliseconds(1200)) == "2")
        #expect(MockDurationFormat.retryAfterSeconds(.seconds(3)) == "3")
        #expect(MockDurationFormat.retryAfterMilliseconds(.microseconds(1200)) == "2")
        #expect(MockDurationFormat.retryAfterMilliseconds(.seconds(30)) == "30000")
    }
}
