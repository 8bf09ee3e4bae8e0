/// The one reader of the times and hints providers put in their answers' headers: `retry-after-ms`,
/// `retry-after` (seconds or an HTTP date), `x-should-retry`, and the rate-limit reset headers of
/// OpenAI (Go durations such as `6m0s`) and Anthropic (RFC 3339 instants). The retry layer and the
/// rate limiter (``RateLimitObservation``) both read them here, so they never disagree on what a
/// header says. Every value is hostile: parsed saturating, clamped (``WireNumber``). Pure
/// functions, without Foundation.
enum ServerHeaders {
    /// Where a retry delay came from.
    enum Source: Sendable, Hashable {
        case retryAfterMilliseconds
        case retryAfter
        case rateLimitReset
        case backoff
    }

    /// `x-should-retry`: `true` or `false`, or `nil` when absent or anything else.
    static func shouldRetry(_ headers: HTTPHeaders) -> Bool? {
        guard let value = headers["x-should-retry"] else { return nil }
        switch trimmed(value).lowercased() {
        case "true": return true
        case "false": return false
        default: return nil
        }
    }

    /// The delay the server asked for, in precedence order: `retry-after-ms`, `retry-after`, then (for
    /// a 429) the reset of the exhausted rate limit. Values of zero or less are ignored.
    ///
    /// - Parameter wallNow: the wall-clock time (since the Unix epoch), used for absolute instants when
    ///   the answer has no `date` header.
    static func serverDelay(status: Int, headers: HTTPHeaders, wallNow: () -> Duration) -> (Duration, Source)? {
        if let retryAfter = retryAfter(headers, wallNow: wallNow) { return retryAfter }
        if status == 429, let reset = rateLimitReset(headers, wallNow: wallNow), reset > .zero {
            return (reset, .rateLimitReset)
        }
        return nil
    }

    /// The delay `retry-after-ms` asks for, else `retry-after` (seconds, or an HTTP date measured
    /// from the answer's `date` header or `wallNow`); `nil` when neither gives a positive delay.
    static func retryAfter(_ headers: HTTPHeaders, wallNow: () -> Duration) -> (Duration, Source)? {
        if let text = headers["retry-after-ms"], let ms = WireNumber.finiteDouble(trimmed(text)), ms > 0,
            let delay = WireNumber.duration(seconds: ms / 1000)
        {
            return (delay, .retryAfterMilliseconds)
        }
        if let text = headers["retry-after"] {
            let value = trimmed(text)
            if let seconds = WireNumber.finiteDouble(value) {
                if seconds > 0, let delay = WireNumber.duration(seconds: seconds) { return (delay, .retryAfter) }
            } else if let instant = httpDate(value) {
                let delay = WireNumber.clamp(instant - reference(headers, wallNow))
                if delay > .zero { return (delay, .retryAfter) }
            }
        }
        return nil
    }

    /// The wait until the exhausted rate limit resets: the latest reset among limits whose remaining
    /// count is 0, or the latest reset given when none says it is exhausted.
    static func rateLimitReset(_ headers: HTTPHeaders, wallNow: () -> Duration) -> Duration? {
        var exhausted: Duration?
        var any: Duration?
        func note(_ reset: Duration?, remaining: String) {
            guard let reset else { return }
            any = max(any ?? reset, reset)
            if let text = headers[remaining], WireNumber.count(text) == 0 { exhausted = max(exhausted ?? reset, reset) }
        }
        for names in openAIResetHeaders {
            note(headers[names.reset].flatMap { goDuration(trimmed($0)) }, remaining: names.remaining)
        }
        // The server's clock, read only when an Anthropic reset instant needs it.
        var reference: Duration?
        for names in anthropicResetHeaders {
            guard let instant = headers[names.reset].flatMap({ rfc3339(trimmed($0)) }) else { continue }
            let now = reference ?? Self.reference(headers, wallNow)
            reference = now
            note(WireNumber.clamp(instant - now), remaining: names.remaining)
        }
        return exhausted ?? any
    }

    /// The reset header of each OpenAI dimension (a Go duration) and its remaining count.
    private static let openAIResetHeaders: [(reset: String, remaining: String)] = [
        ("x-ratelimit-reset-requests", "x-ratelimit-remaining-requests"),
        ("x-ratelimit-reset-tokens", "x-ratelimit-remaining-tokens"),
    ]
    /// The reset header of each Anthropic dimension (an RFC 3339 instant) and its remaining count.
    private static let anthropicResetHeaders: [(reset: String, remaining: String)] = [
        ("anthropic-ratelimit-requests-reset", "anthropic-ratelimit-requests-remaining"),
        ("anthropic-ratelimit-tokens-reset", "anthropic-ratelimit-tokens-remaining"),
        ("anthropic-ratelimit-input-tokens-reset", "anthropic-ratelimit-input-tokens-remaining"),
        ("anthropic-ratelimit-output-tokens-reset", "anthropic-ratelimit-output-tokens-remaining"),
    ]

    /// Now, as the server saw it (its `date` header), else the local wall clock.
    private static func reference(_ headers: HTTPHeaders, _ wallNow: () -> Duration) -> Duration {
        headers["date"].flatMap { httpDate(trimmed($0)) } ?? wallNow()
    }

    private static func trimmed(_ text: String) -> Substring { WireNumber.trimmed(text) }

    // MARK: Go durations

    /// A Go `time.Duration` string: `1s`, `6m0s`, `20ms`, `1m30s`, `2.5s`, `1h2m`, `350us`. Saturates
    /// at ``WireNumber/maxDuration`` (`99999999999999999999ns` is not an error, just long); `nil` for
    /// a negative duration or anything that is not one.
    static func goDuration(_ text: Substring) -> Duration? {
        let bytes = text.utf8
        guard !bytes.isEmpty else { return nil }
        if text == "0" { return .zero }
        func isNumeric(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: ".") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        // Walks the bytes and slices the text where ASCII digits start and stop (always a scalar
        // boundary), so a header costs no allocation.
        var seconds = 0.0
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let numberStart = index
            while index < bytes.endIndex, isNumeric(bytes[index]) { bytes.formIndex(after: &index) }
            let unitStart = index
            while index < bytes.endIndex, !isNumeric(bytes[index]) { bytes.formIndex(after: &index) }
            guard let value = WireNumber.finiteDouble(text[numberStart..<unitStart]), value >= 0,
                let scale = goUnitSeconds(text[unitStart..<index])
            else { return nil }
            // Doubles do not trap: a huge sum becomes large or infinite and is clamped below.
            seconds += value * scale
        }
        return WireNumber.duration(seconds: seconds)
    }

    /// The length of one unit of a Go duration, in seconds.
    private static func goUnitSeconds(_ unit: Substring) -> Double? {
        switch unit {
        case "h": 3600
        case "m": 60
        case "s": 1
        case "ms": 1e-3
        case "us", "µs", "μs": 1e-6
        case "ns": 1e-9
        default: nil
        }
    }

    // MARK: Calendar

    /// Seconds since the Unix epoch of a proleptic Gregorian date (H. Hinnant's days-from-civil). The
    /// year is clamped to 0…9999 and the other fields to their ranges, so no input overflows.
    static func epochSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int {
        let year = min(max(year, 0), 9999)
        let month = min(max(month, 1), 12)
        let day = min(max(day, 1), 31)
        let hour = min(max(hour, 0), 23)
        let minute = min(max(minute, 0), 59)
        let second = min(max(second, 0), 60)
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return ((days * 24 + hour) * 60 + minute) * 60 + second
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// An HTTP date (RFC 9110: IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, and the obsolete RFC 850
    /// and asctime forms) as time since the Unix epoch.
    static func httpDate(_ text: Substring) -> Duration? {
        let tokens = text.split { $0 == " " || $0 == "," || $0 == "-" }
        var day: Int?
        var month: Int?
        var year: Int?
        var time: [Int]?
        for token in tokens {
            if token.contains(":") {
                let parts = token.split(separator: ":").compactMap { WireNumber.saturatingInteger($0) }
                guard parts.count == 3 else { return nil }
                time = parts
            } else if let number = WireNumber.saturatingInteger(token), number >= 0 {
                if token.count <= 2, day == nil {
                    day = number
                } else if token.count == 2 {
                    year = number < 70 ? 2000 + number : 1900 + number
                } else {
                    year = number
                }
            } else if let index = months.firstIndex(of: token.prefix(3).lowercased()), token.count == 3 {
                month = index + 1
            }
        }
        guard let day, let month, let year, let time, (1...31).contains(day), (0...23).contains(time[0]),
            (0...59).contains(time[1]), (0...60).contains(time[2])
        else { return nil }
        return .seconds(
            epochSeconds(year: year, month: month, day: day, hour: time[0], minute: time[1], second: time[2]))
    }

    /// An RFC 3339 instant (`2024-05-01T12:00:30Z`, `2024-05-01T12:00:30.25+02:00`) as time since the
    /// Unix epoch.
    static func rfc3339(_ text: Substring) -> Duration? {
        let bytes = Array(text.utf8)
        var index = 0
        func digits(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            index += count
            return value
        }
        func expect(_ allowed: [UInt8]) -> Bool {
            guard index < bytes.count, allowed.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = digits(4), expect([UInt8(ascii: "-")]), let month = digits(2), expect([UInt8(ascii: "-")]),
            let day = digits(2), expect([UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")]),
            let hour = digits(2), expect([UInt8(ascii: ":")]), let minute = digits(2), expect([UInt8(ascii: ":")]),
            let second = digits(2), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second <= 60
        else { return nil }
        var fraction: Duration = .zero
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            var value = 0.0
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                value += Double(bytes[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
            fraction = .seconds(value)
        }
        var offset = 0
        if expect([UInt8(ascii: "Z"), UInt8(ascii: "z")]) {
            offset = 0
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let hours = digits(2), expect([UInt8(ascii: ":")]), let minutes = digits(2) else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let seconds = epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return .seconds(seconds - offset) + fraction
    }
}
