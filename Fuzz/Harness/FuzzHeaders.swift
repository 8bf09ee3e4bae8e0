// Target `headers`: the retry and rate-limit header readers. The input is a header block, one
// `name: value` per line (a line without a colon is a value for a header name picked from the
// ones these readers look for). Every value also goes straight to the Go-duration, HTTP-date and
// RFC 3339 parsers.

@testable import Sluice

enum FuzzHeaders {
    static let names = [
        "retry-after", "retry-after-ms", "x-should-retry", "date",
        "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens",
        "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens",
        "anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-tokens-remaining",
        "anthropic-ratelimit-input-tokens-remaining", "anthropic-ratelimit-output-tokens-remaining",
        "anthropic-ratelimit-requests-reset", "anthropic-ratelimit-tokens-reset",
        "anthropic-ratelimit-input-tokens-reset", "anthropic-ratelimit-output-tokens-reset",
    ]

    static func headers(_ bytes: [UInt8]) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for (number, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: true).enumerated() {
            var line = line
            if line.last == 0x0D { line = line.dropLast() }
            if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                var value = line[(colon + 1)...]
                if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
                pairs.append((String(decoding: line[..<colon], as: UTF8.self), String(decoding: value, as: UTF8.self)))
            } else {
                pairs.append((names[number % names.count], String(decoding: line, as: UTF8.self)))
            }
        }
        return pairs
    }

    static func run(_ bytes: [UInt8]) {
        let pairs = headers(bytes)
        if FuzzSettings.isExcluded("huge-numbers"), pairs.contains(where: { fuzzHasHugeHeaderNumber($0.1) }) { return }
        let headers = HTTPHeaders(pairs)
        let wallNow: () -> Duration = { .seconds(1_714_564_800) }  // 2024-05-01T12:00:00Z

        for status in [429, 503, 200] {
            if let (delay, _) = ServerHeaders.serverDelay(status: status, headers: headers, wallNow: wallNow) {
                fuzzCheck(delay > .zero, "serverDelay returned \(delay)")
                useDelay(delay)
            }
        }
        if let reset = ServerHeaders.rateLimitReset(headers, wallNow: wallNow) { useDelay(reset) }
        _ = ServerHeaders.shouldRetry(headers)

        if let observation = RateLimitObservation(headers: headers) {
            for dimension in [RateLimitDimension.requests, .tokens, .inputTokens, .outputTokens] {
                if let remaining = observation.remaining[dimension] {
                    fuzzCheck(remaining >= 0, "a negative remaining count \(remaining)")
                }
            }
            if let retryAfter = observation.retryAfter {
                fuzzCheck(retryAfter >= .zero, "a negative retryAfter \(retryAfter)")
                useDelay(retryAfter)
                _ = ContinuousClock.now + retryAfter  // RateLimitMiddleware's cooldown: unclamped
            }
        }
        if let snapshot = RateLimitSnapshot(headers: headers) { _ = String(describing: snapshot) }

        for (_, value) in pairs {
            let trimmed = Substring(value)
            if let duration = ServerHeaders.goDuration(trimmed) { useDelay(duration) }
            if let instant = ServerHeaders.httpDate(trimmed) { useDelay(instant - wallNow()) }
            if let instant = ServerHeaders.rfc3339(trimmed) { useDelay(instant - wallNow()) }
        }
    }

    /// What the retry and rate-limit middleware do with a delay: clamp, add jitter, sleep until.
    static func useDelay(_ delay: Duration) {
        let capped = min(delay, .seconds(60))
        if delay <= .seconds(3_600) { _ = ContinuousClock.now + delay }  // RetryMiddleware, under maxServerDelay
        _ = capped * 2
        _ = delay.components
        _ = String(describing: delay)
    }
}
