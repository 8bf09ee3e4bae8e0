import Testing

@testable import Sluice

@Suite("OpenAIAdapter error decoding")
struct OpenAIErrorDecodingTests {
    let adapter = OpenAIAdapter()

    func decode(_ status: Int, _ body: String, headers: HTTPHeaders = ["x-request-id": "req_err"]) -> SluiceError {
        adapter.decodeError(status: status, headers: headers, body: Array(body.utf8))
    }

    @Test("401 invalid_api_key: authenticationFailed, the key OpenAI echoes is redacted everywhere")
    func invalidKey() {
        let error = decode(
            401,
            #"""
            {
                "error": {
                    "message": "Incorrect API key provided: sk-proj-abc1***************************xyz9. You can find your API key at https://platform.openai.com/account/api-keys.",
                    "type": "invalid_request_error",
                    "param": null,
                    "code": "invalid_api_key"
                }
            }
            """#)
        #expect(error.code == .authenticationFailed)
        #expect(error.status == 401)
        #expect(error.requestID == "req_err")
        #expect(error.providerError?.type == "invalid_request_error")
        #expect(error.providerError?.code == "invalid_api_key")
        #expect(error.providerError?.param == nil)
        #expect(
            error.message
                == "OpenAI returned 401 invalid_api_key: Incorrect API key provided: sk-proj-<redacted>. You can find your API key at https://platform.openai.com/account/api-keys."
        )
        #expect(error.providerError?.message?.contains("sk-proj-<redacted>. You can find") == true)
        for text in [error.message, error.description, String(reflecting: error), error.providerError?.message ?? ""] {
            #expect(!text.contains("abc1"))
            #expect(!text.contains("xyz9"))
        }
    }

    @Test(
        "429: rate_limit_exceeded is rateLimited, insufficient_quota is insufficientQuota",
        arguments: [
            (
                #"{"error":{"message":"Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}"#,
                SluiceError.Code.rateLimited, "rate_limit_exceeded"
            ),
            (
                #"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
                .insufficientQuota, "insufficient_quota"
            ),
        ])
    func tooManyRequests(body: String, code: SluiceError.Code, label: String) {
        let error = decode(429, body)
        #expect(error.code == code)
        #expect(error.status == 429)
        #expect(error.message.hasPrefix("OpenAI returned 429 \(label): "))
    }

    @Test(
        "status codes map to typed codes",
        arguments: [
            (400, SluiceError.Code.badRequest), (403, .permissionDenied), (404, .notFound), (413, .badRequest),
            (422, .badRequest), (500, .serverError), (503, .serverError), (529, .overloaded), (418, .apiError),
        ])
    func statuses(status: Int, code: SluiceError.Code) {
        let error = decode(
            status, #"{"error":{"message":"m","type":"invalid_request_error","param":"messages","code":null}}"#)
        #expect(error.code == code)
        #expect(error.providerError?.param == "messages")
        #expect(error.message == "OpenAI returned \(status) invalid_request_error: m")
    }

    @Test("a numeric code is kept as its text")
    func numericCode() {
        let error = decode(500, #"{"error":{"message":"boom","type":"server_error","code":500}}"#)
        #expect(error.providerError?.code == "500")
        #expect(error.code == .serverError)
    }

    @Test(
        "compatible-server error shapes are read",
        arguments: [
            (#"{"error":"model not found"}"#, "model not found", nil as String?),
            (
                #"{"object":"error","message":"max_tokens is too large","type":"BadRequestError","param":null,"code":400}"#,
                "max_tokens is too large", "BadRequestError"
            ),
            (#"{"detail":"Not Found"}"#, "Not Found", nil),
        ])
    func compatibleShapes(body: String, message: String, type: String?) {
        let error = decode(400, body)
        #expect(error.code == .badRequest)
        #expect(error.providerError?.message == message)
        #expect(error.providerError?.type == type)
        #expect(error.message.hasSuffix(": \(message)"))
    }

    @Test("a 502 HTML page from a proxy is a serverError with a short, clean excerpt")
    func htmlBody() {
        let html = """
            <html>\r
            <head><title>502 Bad Gateway</title><style>body { color: red; }</style></head>\r
            <body>\r
            <center><h1>502 Bad Gateway</h1></center>\r
            <hr><center>nginx</center>\r
            <script>var secret = 1;</script>
            </body>\r
            </html>\r
            """
        let error = decode(502, html)
        #expect(error.code == .serverError)
        #expect(error.status == 502)
        #expect(error.requestID == "req_err")
        #expect(error.providerError == nil)
        #expect(
            error.message
                == #"OpenAI returned 502 with a body that is not an OpenAI error: "502 Bad Gateway 502 Bad Gateway nginx""#
        )
    }

    @Test("a long non-JSON body is cut short; an empty body says so")
    func longAndEmptyBodies() {
        let long = decode(500, String(repeating: "Internal Server Error ", count: 1000))
        #expect(long.code == .serverError)
        #expect(long.message.count < 300)
        #expect(long.message.hasSuffix("…\""))
        let empty = decode(503, "")
        #expect(empty.code == .serverError)
        #expect(empty.message == "OpenAI returned 503 with an empty body")
    }

    @Test("a long provider message is truncated to about 500 characters in the error message")
    func longMessage() {
        let text = String(repeating: "x", count: 2000)
        let error = decode(400, #"{"error":{"message":"\#(text)","type":"invalid_request_error"}}"#)
        #expect(error.message.count <= "OpenAI returned 400 invalid_request_error: ".count + 501)
        #expect(error.message.hasSuffix("…"))
    }

    @Test(
        "key-like tokens are redacted, words that merely contain sk- are not",
        arguments: [
            ("Incorrect API key provided: sk-abc***xyz.", "Incorrect API key provided: sk-<redacted>."),
            ("sk-proj-AbC_123-xyz", "sk-proj-<redacted>"),
            ("keys sk-a and sk-b", "keys sk-a and sk-b"),
            (
                "header was Authorization: Bearer sk-live.abc/def=, retry",
                "header was Authorization: Bearer <redacted>, retry"
            ),
            ("a task-list and a desk-lamp", "a task-list and a desk-lamp"),
            ("nothing to see", "nothing to see"),
            ("sk-", "sk-"),
        ])
    func redaction(input: String, output: String) {
        #expect(SecretRedaction.redact(input) == output)
    }

    @Test("a key in a non-JSON body is redacted from the excerpt")
    func redactedExcerpt() {
        let error = decode(502, "upstream rejected key sk-live-0123456789abcdef")
        #expect(!error.message.contains("0123456789"))
        #expect(error.message.contains("sk-<redacted>"))
    }

    @Test("no error description contains the API key the request was sent with")
    func keyNeverInErrors() throws {
        let key = "sk-live-SECRET0123456789"
        let endpoint = ProviderEndpoint(baseURL: "https://api.openai.com/v1", apiKey: key)
        _ = try adapter.chatRequest(ChatRequest(model: "m", messages: [.user("x")]), stream: false, endpoint: endpoint)
        let bodies = [
            #"{"error":{"message":"Incorrect API key provided: \#(key).","type":"invalid_request_error","code":"invalid_api_key"}}"#,
            "<html><body>bad key \(key)</body></html>",
            #"{"error":"Authorization: Bearer \#(key) rejected"}"#,
        ]
        for body in bodies {
            let error = decode(401, body)
            #expect(!error.message.contains("SECRET"), "\(error.message)")
            #expect(!String(reflecting: error).contains("SECRET"))
            let providerMessage = error.providerError?.message ?? ""
            #expect(!providerMessage.contains("SECRET"))
        }
    }
}
