import SluiceTesting
import Testing

@testable import Sluice

/// No public configuration, request, client or error shows the API key it holds: not `print`
/// (`String(describing:)`), not `String(reflecting:)`, not `dump`, not a `Mirror` walked to the leaves.
@Suite("Secrets never shown")
struct SecretLeakTests {
    /// Fake keys of each vendor's shape, and one of no known shape; each holds the marker.
    static let shapedKeys = [
        "sk-proj-LEAKMARKa1b2c3d4e5f6g7h8i9j0", "sk-ant-api03-LEAKMARK_a1b2c3d4e5f6g7h8-AA",
        "gsk_LEAKMARKa1b2c3d4e5f6g7h8i9j0k1l2", "xai-LEAKMARKa1b2c3d4e5f6g7h8i9j0k1l2",
        "AIzaSyLEAKMARK-a1b2c3d4e5f6g7h8i9j0k1", "hf_LEAKMARKa1b2c3d4e5f6g7h8i9j0",
    ]
    static let allKeys = shapedKeys + ["LEAKMARK-opaque-0123456789"]
    static let marker = "LEAKMARK"

    // MARK: Rendering

    /// Every way a value is commonly turned into text.
    static func renderings(of value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        var texts = [dumped, String(describing: value), String(reflecting: value)]
        var visited: Set<ObjectIdentifier> = []
        walk(Mirror(reflecting: value), depth: 0, visited: &visited, into: &texts)
        return texts
    }

    /// Every label and leaf of a mirror, recursively (classes once each).
    static func walk(_ mirror: Mirror, depth: Int, visited: inout Set<ObjectIdentifier>, into texts: inout [String]) {
        guard depth < 24 else { return }
        if let superclass = mirror.superclassMirror {
            walk(superclass, depth: depth + 1, visited: &visited, into: &texts)
        }
        for child in mirror.children {
            texts.append(child.label ?? "")
            let value = child.value
            if type(of: value) is AnyClass {
                let id = ObjectIdentifier(value as AnyObject)
                if visited.contains(id) { continue }
                visited.insert(id)
            }
            let childMirror = Mirror(reflecting: value)
            if childMirror.children.isEmpty && childMirror.superclassMirror == nil {
                texts.append(String(describing: value))
                texts.append(String(reflecting: value))
            } else {
                walk(childMirror, depth: depth + 1, visited: &visited, into: &texts)
            }
        }
    }

    static func expectNoKey(_ value: Any, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        // The message names the value, never the text that leaked: the key stays out of test output.
        let leaks = renderings(of: value).filter { $0.contains(marker) }.count
        #expect(leaks == 0, "\(what) shows the key in \(leaks) of its renderings", sourceLocation: sourceLocation)
    }

    // MARK: Configurations

    static func headers(_ key: String) -> HTTPHeaders {
        [
            "authorization": "Bearer \(key)", "x-api-key": key, "api-key": key, "proxy-authorization": "Basic \(key)",
            "cookie": "session=\(key)", "x-goog-api-key": key, "x-custom": "value",
        ]
    }

    static func transportConfiguration(_ key: String) -> CurlTransport.Configuration {
        var transport = CurlTransport.Configuration()
        transport.proxy = .url("http://user:\(key)@proxy.internal:3128", noProxy: "localhost")
        transport.tls.clientCertificate = .init(certificatePath: "/c.pem", keyPath: "/k.pem", keyPassword: key)
        return transport
    }

    static func clientConfiguration(_ key: String, anthropic: Bool) -> LLMClient.Configuration {
        var configuration: LLMClient.Configuration =
            anthropic ? .anthropic(apiKey: key) : .openAI(apiKey: key, organization: "org", project: "proj")
        configuration.headers = headers(key)
        configuration.transport = transportConfiguration(key)
        configuration.rateLimits = RateLimitMiddleware.Configuration(keys: [
            APIKey(key, limits: RateLimits(requestsPerMinute: 60)),
            APIKey(key + "-second", label: "second", limits: RateLimits(requestsPerMinute: 60)),
        ])
        return configuration
    }

    @Test("API keys, key pools, limiter and client configurations")
    func configurations() {
        for key in Self.allKeys { configurations(key: key) }
    }

    func configurations(key: String) {
        Self.expectNoKey(APIKey(key), "APIKey")
        Self.expectNoKey(
            APIKey(key, label: "primary", limits: RateLimits(requestsPerMinute: 1), modelLimits: ["m": .unlimited]),
            "a labelled APIKey")
        let limits = RateLimitMiddleware.Configuration(apiKey: key, limits: RateLimits(requestsPerMinute: 60))
        Self.expectNoKey(limits, "RateLimitMiddleware.Configuration")
        var limiter = RateLimitMiddleware(configuration: limits, adapter: OpenAIAdapter())
        limiter.preauthorizedSecret = key
        Self.expectNoKey(limiter, "RateLimitMiddleware")
        Self.expectNoKey(limiter.pool, "RateLimitKeyPool")
        for anthropic in [false, true] {
            let configuration = Self.clientConfiguration(key, anthropic: anthropic)
            Self.expectNoKey(configuration, "LLMClient.Configuration")
            Self.expectNoKey(configuration.endpoint, "ProviderEndpoint")
            let client = LLMClient(configuration, transport: InMemoryTransport { _ in ClientResponse(status: 200) })
            Self.expectNoKey(client, "LLMClient")
        }
        let transport = Self.transportConfiguration(key)
        Self.expectNoKey(transport, "CurlTransport.Configuration")
        Self.expectNoKey(transport.proxy, "Proxy")
        Self.expectNoKey(transport.tls, "TLS")
    }

    @Test("headers, header fields and requests the adapters build")
    func requests() throws {
        for key in Self.allKeys { try requests(key: key) }
    }

    func requests(key: String) throws {
        let headers = Self.headers(key)
        Self.expectNoKey(headers, "HTTPHeaders")
        for field in headers { Self.expectNoKey(field, "HTTPHeaders.Field \(field.name)") }
        let endpoint = ProviderEndpoint(
            baseURL: "https://user:\(key)@api.test/v1?key=\(key)", apiKey: key, headers: headers)
        let chat = ChatRequest(model: "m", messages: [.user("hi")])
        for adapter in [OpenAIAdapter() as any ProviderAdapter, AnthropicAdapter()] {
            var request = try adapter.chatRequest(chat, stream: true, endpoint: endpoint)
            Self.expectNoKey(request, "\(adapter.provider) chat request")
            adapter.authorize(&request, apiKey: key + "-other")
            Self.expectNoKey(request, "\(adapter.provider) re-authorized request")
        }
        let embeddings = try OpenAIAdapter().embeddingsRequest(
            EmbeddingsRequest(model: "e", inputs: ["x"]), endpoint: endpoint)
        Self.expectNoKey(embeddings, "embeddings request")
    }

    // MARK: Errors

    /// Bodies in which a server echoes the key back.
    static func echoes(_ key: String) -> [String] {
        [
            #"{"error":{"message":"Incorrect API key provided: \#(key).","type":"invalid_request_error","param":"\#(key)","code":"invalid_api_key"}}"#,
            #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key: \#(key)"},"request_id":"req_1"}"#,
            #"{"message":"bad key \#(key)","type":"auth","code":401}"#,
            #"{"detail":"Authorization: Bearer \#(key) rejected"}"#,
            "<html><body>502 upstream rejected key \(key)</body></html>",
            "proxy said: x-api-key: \(key)",
        ]
    }

    @Test("provider errors decoded from bodies that echo the key, in every vendor's shape")
    func providerErrors() {
        for key in Self.shapedKeys { providerErrors(key: key) }
    }

    func providerErrors(key: String) {
        for body in Self.echoes(key) {
            for adapter in [OpenAIAdapter() as any ProviderAdapter, AnthropicAdapter()] {
                let error = adapter.decodeError(status: 401, headers: ["x-request-id": "req"], body: Array(body.utf8))
                Self.expectNoKey(error, "\(adapter.provider) error")
                Self.expectNoKey(error.message, "\(adapter.provider) error message")
                Self.expectNoKey(error.providerError as Any, "\(adapter.provider) error details")
            }
            Self.expectNoKey(OpenAIErrorDecoder.streamError(eventData: body, eventNumber: 3), "an OpenAI stream error")
        }
    }

    @Test("errors built by hand with the key in their text, and the events that carry them")
    func handBuiltErrors() {
        for key in Self.shapedKeys { handBuiltErrors(key: key) }
    }

    func handBuiltErrors(key: String) {
        let curl = CurlError(code: 7, name: "CURLE_COULDNT_CONNECT", summary: "no", detail: "proxy auth \(key)")
        Self.expectNoKey(curl, "CurlError")
        let details = ProviderErrorDetails(type: "t", code: "c", param: key, message: "key \(key)")
        Self.expectNoKey(details, "ProviderErrorDetails")
        let error = SluiceError(
            .authenticationFailed, "the key \(key) was refused", status: 401,
            cause: SluiceError(.transportFailure, "inner \(key)", cause: curl), providerError: details,
            requestID: "req")
        Self.expectNoKey(error, "SluiceError")
        var event = ClientEvent(
            kind: .requestFailed, callID: 1, provider: .openAI, model: "m", operation: .chat, attempt: 1,
            keyID: KeyID(apiKey: key), instant: .zero)
        event.error = error
        Self.expectNoKey(event, "ClientEvent")
    }
}
