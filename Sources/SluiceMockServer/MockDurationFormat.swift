/// How the mock server writes durations in headers.
///
/// - `x-ratelimit-reset-*`: OpenAI's format, which is Go's `time.Duration` string at millisecond
///   precision: rounded up to whole milliseconds, `"0s"` for zero, `"<n>ms"` below one second,
///   otherwise hours, minutes and seconds with up to three decimals and trailing zeros dropped:
///   `"20ms"`, `"1s"`, `"2.5s"`, `"1m30s"`, `"6m0s"`, `"1h0m0s"`.
/// - `retry-after`: whole seconds, rounded up.
/// - `retry-after-ms`: whole milliseconds, rounded up.
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
}
