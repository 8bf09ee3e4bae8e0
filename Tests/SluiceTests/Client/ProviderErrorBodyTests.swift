import Sluice
import SluiceTesting
import Synchronization
import Testing

/// A body that serves some chunks, then throws.
final class BreakingBodySource: ResponseBodySource {
    private let chunks: Mutex<ArraySlice<[UInt8]>>
    private let failure: any Error

    init(_ chunks: [String], then failure: any Error) {
        self.chunks = Mutex(chunks.map { Array($0.utf8) }[...])
        self.failure = failure
    }

    func next() async throws -> [UInt8]? {
        if let chunk = chunks.withLock({ $0.popFirst() }) { return chunk }
        throw failure
    }

    func cancel() {}
}

/// An error that is not a `SluiceError`, as a user's middleware might throw.
private struct ForeignReadError: Error {}

/// A non-2xx answer gives the provider's typed error, with its status and request id, even when its
/// body cannot be read in full.
@Suite("Provider errors whose body fails")
struct ProviderErrorBodyTests {
    static func client(
        _ configuration: LLMClient.Configuration,
        status: Int,
        headers: HTTPHeaders,
        chunks: [String],
        failure: any Error
    ) -> LLMClient {
        var configuration = configuration
        configuration.retryPolicy = .disabled
        let transport = InMemoryTransport { _ in
            ClientResponse(
                status: status, headers: headers,
                body: ResponseBody(source: BreakingBodySource(chunks, then: failure)))
        }
        return LLMClient(configuration, transport: transport)
    }

    static let request = ChatRequest(model: "m", messages: [.user("hi")])

    @Test(
        "an OpenAI 503 whose body is cut keeps status, request id and code; the read failure is the cause",
        arguments: [
            SluiceError(.connectionClosed, "the connection closed mid-body"),
            SluiceError(.idleTimeout, "no byte for 30 s"),
            SluiceError(.deadlineExceeded, "the call's deadline passed"),
        ])
    func openAICutBody(failure: SluiceError) async throws {
        let client = Self.client(
            .openAI(apiKey: "sk-test-0123456789abcdef", baseURL: "http://127.0.0.1:9/v1"),
            status: 503, headers: ["x-request-id": "req_cut"],
            chunks: [#"{"error":{"message":"overl"#], failure: failure)
        let error = try await #require(throws: SluiceError.self) { try await client.chat(Self.request) }
        #expect(error.status == 503)
        #expect(error.requestID == "req_cut")
        #expect(error.code == .serverError)
        #expect((error.cause as? SluiceError)?.code == failure.code)
        #expect(error.message.contains("503"))
        #expect(error.message.contains("could not be read"))
    }

    @Test("an Anthropic 529 whose body fails on the first read keeps status and request-id")
    func anthropicBodyFailsAtOnce() async throws {
        let client = Self.client(
            .anthropic(apiKey: "sk-ant-test-0123456789", baseURL: "http://127.0.0.1:9"),
            status: 529, headers: ["request-id": "req_ant"], chunks: [], failure: ForeignReadError())
        let error = try await #require(throws: SluiceError.self) { try await client.chat(Self.request) }
        #expect(error.status == 529)
        #expect(error.requestID == "req_ant")
        #expect(error.code == .overloaded)
        #expect(error.cause != nil)
    }

    @Test("a streamed call answered 429 with a failing body keeps status and request id")
    func streamingKeepsStatus() async throws {
        let client = Self.client(
            .openAI(apiKey: "sk-test-0123456789abcdef", baseURL: "http://127.0.0.1:9/v1"),
            status: 429, headers: ["x-request-id": "req_stream"],
            chunks: ["rate lim"], failure: SluiceError(.connectionClosed, "reset"))
        let error = try await #require(throws: SluiceError.self) { _ = try await client.streamChat(Self.request) }
        #expect(error.status == 429)
        #expect(error.requestID == "req_stream")
        #expect(error.code == .rateLimited)
    }

    @Test("a body read in full still gives the provider's own error, without a read failure")
    func wholeBodyUnchanged() async throws {
        var configuration = LLMClient.Configuration.openAI(
            apiKey: "sk-test-0123456789abcdef", baseURL: "http://127.0.0.1:9/v1")
        configuration.retryPolicy = .disabled
        let client = LLMClient(
            configuration,
            transport: InMemoryTransport { _ in
                ClientResponse(
                    status: 400, headers: ["x-request-id": "req_400"],
                    body: ResponseBody(
                        bytes: Array(#"{"error":{"message":"bad","type":"invalid_request_error"}}"#.utf8)))
            })
        let error = try await #require(throws: SluiceError.self) { try await client.chat(Self.request) }
        #expect(error.status == 400)
        #expect(error.code == .badRequest)
        #expect(error.providerError?.message == "bad")
        #expect(error.cause == nil)
        #expect(!error.message.contains("could not be read"))
    }

    @Test("the client's configured key is redacted from a provider error, whatever its shape")
    func configuredKeyRedacted() async throws {
        let key = "plainkey-0123456789-ZZTOP"
        var configuration = LLMClient.Configuration.openAI(apiKey: key, baseURL: "http://127.0.0.1:9/v1")
        configuration.retryPolicy = .disabled
        let client = LLMClient(
            configuration,
            transport: InMemoryTransport { _ in
                ClientResponse(
                    status: 401,
                    body: ResponseBody(
                        bytes: Array(#"{"error":{"message":"key \#(key) is not valid","code":"invalid_api_key"}}"#.utf8)
                    ))
            })
        let error = try await #require(throws: SluiceError.self) { try await client.chat(Self.request) }
        #expect(error.code == .authenticationFailed)
        for text in [error.message, error.providerError?.message ?? "", String(reflecting: error)] {
            #expect(!text.contains("ZZTOP"))
        }
        #expect(error.providerError?.message == "key <redacted> is not valid")
    }
}
