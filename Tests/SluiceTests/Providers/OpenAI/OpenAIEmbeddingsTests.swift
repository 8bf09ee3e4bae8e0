import Testing

@testable import Sluice

@Suite("OpenAIAdapter embeddings")
struct OpenAIEmbeddingsTests {
    let endpoint = ProviderEndpoint(baseURL: "https://api.openai.com/v1", apiKey: "sk-embed-KEYKEYKEY")

    @Test("the request is a POST to /embeddings with model, input array, dimensions, user, float encoding")
    func request() throws {
        let request = EmbeddingsRequest(
            model: "text-embedding-3-small", inputs: ["The food was delicious", "and the waiter…"], dimensions: 256,
            user: "user-1")
        let built = try OpenAIAdapter(organization: "org-1").embeddingsRequest(request, endpoint: endpoint)
        #expect(built.method == .post)
        #expect(built.url == "https://api.openai.com/v1/embeddings")
        #expect(built.headers["authorization"] == "Bearer sk-embed-KEYKEYKEY")
        #expect(built.headers["content-type"] == "application/json")
        #expect(built.headers["accept"] == "application/json")
        #expect(built.headers["openai-organization"] == "org-1")
        let expected = try JSONValue(
            parsing: #"""
                {"model": "text-embedding-3-small", "input": ["The food was delicious", "and the waiter…"],
                 "dimensions": 256, "user": "user-1", "encoding_format": "float"}
                """#)
        let body = try JSONValue(parsing: try #require(built.body))
        #expect(body == expected)
        #expect(body.objectValue?.keys == ["model", "input", "dimensions", "user", "encoding_format"])
    }

    @Test("extraFields override and extend the embeddings body")
    func extraFields() throws {
        let request = EmbeddingsRequest(
            model: "m", inputs: ["a"], extraFields: ["encoding_format": "base64", "input_type": "query"])
        let body = try JSONValue(
            parsing: try #require(try OpenAIAdapter().embeddingsRequest(request, endpoint: endpoint).body))
        #expect(body == ["model": "m", "input": ["a"], "encoding_format": "base64", "input_type": "query"])
    }

    @Test("the response gives vectors in index order, usage, model and request id")
    func response() throws {
        let body = #"""
            {"object": "list",
             "data": [
               {"object": "embedding", "index": 1, "embedding": [0.5, -1.25, 3e-2]},
               {"object": "embedding", "index": 0, "embedding": [0.0023064255, -0.009327292, 1]}
             ],
             "model": "text-embedding-3-small",
             "usage": {"prompt_tokens": 8, "total_tokens": 8}}
            """#
        let response = try OpenAIAdapter().decodeEmbeddingsResponse(
            Array(body.utf8), headers: ["x-request-id": "req_e"])
        #expect(response.embeddings == [[0.0023064255, -0.009327292, 1], [0.5, -1.25, 0.03]])
        #expect(response.usage == Usage(inputTokens: 8))
        #expect(response.model == "text-embedding-3-small")
        #expect(response.requestID == "req_e")
    }

    @Test("base64 embeddings decode as little-endian float32")
    func base64() throws {
        // 1.0, -2.0, 0.5 as little-endian float32: 0000803F 000000C0 0000003F.
        let body = #"""
            {"object":"list","data":[{"object":"embedding","index":0,"embedding":"AACAPwAAAMAAAAA/"}],
             "model":"m","usage":{"prompt_tokens":2,"total_tokens":2}}
            """#
        let response = try OpenAIAdapter().decodeEmbeddingsResponse(Array(body.utf8), headers: [:])
        #expect(response.embeddings == [[1.0, -2.0, 0.5]])
        #expect(OpenAIEmbeddingsCoder.floats(base64: "AACAPw") == [1.0])
        #expect(OpenAIEmbeddingsCoder.floats(base64: "AACA") == nil)
        #expect(OpenAIEmbeddingsCoder.floats(base64: "AA*APw==") == nil)
    }

    @Test("a malformed embeddings body throws decodingFailed naming the field")
    func malformed() throws {
        let body = #"{"data":[{"index":0,"embedding":[0.1,"x"]}],"model":"m"}"#
        let error = try #require(throws: SluiceError.self) {
            try OpenAIAdapter().decodeEmbeddingsResponse(Array(body.utf8), headers: [:])
        }
        #expect(error.code == .decodingFailed)
        #expect(error.message.contains("data[0].embedding"), "\(error.message)")

        let bad64 = #"{"data":[{"index":0,"embedding":"not base64!"}]}"#
        let base64Error = try #require(throws: SluiceError.self) {
            try OpenAIAdapter().decodeEmbeddingsResponse(Array(bad64.utf8), headers: [:])
        }
        #expect(base64Error.code == .decodingFailed)
    }
}
