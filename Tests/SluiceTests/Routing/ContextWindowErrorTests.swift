import Testing

@testable import Sluice

@Suite("Context-window errors are typed")
struct ContextWindowErrorTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("OpenAI's context_length_exceeded is contextWindowExceeded")
    func openAI() {
        let error = OpenAIAdapter().decodeError(
            status: 400, headers: [:],
            body: Self.bytes(
                #"{"error":{"message":"This model's maximum context length is 128000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#
            ))
        #expect(error.code == .contextWindowExceeded)
        #expect(error.status == 400)
    }

    @Test("an OpenAI-compatible server's 400 that names the maximum context length is contextWindowExceeded")
    func compatible() {
        let error = OpenAIAdapter().decodeError(
            status: 400, headers: [:],
            body: Self.bytes(
                #"{"object":"error","message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.","type":"BadRequestError","code":400}"#
            ))
        #expect(error.code == .contextWindowExceeded)
    }

    @Test("Anthropic's 'prompt is too long' invalid_request_error is contextWindowExceeded")
    func anthropic() {
        let error = AnthropicAdapter().decodeError(
            status: 400, headers: [:],
            body: Self.bytes(
                #"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208310 tokens > 200000 maximum"}}"#
            ))
        #expect(error.code == .contextWindowExceeded)
        #expect(error.providerError?.type == "invalid_request_error")
    }

    @Test("other invalid requests stay badRequest; a 5xx mentioning the window stays a server error")
    func others() {
        let anthropic = AnthropicAdapter().decodeError(
            status: 400, headers: [:],
            body: Self.bytes(
                #"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: must be positive"}}"#))
        #expect(anthropic.code == .badRequest)
        let openAI = OpenAIAdapter().decodeError(
            status: 500, headers: [:],
            body: Self.bytes(#"{"error":{"message":"maximum context length cache failed","type":"server_error"}}"#))
        #expect(openAI.code == .serverError)
    }
}
