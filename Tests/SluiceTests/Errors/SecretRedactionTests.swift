import Testing

@testable import Sluice

/// The one redaction every provider message, body excerpt, log line and description goes through.
@Suite("Secret redaction")
struct SecretRedactionTests {
    @Test(
        "a vendor's key in free text is replaced, keeping its prefix",
        arguments: [
            ("key sk-proj-AbC_123-xyz0123456789 is wrong", "key sk-proj-<redacted> is wrong"),
            ("invalid x-api-key sk-ant-api03-AbCdEf0123456789-xyz", "invalid x-api-key sk-ant-<redacted>"),
            ("sk-svcacct-0123456789abcdef.", "sk-svcacct-<redacted>."),
            ("OpenRouter sk-or-v1-0123456789abcdef", "OpenRouter sk-or-<redacted>"),
            ("groq gsk_0123456789abcdefABCDEF", "groq gsk_<redacted>"),
            ("xai xai-0123456789abcdefABCDEF0123", "xai xai-<redacted>"),
            ("google AIzaSyA0123456789abcdefABCDEF012345", "google AIza<redacted>"),
            ("hf hf_0123456789abcdefABCDEF", "hf hf_<redacted>"),
            ("pplx-0123456789abcdefABCDEF and r8_0123456789abcdefABCD", "pplx-<redacted> and r8_<redacted>"),
            ("nvapi-0123456789abcdefABCDEF", "nvapi-<redacted>"),
            ("Incorrect API key provided: sk-abc***xyz.", "Incorrect API key provided: sk-<redacted>."),
            ("(sk-0123456789abcdef)", "(sk-<redacted>)"),
        ])
    func vendorShapes(input: String, output: String) {
        #expect(SecretRedaction.redact(input) == output)
    }

    @Test(
        "a credential after an auth scheme or a key-like name is replaced",
        arguments: [
            ("Authorization: Bearer abc.def/ghi=, retry", "Authorization: Bearer <redacted>, retry"),
            ("authorization: basic dXNlcjpwYXNz", "authorization: basic <redacted>"),
            (#"{"x-api-key": "opaque-token-value"}"#, #"{"x-api-key": "<redacted>"}"#),
            (#"{\"api_key\":\"opaque\"}"#, #"{\"api_key\":\"<redacted>\"}"#),
            ("GET /v1?apikey=opaque&x=1", "GET /v1?apikey=<redacted>&x=1"),
            ("x-goog-api-key: opaque", "x-goog-api-key: <redacted>"),
            ("Authorization=opaque", "Authorization=<redacted>"),
        ])
    func namedCredentials(input: String, output: String) {
        #expect(SecretRedaction.redact(input) == output)
    }

    @Test(
        "ordinary text is left alone",
        arguments: [
            "risk-free", "task-1", "sk-short", "ask-me-anything", "a task-list and a desk-lamp", "keys sk-a and sk-b",
            "sk-", "the xai-grok model", "invalid api key", "AIza", "unauthorized", "the authorization failed",
            "Bearer", "nothing to see", "",
        ])
    func ordinaryText(text: String) {
        #expect(SecretRedaction.redact(text) == text)
    }

    @Test("a known secret is replaced wherever it appears, whatever its shape; short ones are not")
    func knownSecrets() {
        let secret = "opaque-Secret_0123"
        #expect(
            SecretRedaction.redact("a\(secret)b and \(secret)", secrets: [secret])
                == "a<redacted>b and <redacted>")
        #expect(SecretRedaction.redact("token abc", secrets: ["abc"]) == "token abc")
        // The longer of two overlapping secrets goes first, so nothing of it is left.
        #expect(
            SecretRedaction.redact("xx-opaque-Secret_0123-yy", secrets: ["opaque-Se", secret]).contains("<redacted>"))
        #expect(!SecretRedaction.redact("opaque-Secret_0123", secrets: ["opaque-Se", secret]).contains("0123"))
    }

    @Test(
        "a URL loses its user information and credential query values",
        arguments: [
            ("http://user:p4ss@proxy.internal:3128", "http://<redacted>@proxy.internal:3128"),
            ("https://x.test/v1?key=opaque&alt=sse", "https://x.test/v1?key=<redacted>&alt=sse"),
            ("https://x.test/v1?api_key=opaque#frag", "https://x.test/v1?api_key=<redacted>#frag"),
            ("https://api.openai.com/v1", "https://api.openai.com/v1"),
            ("not a url", "not a url"),
        ])
    func urls(input: String, output: String) {
        #expect(SecretRedaction.redactingURL(input) == output)
    }

    @Test("hostile input never traps: every byte value, long runs, cut tokens")
    func hostileInput() {
        var bytes: [UInt8] = []
        for byte in 0...255 { bytes.append(UInt8(byte)) }
        let soup = String(decoding: bytes + Array("sk-".utf8) + bytes + Array("Bearer ".utf8), as: UTF8.self)
        _ = SecretRedaction.redact(soup, secrets: [soup])
        _ = SecretRedaction.redactingURL("://@?&=#" + soup)
        let long = String(repeating: "sk-", count: 10_000) + String(repeating: "a", count: 100_000)
        #expect(SecretRedaction.redact(long).hasSuffix("sk-<redacted>"))
        for text in ["api-key", "api-key:", "api-key: ", "Bearer ", "x-api-key=\"", "AIza0123"] {
            _ = SecretRedaction.redact(text)
        }
    }
}
