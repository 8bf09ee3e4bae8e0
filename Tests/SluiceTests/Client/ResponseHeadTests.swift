import Sluice
import SluiceTesting
import Testing

/// Every reply, stream and provider error carries the status and headers of the answer it came
/// from, as the official SDKs' `with_raw_response` does.
@Suite("Response head")
struct ResponseHeadTests {
    static func client(status: Int = 200, headers: HTTPHeaders, body: String) -> LLMClient {
        var configuration = LLMClient.Configuration.openAI(apiKey: "sk-secret-raw-head-key", baseURL: "http://127.0.0.1:1/v1")
        configuration.retryPolicy = .disabled
        return LLMClient(
            configuration,
            transport: InMemoryTransport { _ in
                ClientResponse(status: status, headers: headers, body: ResponseBody(bytes: Array(body.utf8)))
            })
    }

    static let request = ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")])
    static let headers: HTTPHeaders = [
        "x-request-id": "req_123", "x-ratelimit-remaining-tokens": "9000", "openai-processing-ms": "12",
    ]

    @Test("a chat reply carries its status, headers and request id")
    func chatReply() async throws {
        let reply = try await Self.client(headers: Self.headers, body: String(decoding: UsageTestBodies.completion(), as: UTF8.self))
            .chat(Self.request)
        let head = try #require(reply.responseHead)
        #expect(head.status == 200)
        #expect(head.requestID == "req_123")
        #expect(head.headers["x-ratelimit-remaining-tokens"] == "9000")
        #expect(head.headers["openai-processing-ms"] == "12")
    }

    @Test("a stream carries the head before its first event, and its final reply carries it too")
    func stream() async throws {
        let body = UsageTestBodies.streamChunks + "data: [DONE]\n\n"
        let (seenFirst, reply) = try await Self.client(headers: Self.headers, body: body).streamChat(Self.request) { stream in
            (stream.responseHead, try await stream.finalResponse())
        }
        #expect(seenFirst.requestID == "req_123")
        #expect(reply.responseHead?.headers["x-ratelimit-remaining-tokens"] == "9000")
    }

    @Test("embeddings carry the head")
    func embeddings() async throws {
        let body = #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5]}],"model":"m","usage":{"prompt_tokens":1,"total_tokens":1}}"#
        let reply = try await Self.client(headers: Self.headers, body: body)
            .embed(EmbeddingsRequest(model: "m", inputs: ["x"]))
        #expect(reply.responseHead?.status == 200)
        #expect(reply.responseHead?.requestID == "req_123")
    }

    @Test("a provider error carries the head of the answer: retry-after and rate-limit headers, no key in dump")
    func providerError() async throws {
        let headers: HTTPHeaders = ["x-request-id": "req_429", "retry-after": "7", "x-ratelimit-reset-requests": "7s"]
        let body = #"{"error":{"message":"Rate limit reached for key sk-secret-raw-head-key","type":"requests","code":"rate_limit_exceeded"}}"#
        let client = Self.client(status: 429, headers: headers, body: body)
        let error = await #expect(throws: SluiceError.self) { try await client.chat(Self.request) }
        let head = try #require(error?.responseHead)
        #expect(head.status == 429)
        #expect(head.headers["retry-after"] == "7")
        #expect(head.requestID == "req_429")
        var dumped = ""
        dump(error, to: &dumped)
        #expect(!dumped.contains("sk-secret-raw-head-key"))
    }

    @Test("an authorization header echoed by a server is redacted in the head's description and dump")
    func redactedEcho() async throws {
        let headers: HTTPHeaders = ["authorization": "Bearer sk-secret-raw-head-key"]
        let reply = try await Self.client(headers: headers, body: String(decoding: UsageTestBodies.completion(), as: UTF8.self))
            .chat(Self.request)
        let head = try #require(reply.responseHead)
        var dumped = ""
        dump(reply, to: &dumped)
        #expect(!dumped.contains("sk-secret-raw-head-key"))
        #expect(!String(describing: head).contains("sk-secret-raw-head-key"))
    }
}
