// Sluice's spans and metrics exported with swift-otel: OTLP/HTTP in JSON to a collector on loopback.
//
//     OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 \
//         swift run --package-path Examples/OpenTelemetry ExampleOpenTelemetry
//
// `Examples/OpenTelemetry/run` starts a small receiver (collector.py), runs this program against it
// and checks what arrived. The program bootstraps swift-otel (traces and metrics, no logs), runs its
// observability service in a ServiceGroup beside the work, starts the mock LLM server in-process on
// 127.0.0.1 and makes three calls through a client with `TracingEventHandler` and
// `MetricsEventHandler`: a plain chat (the server fails its first attempt with a 503, so the call
// has two attempt spans), a streamed chat, and a chat inside a `handle request` span. When the work
// ends, the group shuts down gracefully, and swift-otel exports what it still holds before exit.
import Logging
import OTel
import ServiceLifecycle
import Sluice
import SluiceMockServer
import Synchronization
import Tracing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why the example refuses to start.
struct ExampleError: Error, CustomStringConvertible {
    var description: String
}

/// The collector's base URL, from `OTEL_EXPORTER_OTLP_ENDPOINT` (default `http://127.0.0.1:4318`).
///
/// Only plain HTTP to a loopback host is accepted: the example sends its telemetry nowhere else.
func collectorEndpoint() throws -> String {
    let value = getenv("OTEL_EXPORTER_OTLP_ENDPOINT").map { String(cString: $0) } ?? "http://127.0.0.1:4318"
    var endpoint = Substring(value)
    while endpoint.hasSuffix("/") { endpoint = endpoint.dropLast() }
    guard endpoint.hasPrefix("http://") else {
        throw ExampleError(description: "OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// URL on loopback, got \(value)")
    }
    let authority = endpoint.dropFirst("http://".count).prefix { $0 != "/" }
    let host: Substring
    if authority.hasPrefix("[") {
        host = authority.prefix { $0 != "]" }.dropFirst()
    } else {
        host = authority.prefix { $0 != ":" }
    }
    guard ["127.0.0.1", "localhost", "::1"].contains(host) else {
        throw ExampleError(description: "OTEL_EXPORTER_OTLP_ENDPOINT must point at loopback, got host \(host)")
    }
    return String(endpoint)
}

/// swift-otel's configuration: traces and metrics over OTLP/HTTP JSON to `endpoint`, logs off.
///
/// Everything is set here, and the process environment is not consulted by the bootstrap, so no
/// `OTEL_*` variable can send the telemetry elsewhere. Metrics are exported every second, and the
/// GenAI histograms get the bucket boundaries the semantic conventions ask for (``GenAIMetrics``);
/// without them, swift-otel would use its default buckets, made for milliseconds.
func observabilityConfiguration(endpoint: String) -> OTel.Configuration {
    var configuration = OTel.Configuration.default
    configuration.serviceName = "sluice-opentelemetry-example"
    configuration.diagnosticLogLevel = .warning
    configuration.propagators = [.traceContext]

    configuration.traces.sampler = .alwaysOn
    configuration.traces.otlpExporter.endpoint = endpoint + "/v1/traces"
    configuration.traces.otlpExporter.protocol = .httpJSON
    configuration.traces.otlpExporter.timeout = .seconds(5)
    configuration.traces.batchSpanProcessor.scheduleDelay = .milliseconds(500)
    configuration.traces.batchSpanProcessor.exportTimeout = .seconds(5)

    configuration.metrics.otlpExporter.endpoint = endpoint + "/v1/metrics"
    configuration.metrics.otlpExporter.protocol = .httpJSON
    configuration.metrics.otlpExporter.timeout = .seconds(5)
    configuration.metrics.exportInterval = .seconds(1)
    configuration.metrics.exportTimeout = .seconds(5)
    configuration.metrics.valueHistogramBuckets = [
        GenAIMetrics.operationDuration: GenAIMetrics.durationBuckets,
        GenAIMetrics.timeToFirstChunk: GenAIMetrics.durationBuckets,
        GenAIMetrics.tokenUsage: GenAIMetrics.tokenUsageBuckets,
    ]

    configuration.logs.enabled = false
    return configuration
}

/// A transport that notes the `traceparent` header of every request it sends, then sends it with
/// the transport it wraps.
///
/// The client adds trace context to an attempt's request just before the transport, after every
/// middleware, so the transport is where the header can be seen as it leaves.
final class TraceContextRecordingTransport: ClientTransport {
    let wrapped: any ClientTransport
    private let recorded = Mutex<[String]>([])

    init(wrapping wrapped: any ClientTransport) {
        self.wrapped = wrapped
    }

    /// The `traceparent` values sent so far, in order (`none` for a request without one).
    var traceparents: [String] { recorded.withLock { $0 } }

    var enforcesResponseHeadTimeout: Bool { wrapped.enforcesResponseHeadTimeout }

    nonisolated(nonsending) func send(_ request: ClientRequest) async throws -> ClientResponse {
        let traceparent = request.headers["traceparent"] ?? "none"
        recorded.withLock { $0.append(traceparent) }
        return try await wrapped.send(request)
    }
}

/// The example's calls, run as a service so that the group shuts the exporters down when it ends.
struct ExampleCalls: Service {
    func run() async throws {
        // A 503 on the first request, then the mock's normal replies: 8 tokens, streamed 20 ms apart.
        var mock = MockServerConfiguration(replyTokens: 8)
        mock.latency = MockLatency(firstToken: .milliseconds(50), perToken: .milliseconds(20))
        try await MockLLMServer.withRunning(mock) { server in
            server.enqueue([.fault(.serverError(503)), .success])
            print("mock LLM server on \(server.baseURL)")

            var configuration = LLMClient.Configuration.openAI(apiKey: "sk-mock", baseURL: server.baseURL + "/v1")
            // Made after the bootstrap: both take the tracer and metrics factory swift-otel installed.
            configuration.eventHandlers = [TracingEventHandler(), MetricsEventHandler()]

            try await CurlTransport.withTransport { curl in
                let transport = TraceContextRecordingTransport(wrapping: curl)
                let client = LLMClient(configuration, transport: transport)
                do {
                    try await makeCalls(client)
                    await client.shutdown()
                } catch {
                    await client.shutdown()
                    throw error
                }
                for traceparent in transport.traceparents {
                    print("sent traceparent: \(traceparent)")
                }
            }
        }
        print("calls done: shutting down the exporters (they send what they still hold)")
    }

    /// A plain chat (retried once), a streamed chat, and a chat inside a parent span.
    func makeCalls(_ client: LLMClient) async throws {
        let model = "gpt-4o-mini"

        let plain = try await client.chat(ChatRequest(model: model, messages: [.user("Name a river.")]))
        print("chat: \"\(plain.text)\" (\(describe(plain)))")

        let streamed = try await client.streamChat(
            ChatRequest(model: model, messages: [.user("Describe a river in eight words.")])
        ) { stream in
            var text = ""
            for try await case .textDelta(let delta) in stream { text += delta }
            print("streamed chat: \"\(text)\"")
            return try await stream.finalResponse()
        }
        print("streamed chat done (\(describe(streamed)))")

        // The handler's call span takes the task's current span as its parent.
        try await InstrumentationSystem.tracer.withSpan("handle request", ofKind: .server) { span in
            span.attributes["example.route"] = "/rivers"
            let reply = try await client.chat(ChatRequest(model: model, messages: [.user("Name a delta.")]))
            print("chat inside \"handle request\": \"\(reply.text)\" (\(describe(reply)))")
        }
    }

    func describe(_ reply: ChatResponse) -> String {
        let tokens = reply.usage.map { "\($0.inputTokens) in, \($0.outputTokens) out" } ?? "no usage"
        return "id \(reply.id), \(tokens)"
    }
}

/// Bootstraps swift-otel, then runs its service and the calls in one group until the calls end.
func runExample() async throws {
    let endpoint = try collectorEndpoint()
    let observability = try OTel.bootstrap(
        configuration: observabilityConfiguration(endpoint: endpoint), environment: [:])
    print("exporting traces and metrics as OTLP/HTTP JSON to \(endpoint)")

    var logger = Logger(label: "sluice.example.opentelemetry")
    logger.logLevel = .warning
    // When the calls end (or fail), the group shuts down gracefully: swift-otel's span processor and
    // metric reader then export what they hold before `run()` returns. Cancelling instead would drop it.
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: [
                .init(service: observability),
                .init(
                    service: ExampleCalls(),
                    successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup
                ),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
    )
    try await group.run()
    print("exporters shut down")
}

do {
    try await runExample()
} catch {
    var message = "error: \(error)\n"
    message.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }  // to stderr
    exit(1)
}
