import Logging
import SluiceTesting
import Testing

@testable import Sluice

// The Swift samples of the doc comments in Sources/Sluice/Errors, JSON, Pipeline, Providers,
// Streaming (its parsers), Time, Tokens and Transport, and of SluiceTesting's InMemoryTransport and
// TestClock, each inside a function whose parameters supply what the sample leaves to the reader
// (`@testable`: some of those symbols are internal). This file compiling is what keeps those samples
// compiling; `DocumentationSamplesTests` checks that they are here line for line. Change them
// together. The functions are compiled, not run.

enum CoreSymbolSamples {
    // MARK: Errors

    /// SluiceError
    static func sluiceError(transport: CurlTransport, request: ClientRequest) async throws {
        do {
            let response = try await transport.send(request)
            print(response.status)
        } catch let error as SluiceError where error.code == .connectionRefused {
            // the server is not listening
        }
    }

    // MARK: JSON

    /// JSONNumber
    static func jsonNumber() {
        let tokens: JSONNumber = 1024
        let count = tokens.intValue        // 1024
        let fraction = tokens.doubleValue  // 1024.0
        _ = (count, fraction)
    }

    /// JSONObject
    static func jsonObject() -> JSONObject {
        var options: JSONObject = ["top_k": 40, "safe_mode": true]
        options["seed"] = 7            // appended at the end
        options["top_k"] = nil         // removed
        return options
    }

    /// JSONReader
    static func jsonReader(bytes: [UInt8]) throws -> (String?, String?) {
        let (id, content) = try JSONReader.read(bytes) { reader -> (String?, String?) in
            var id: String?, content: String?
            try reader.readObject { key, reader in
                switch key {
                case "id": id = try reader.readStringOrNull()
                case "content": content = try reader.readStringOrNull()
                default: break  // a value the body does not read is skipped
                }
            }
            return (id, content)
        }
        return (id, content)
    }

    /// JSONValue
    static func jsonValue() throws -> JSONValue {
        let extra: JSONValue = ["reasoning": ["effort": "low"], "seed": 7, "tags": ["a", "b"], "user": nil]
        let effort = extra["reasoning"]?["effort"]?.stringValue   // "low"
        let tag = extra["tags"]?[1]?.stringValue                   // "b"
        let text = extra.description                              // {"reasoning":{"effort":"low"},"seed":7,...}

        let parsed = try JSONValue(parsing: #"{"a":[1,2.5,null]}"#)
        _ = (effort, tag, text)
        return parsed
    }

    /// JSONWriter
    static func jsonWriter(value: JSONValue, send: ([UInt8]) -> Void) {
        var writer = JSONWriter()
        writer.write(value)
        send(writer.bytes)
    }

    // MARK: Pipeline

    /// ClientMiddleware
    struct StampMiddleware: ClientMiddleware {
        func intercept(_ request: ClientRequest, context: ClientContext, next: Next) async throws -> ClientResponse {
            var request = request
            request.headers.add(name: "x-tenant", value: "blue")
            return try await next(request, context)
        }
    }

    // MARK: Providers

    /// AnthropicAdapter
    static func anthropicAdapter(key: String) throws -> ClientRequest {
        let adapter = AnthropicAdapter(betas: ["prompt-caching-2024-07-31"])
        let endpoint = ProviderEndpoint(baseURL: "https://api.anthropic.com", apiKey: key)
        var request = ChatRequest(model: "claude-sonnet-4-5", messages: [.system("Be terse."), .user("Hi")])
        request.maxOutputTokens = 512
        let httpRequest = try adapter.chatRequest(request, stream: false, endpoint: endpoint)
        return httpRequest
    }

    /// AzureOpenAIAdapter
    static func azureAdapter() -> LLMClient.Configuration {
        let configuration = LLMClient.Configuration(
            adapter: AzureOpenAIAdapter(),
            baseURL: "https://my-resource.openai.azure.com",
            apiKey: "my-azure-key"
        )
        return configuration
    }

    /// OpenAIAdapter.MaxTokensField
    static func maxTokensField() -> OpenAIAdapter {
        let adapter = OpenAIAdapter(maxTokensField: .maxTokens)
        return adapter
    }

    /// OpenAIAdapter
    static func openAIAdapter(key: String, chat: ChatRequest) throws -> ClientRequest {
        let adapter = OpenAIAdapter()
        let endpoint = ProviderEndpoint(baseURL: "https://api.openai.com/v1", apiKey: key)
        let request = try adapter.chatRequest(chat, stream: true, endpoint: endpoint)
        return request
    }

    /// OpenAIAdapter for a local server.
    static func localAdapter() -> OpenAIAdapter {
        let local = OpenAIAdapter(includeStreamUsage: false, maxTokensField: .maxTokens)
        return local
    }

    // MARK: Streaming

    /// ServerSentEventParser
    static func sseParser(response: ClientResponse) async throws {
        var parser = ServerSentEventParser()
        for try await chunk in response.body {
            try parser.parse(chunk) { event in
                if event.data == "[DONE]" { return }
                // decode event.data
            }
        }
        try parser.finish { event in /* an event the server did not end with a blank line */ }
    }

    /// ServerSentEventSequence
    static func sseSequence(response: ClientResponse) async throws {
        for try await event in response.body.serverSentEvents() {
            if event.data == "[DONE]" { break }
            // decode event.data
        }
    }

    // MARK: Time

    /// DeadlineTimer
    static func deadlineTimer(clock: any SluiceClock) {
        let timer = DeadlineTimer(clock: clock)
        let id = timer.schedule(at: clock.now + .seconds(30)) { print("timed out") }
        // … the work ended first:
        if timer.cancel(id) { /* the action will never run */ }
    }

    // MARK: Tokens

    /// DefaultTokenEstimator
    static func tokenEstimator() -> Int {
        let estimator = DefaultTokenEstimator()
        let tokens = estimator.estimateInputTokens(ChatRequest(model: "gpt-4o-mini", messages: [.user("Hello")]))
        // 3 + 4 + 2 == 9
        return tokens
    }

    // MARK: Transport

    /// CurlError
    static func curlError(client: LLMClient, request: ChatRequest, logger: Logger) async {
        do {
            _ = try await client.chat(request)
        }
        catch let error as SluiceError {
            if let curl = error.cause as? CurlError { logger.debug("curl failed: \(curl)") }
        }
        catch {}
    }

    /// CurlTransport.Configuration
    static func curlConfiguration() throws -> CurlTransport {
        var configuration = CurlTransport.Configuration()
        configuration.tls.caBundlePath = "/etc/ssl/internal-ca.pem"
        configuration.timeouts.idle = .seconds(60)
        let transport = try CurlTransport(configuration: configuration)
        return transport
    }

    /// CurlTransport.Configuration.ReceiveBuffer
    static func curlReceiveBuffer() throws -> CurlTransport {
        var configuration = CurlTransport.Configuration()
        configuration.receiveBuffer.streaming = 1024
        let transport = try CurlTransport(configuration: configuration)
        return transport
    }

    /// CurlTransport
    static func curlTransport(json: String, parser: inout ServerSentEventParser) async throws {
        let transport = try CurlTransport()
        let response = try await transport.send(
            ClientRequest(method: .post, url: "https://api.example.com/v1/chat/completions",
                          headers: ["content-type": "application/json"], body: Array(json.utf8))
        )
        for try await chunk in response.body { try parser.parse(chunk) { print($0.data) } }
        await transport.shutdown()
    }

    /// HTTPHeaders
    static func httpHeaders(key: String) -> HTTPHeaders {
        var headers: HTTPHeaders = ["content-type": "application/json"]
        headers.replaceOrAdd(name: "authorization", value: "Bearer \(key)")
        let contentType = headers["Content-Type"]  // "application/json"
        _ = contentType
        return headers
    }

    /// HTTPResponseHead
    static func responseHead(client: LLMClient, request: ChatRequest) async throws {
        let reply = try await client.chat(request)
        if let head = reply.responseHead {
            print(head.status, head.requestID ?? "-", head.headers["x-ratelimit-remaining-tokens"] ?? "-")
        }
    }

    /// ResponseBody
    static func responseBody(response: ClientResponse, parser: inout ServerSentEventParser) async throws -> [UInt8] {
        for try await chunk in response.body { try parser.parse(chunk) { print($0.data) } }
        let bytes = try await response.body.collect(upTo: 1 << 20)
        response.body.discard()
        return bytes
    }

    // MARK: SluiceTesting

    /// InMemoryTransport
    static func inMemoryTransport() -> InMemoryTransport {
        let transport = InMemoryTransport { request in
            ClientResponse(status: 200, body: ResponseBody(bytes: Array("{}".utf8)))
        }
        return transport
    }

    /// InMemoryTransport.immediate
    static func immediateTransport(reply: [UInt8]) -> InMemoryTransport {
        let transport = InMemoryTransport.immediate { _ in ClientResponse(status: 200, body: ResponseBody(bytes: reply)) }
        return transport
    }

    /// TestClock
    static func testClock() async throws {
        let clock = TestClock()
        let waiter = Task { try await clock.sleep(for: .seconds(2)) }
        await clock.waitForSleepers(1)      // the task is now asleep
        clock.advance(by: .seconds(2))      // and now it wakes
        try await waiter.value
    }
}
