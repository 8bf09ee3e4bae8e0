/// Reading numbers a server sent, without ever trapping.
///
/// Every count, duration and date that arrives in a header or a body is hostile: it may be huge,
/// negative, fractional, `nan`, written with an exponent, or not a number at all. These readers
/// parse such text *saturating* and clamp the result to a documented cap, so the arithmetic done
/// with it afterwards (sums, products, `Duration` conversions) cannot overflow:
///
/// | value                      | cap                                         |
/// |----------------------------|---------------------------------------------|
/// | a count (tokens, requests) | ``maxCount`` (10¹²), never below 0          |
/// | a duration                 | ``maxDuration`` (10⁹ s, about 31 years)     |
/// | a calendar year            | 0 … 9999 (later instants read as year 9999) |
///
/// Callers cap durations again with their own, much smaller policy limits (a retry delay, a
/// cooldown): these caps only guarantee that nothing traps on the way there.
enum WireNumber {
    /// The largest count read from the wire: 10¹² (a million times any real context window). A sum of
    /// nine million such counts still fits in an `Int`.
    static let maxCount = 1_000_000_000_000

    /// The longest duration read from the wire: 10⁹ seconds.
    static let maxDuration: Duration = .seconds(1_000_000_000)

    /// `value` clamped to `0...maxCount`.
    @inline(__always)
    static func clampCount(_ value: Int) -> Int {
        min(max(value, 0), maxCount)
    }

    /// A finite `Double` clamped to `0...maxCount` and rounded down; `nil` for NaN or infinity.
    static func count(_ value: Double) -> Int? {
        guard !value.isNaN else { return nil }
        if value <= 0 { return 0 }
        if value >= Double(maxCount) { return maxCount }
        return Int(value.rounded(.down))
    }

    /// A count written as text: an integer of any length (saturating), or a decimal number
    /// (`12.7`, `1e3`, rounded down), clamped to `0...maxCount`. Spaces and tabs around it are
    /// ignored. `nil` for anything else (empty, `nan`, `inf`, words).
    static func count<Text: StringProtocol>(_ text: Text) -> Int? {
        let trimmed = trimmed(text)
        if let integer = saturatingInteger(trimmed) { return clampCount(integer) }
        guard let value = finiteDouble(trimmed) else { return nil }
        return count(value)
    }

    /// An integer written as ASCII digits with an optional sign, saturating at `Int.max` / `Int.min`
    /// instead of failing; `nil` when the text is not such an integer.
    static func saturatingInteger<Text: StringProtocol>(_ text: Text) -> Int? {
        var utf8 = Substring(text).utf8[...]
        var negative = false
        if let first = utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
        }
        guard !utf8.isEmpty else { return nil }
        var value = 0
        var saturated = false
        for byte in utf8 {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            if saturated { continue }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.addingReportingOverflow(Int(digit))
            if overflow1 || overflow2 { saturated = true } else { value = next }
        }
        if saturated { return negative ? Int.min : Int.max }
        return negative ? -value : value
    }

    /// A finite number written in decimal (`1.5`, `-2`, `1e300`); `nil` for NaN, infinity, hex
    /// floats and anything that is not a number. (`Double("nan")` and `Double("0x1p3")` parse, so
    /// the text is checked to hold only digits, a sign, a point and an exponent first.)
    static func finiteDouble<Text: StringProtocol>(_ text: Text) -> Double? {
        guard !text.isEmpty,
            text.utf8.allSatisfy({
                ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".")
                    || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") || $0 | 0x20 == UInt8(ascii: "e")
            }),
            let value = Double(String(text)), value.isFinite
        else { return nil }
        return value
    }

    /// A duration of `seconds`, clamped to `0...maxDuration`; `nil` for NaN. Never traps, unlike
    /// `Duration.seconds(_: Double)` with a huge value.
    static func duration(seconds: Double) -> Duration? {
        guard !seconds.isNaN else { return nil }
        if seconds <= 0 { return .zero }
        if seconds >= 1_000_000_000 { return maxDuration }
        // Whole nanoseconds, rounded up: at most 10^18, well inside Int64.
        return .nanoseconds(Int64((seconds * 1e9).rounded(.up)))
    }

    /// `duration` clamped to `-maxDuration...maxDuration`.
    static func clamp(_ duration: Duration) -> Duration {
        min(max(duration, .zero - maxDuration), maxDuration)
    }

    /// `text` without the spaces and tabs around it.
    static func trimmed<Text: StringProtocol>(_ text: Text) -> Substring {
        // Bytes, not characters: a space or tab is one ASCII byte, and stepping by bytes skips the
        // grapheme-breaking work that `first` / `removeFirst` do on a substring.
        let value = Substring(text)
        let bytes = value.utf8
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, isBlank(bytes[start]) { bytes.formIndex(after: &start) }
        while start < end, isBlank(bytes[bytes.index(before: end)]) { bytes.formIndex(before: &end) }
        return value[start..<end]
    }
}

extension FixedWidthInteger {
    /// `self + other`, held at `max` or `min` instead of trapping.
    @inline(__always)
    package func saturatingAdding(_ other: Self) -> Self {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// `self - other`, held at `max` or `min` instead of trapping.
    @inline(__always)
    package func saturatingSubtracting(_ other: Self) -> Self {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other > 0 ? .min : .max
    }

    /// `self × other`, held at `max` or `min` instead of trapping.
    @inline(__always)
    func saturatingMultiplied(by other: Self) -> Self {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) == (other < 0) ? .max : .min
    }
}
