import Testing

@testable import Sluice

@Suite("AnthropicAdapter errors")
struct AnthropicErrorTests {
    typealias Fixture = AnthropicFixture

    func decodeError(_ status: Int, _ body: String, headers: HTTPHeaders = ["request-id": "req_42"]) -> SluiceError {
        Fixture.adapter.decodeError(status: status, headers: headers, body: Array(body.utf8))
    }

    static func errorBody(_ type: String, _ message: String) -> String {
        #"{"type":"error","error":{"type":"\#(type)","message":"\#(message)"}}"#
    }

    @Test(
        "an error body gives the code for its status and type, the provider's type and message, the request id",
        arguments: [
            (
                429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit",
                SluiceError.Code.rateLimited
            ),
            (529, "overloaded_error", "Overloaded", .overloaded),
            (500, "overloaded_error", "Overloaded", .overloaded),
            (401, "authentication_error", "invalid x-api-key", .authenticationFailed),
            (403, "permission_error", "Your API key does not have permission", .permissionDenied),
            (404, "not_found_error", "model: claude-nope", .notFound),
            (400, "invalid_request_error", "messages: roles must alternate", .badRequest),
            (413, "request_too_large", "Request exceeds the maximum allowed number of bytes", .badRequest),
            (500, "api_error", "Internal server error", .serverError),
        ]
    )
    func errorBodies(status: Int, type: String, message: String, code: SluiceError.Code) {
        let error = decodeError(status, Self.errorBody(type, message))
        #expect(error.code == code)
        #expect(error.status == status)
        #expect(error.requestID == "req_42")
        #expect(error.providerError == ProviderErrorDetails(type: type, message: message))
        #expect(error.message == "Anthropic returned \(status) \(type): \(message)")
    }

    @Test("the body's request_id is used when the header is missing")
    func bodyRequestID() {
        let error = decodeError(
            529,
            #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_body"}"#,
            headers: [:])
        #expect(error.requestID == "req_body")
        #expect(error.description.contains("req_body"))
    }

    @Test("a long provider message is cut at 500 characters in the error message")
    func longMessage() {
        let long = String(repeating: "a", count: 2000)
        let error = decodeError(400, Self.errorBody("invalid_request_error", long))
        #expect(error.message.count <= "Anthropic returned 400 invalid_request_error: ".count + 501)
        #expect(error.message.hasSuffix("…"))
    }

    @Test("a non-JSON 502 gives a server error whose message has a short excerpt on one line")
    func nonJSONBody() {
        let html =
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n"
            + String(repeating: "<!-- padding -->\n", count: 100) + "</body>\n</html>\n"
        let error = decodeError(502, html)
        #expect(error.code == .serverError)
        #expect(error.status == 502)
        #expect(error.providerError == nil)
        #expect(error.requestID == "req_42")
        #expect(
            error.message.hasPrefix("Anthropic returned 502 with a body that is not JSON: \"<html> <head><title>502"))
        #expect(!error.message.contains("\n") && !error.message.contains("\r"))
        #expect(error.message.count < 200)
    }

    @Test(
        "an empty body or JSON of another shape still gives a typed error",
        arguments: [
            ("", "an empty body"), (#"{"detail":"nope"}"#, "a JSON body that is not an Anthropic error"),
        ])
    func otherBodies(body: String, says: String) {
        let error = decodeError(503, body)
        #expect(error.code == .serverError)
        #expect(error.message.contains(says))
    }

    @Test("a gateway's {\"error\": \"text\"} body keeps the text")
    func stringError() {
        let error = decodeError(429, #"{"error":"slow down"}"#)
        #expect(error.code == .rateLimited)
        #expect(error.providerError?.message == "slow down")
        #expect(error.message == "Anthropic returned 429 slow down")
    }

    @Test("anything that looks like an API key in an error body is redacted from message, details and description")
    func keyRedacted() {
        let key = Fixture.apiKey
        let error = decodeError(401, Self.errorBody("authentication_error", "invalid x-api-key: \(key)"))
        #expect(error.code == .authenticationFailed)
        for text in [error.message, error.description, String(reflecting: error), error.providerError?.message ?? ""] {
            #expect(!text.contains(key))
            #expect(!text.contains("TESTKEY"))
        }
        #expect(error.message.contains("sk-ant-<redacted>"))
        let plain = decodeError(502, "upstream rejected key \(key)\n")
        #expect(!plain.message.contains("TESTKEY"))
    }

    @Test("redaction leaves ordinary text alone", arguments: ["risk-free", "task-1", "sk-short", "ask-me-anything"])
    func redactionKeepsText(text: String) {
        #expect(SecretRedaction.redact(text) == text)
    }
}
