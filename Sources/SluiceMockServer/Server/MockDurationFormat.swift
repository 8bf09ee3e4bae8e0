/// How the mock server writes durations in headers.
///
/// - `x-ratelimit-reset-*`: OpenAI's format, which is Go's `time.Duration` string at millisecond
///   precision: rounded up to whole milliseconds, `"0s"` for zero, `"<n>ms"` below one second,
///   otherwise hours, minutes and seconds with up to three decimals and trailing zeros dropped:
///   `"20ms"`, `"1s"`, `"2.5s"`, `"1m30s"`, `"6m0s"`, `"1h0m0s"`.
/// - `retry-after`: whole seconds, rounded up.
/// - `retry-after-ms`: whole milliseconds, rounded up.
/// - `anthropic-ratelimit-*-reset`: the instant the bucket is full again, as an RFC 3339 UTC
///   timestamp rounded up to the whole second, such as `"2026-11-21T19:50:12Z"` (``rfc3339(unixTime:)``).
enum MockDurationFormat {
    static func rateLimitReset(_ duration: Duration) -> String {
        let totalMilliseconds = max(0, duration.millisecondsRoundedUp)
        if totalMilliseconds == 0 { return "0s" }
        if totalMilliseconds < 1000 { return "\(totalMilliseconds)ms" }
        let hours = totalMilliseconds / 3_600_000
        let minutes = (totalMilliseconds / 60_000) % 60
        let seconds = (totalMilliseconds / 1000) % 60
        let milliseconds = totalMilliseconds % 1000
        var text = ""
        if hours > 0 { text += "\(hours)h" }
        if hours > 0 || minutes > 0 { text += "\(minutes)m" }
        text += "\(seconds)"
        if milliseconds > 0 {
            var fraction = String(milliseconds)
            fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "s"
    }

    static func retryAfterSeconds(_ duration: Duration) -> String {
        let ms = max(0, duration.millisecondsRoundedUp)
        return String((ms + 999) / 1000)
    }

    static func retryAfterMilliseconds(_ duration: Duration) -> String {
        String(max(0, duration.millisecondsRoundedUp))
    }

    /// `unixTime` (time since 1970-01-01T00:00:00Z) as `YYYY-MM-DDTHH:MM:SSZ`, rounded up to the
    /// whole second. Integer arithmetic only (Howard Hinnant's days-to-civil algorithm), no
    /// date formatter.
    static func rfc3339(unixTime: Duration) -> String {
        let (wholeSeconds, attoseconds) = unixTime.components
        let seconds = wholeSeconds + (attoseconds > 0 ? 1 : 0)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400

        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        func append(_ value: Int64, digits: Int) {
            var divisor: Int64 = 1
            for _ in 1..<digits { divisor *= 10 }
            var rest = max(0, value)
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: (rest / divisor) % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        append(year, digits: 4)
        bytes.append(UInt8(ascii: "-"))
        append(month, digits: 2)
        bytes.append(UInt8(ascii: "-"))
        append(day, digits: 2)
        bytes.append(UInt8(ascii: "T"))
        append(secondOfDay / 3600, digits: 2)
        bytes.append(UInt8(ascii: ":"))
        append((secondOfDay / 60) % 60, digits: 2)
        bytes.append(UInt8(ascii: ":"))
        append(secondOfDay % 60, digits: 2)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
