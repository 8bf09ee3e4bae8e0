/// The one place Sluice removes credentials from text: provider error messages and body excerpts,
/// log metadata, and the descriptions and mirrors of errors, requests and configurations.
///
/// ``redact(_:secrets:)`` replaces, in free text:
/// - a known secret (the configured API keys) wherever it appears, by `<redacted>`;
/// - a token with a vendor's key prefix and enough key characters after it, keeping the prefix:
///   `sk-…` (OpenAI, and `sk-proj-…`, `sk-svcacct-…`, `sk-admin-…`, Anthropic's `sk-ant-…`, OpenRouter's
///   `sk-or-…`), `gsk_…` (Groq), `xai-…` (xAI), `AIza…` (Google), `hf_…` (Hugging Face), `pplx-…`
///   (Perplexity), `r8_…` (Replicate), `nvapi-…` (NVIDIA) — `sk-proj-AbC…` becomes `sk-proj-<redacted>`;
/// - the credential after an HTTP auth scheme: `Bearer …` and `Basic …` become `Bearer <redacted>`;
/// - the value after a key-like name and `:` or `=` (`x-api-key: …`, `"api_key": "…"`, `apikey=…`,
///   `Authorization: …`), as a proxy or server may echo a request's headers or query.
///
/// A token must start at a word boundary (`task-list` or `ask-me` are not keys) and have at least 8
/// key characters (letters, digits, `-`, `_`, and `*`, which OpenAI uses to mask the middle of a key it
/// echoes) after its prefix, so ordinary words such as `sk-learn` are kept.
///
/// - Important: Pure and cheap for short texts; safe from any task.
enum SecretRedaction {
    /// What a secret is replaced with.
    static let placeholder = "<redacted>"

    /// The shortest known secret replaced by exact match; shorter ones would mangle ordinary text.
    static let minimumSecretLength = 8

    /// `text` with every credential it holds replaced (see the type's documentation).
    ///
    /// - Parameters:
    ///   - text: free text from the wire, a log line or a description.
    ///   - secrets: values known to be secret (a client's configured keys), replaced wherever they
    ///     appear; values shorter than ``minimumSecretLength`` are ignored.
    static func redact(_ text: String, secrets: [String] = []) -> String {
        var bytes = Array(text.utf8)
        var changed = false
        for secret in secrets.sorted(by: { $0.utf8.count > $1.utf8.count })
        where secret.utf8.count >= minimumSecretLength {
            changed = replaceOccurrences(of: Array(secret.utf8), in: &bytes) || changed
        }
        if let shapes = redactingShapes(bytes) {
            bytes = shapes
            changed = true
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
    }

    /// `url` as it may be shown: user information (`https://user:password@host`) and the values of
    /// credential query parameters (`key`, `api_key`, `api-key`, `apikey`, `access_token`, `token`)
    /// replaced, then key shapes redacted as in ``redact(_:secrets:)``.
    static func redactingURL(_ url: String) -> String {
        var text = url
        if let scheme = text.firstRange(of: "://") {
            let authorityEnd =
                text[scheme.upperBound...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? text.endIndex
            if let at = text[scheme.upperBound..<authorityEnd].lastIndex(of: "@") {
                text.replaceSubrange(scheme.upperBound..<at, with: placeholder)
            }
        }
        if let question = text.firstIndex(of: "?") {
            let fragment = text[question...].firstIndex(of: "#") ?? text.endIndex
            let query = text[text.index(after: question)..<fragment].split(
                separator: "&", omittingEmptySubsequences: false)
            let shown = query.map { parameter -> String in
                guard let equals = parameter.firstIndex(of: "="),
                    credentialParameters.contains(parameter[..<equals].lowercased())
                else { return String(parameter) }
                return parameter[...equals] + placeholder
            }
            text.replaceSubrange(text.index(after: question)..<fragment, with: shown.joined(separator: "&"))
        }
        return redact(text)
    }

    /// Query parameters whose value is a credential.
    private static let credentialParameters: Set<String> = [
        "key", "api_key", "api-key", "apikey", "access_token", "token",
    ]

    // MARK: Shapes

    /// A vendor key prefix and how many key characters must follow it.
    private struct KeyPrefix {
        let text: [UInt8]
        let minimumRest: Int

        init(_ text: String, minimumRest: Int = 8) {
            self.text = Array(text.utf8)
            self.minimumRest = minimumRest
        }
    }

    /// Longest first, so `sk-ant-…` keeps `sk-ant-` rather than `sk-`.
    private static let keyPrefixes: [KeyPrefix] = [
        KeyPrefix("sk-svcacct-"), KeyPrefix("sk-admin-"), KeyPrefix("sk-proj-"), KeyPrefix("sk-ant-"),
        KeyPrefix("sk-or-"), KeyPrefix("nvapi-", minimumRest: 16), KeyPrefix("pplx-", minimumRest: 16),
        KeyPrefix("gsk_"), KeyPrefix("xai-", minimumRest: 16), KeyPrefix("AIza", minimumRest: 24),
        KeyPrefix("hf_", minimumRest: 16), KeyPrefix("r8_", minimumRest: 16), KeyPrefix("sk-"),
    ]

    /// HTTP auth schemes whose credential follows them (ASCII case-insensitive, then a space).
    private static let authSchemes: [[UInt8]] = [Array("bearer ".utf8), Array("basic ".utf8)]

    /// Names whose value is a credential (ASCII case-insensitive; `x-api-key`, `x-goog-api-key` and
    /// `openai_api_key` contain one of them).
    private static let credentialNames: [[UInt8]] = [
        Array("api-key".utf8), Array("api_key".utf8), Array("apikey".utf8), Array("authorization".utf8),
        Array("access_token".utf8),
    ]

    /// The bytes with every key shape replaced, or `nil` when there was none.
    private static func redactingShapes(_ bytes: [UInt8]) -> [UInt8]? {
        var output: [UInt8] = []
        var index = 0
        var changed = false
        let placeholder = Array(Self.placeholder.utf8)
        // Copies everything before `index` on the first change, so unchanged text costs no copy.
        func replace(keeping kept: Range<Int>, upTo end: Int) {
            if !changed {
                output = Array(bytes[..<index])
                changed = true
            }
            output.append(contentsOf: bytes[kept])
            output.append(contentsOf: placeholder)
            index = end
        }
        while index < bytes.count {
            let atBoundary = index == 0 || !isKeyByte(bytes[index - 1])
            if atBoundary, let end = keyEnd(in: bytes, at: index) {
                replace(keeping: index..<end.prefixEnd, upTo: end.tokenEnd)
                continue
            }
            if atBoundary, let scheme = authSchemes.first(where: { matchesIgnoringCase(bytes, at: index, $0) }) {
                let start = index + scheme.count
                let end = credentialEnd(in: bytes, from: start)
                if end > start {
                    replace(keeping: index..<start, upTo: end)
                    continue
                }
            }
            if let name = credentialNames.first(where: { matchesIgnoringCase(bytes, at: index, $0) }),
                let start = valueStart(in: bytes, after: index + name.count)
            {
                // A value that is itself a key shape or `Bearer …` is left to those rules, and one already
                // redacted is left as it is.
                let isShaped =
                    keyEnd(in: bytes, at: start) != nil || matches(bytes, at: start, placeholder)
                    || authSchemes.contains { matchesIgnoringCase(bytes, at: start, $0) }
                let end = credentialEnd(in: bytes, from: start)
                if !isShaped, end > start {
                    replace(keeping: index..<start, upTo: end)
                    continue
                }
            }
            if changed { output.append(bytes[index]) }
            index += 1
        }
        return changed ? output : nil
    }

    /// Where a vendor key starting at `index` ends (its prefix and the whole token), or `nil`.
    private static func keyEnd(in bytes: [UInt8], at index: Int) -> (prefixEnd: Int, tokenEnd: Int)? {
        for prefix in keyPrefixes where matches(bytes, at: index, prefix.text) {
            let prefixEnd = index + prefix.text.count
            var end = prefixEnd
            while end < bytes.count, isKeyByte(bytes[end]) || bytes[end] == UInt8(ascii: "*") { end += 1 }
            if end - prefixEnd >= prefix.minimumRest { return (prefixEnd, end) }
        }
        return nil
    }

    /// Where the value after a credential name starts: past closing quotes, spaces, one `:` or `=`,
    /// spaces and an opening quote. `nil` when no `:` or `=` follows the name.
    private static func valueStart(in bytes: [UInt8], after nameEnd: Int) -> Int? {
        var index = nameEnd
        while index < bytes.count, isQuote(bytes[index]) { index += 1 }
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") || bytes[index] == UInt8(ascii: "=") else {
            return nil
        }
        index += 1
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        while index < bytes.count, isQuote(bytes[index]) { index += 1 }
        return index
    }

    /// The end of a credential value: up to a space, control character, quote, `,`, `;` or `&`.
    private static func credentialEnd(in bytes: [UInt8], from start: Int) -> Int {
        var end = start
        while end < bytes.count {
            let byte = bytes[end]
            if byte <= 0x20 || byte == 0x7F || isQuote(byte) || byte == UInt8(ascii: ",") || byte == UInt8(ascii: ";")
                || byte == UInt8(ascii: "&")
            {
                break
            }
            end += 1
        }
        return end
    }

    // MARK: Bytes

    /// Letters, digits, `-` and `_`: the characters of an API key.
    private static func isKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    /// Quotes, and the backslash that escapes one inside JSON text.
    private static func isQuote(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "`")
            || byte == UInt8(ascii: "\\")
    }

    private static func matches(_ bytes: [UInt8], at index: Int, _ literal: [UInt8]) -> Bool {
        guard index + literal.count <= bytes.count else { return false }
        for offset in 0..<literal.count where bytes[index + offset] != literal[offset] { return false }
        return true
    }

    /// Whether `literal` (lower-case ASCII) starts at `index`, ignoring ASCII case.
    private static func matchesIgnoringCase(_ bytes: [UInt8], at index: Int, _ literal: [UInt8]) -> Bool {
        guard index + literal.count <= bytes.count else { return false }
        for offset in 0..<literal.count {
            let byte = bytes[index + offset]
            let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            if lower != literal[offset] { return false }
        }
        return true
    }

    /// Replaces every occurrence of `needle` in `bytes` by the placeholder; whether any was found.
    private static func replaceOccurrences(of needle: [UInt8], in bytes: inout [UInt8]) -> Bool {
        guard !needle.isEmpty, bytes.count >= needle.count else { return false }
        var output: [UInt8] = []
        var index = 0
        var found = false
        while index < bytes.count {
            if bytes[index] == needle[0], matches(bytes, at: index, needle) {
                output.append(contentsOf: placeholder.utf8)
                index += needle.count
                found = true
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        if found { bytes = output }
        return found
    }
}
