import Logging
import Sluice
import SluiceTesting
import Testing
import Tracing

// The Swift samples of the doc comments in Sources/Sluice/Hooks and Usage (and SluiceTesting's
// EventRecorder), each inside a function whose parameters supply what the sample leaves to the
// reader. This file compiling is what keeps those samples compiling; `DocumentationSamplesTests`
// checks that they are here line for line. Change them together. The functions are compiled, not run.

enum HooksSymbolSamples {
    // MARK: Hooks

    /// LoggingEventHandler
    static func loggingHandler(key: String) throws -> LLMClient {
        var logger = Logger(label: "llm")
        logger.logLevel = .debug
        var configuration = LLMClient.Configuration.openAI(apiKey: key)
        configuration.eventHandlers = [LoggingEventHandler(logger: logger)]
        let client = try LLMClient(configuration)
        return client
    }

    /// LoggingEventHandler.Configuration
    static func loggingConfiguration() -> LoggingEventHandler.Configuration {
        var configuration = LoggingEventHandler.Configuration()
        configuration.failureLevel = .error     // this service treats every failed call as an incident
        configuration.includesChunkText = false // chunks at trace without the text
        return configuration
    }

    /// MetricsEventHandler
    static func metricsHandler(configuration: inout LLMClient.Configuration) -> MetricsEventHandler {
        let metrics = MetricsEventHandler()   // MetricsSystem.factory, prefix "sluice_"
        configuration.eventHandlers.append(metrics)

        // Many keys in a pool? Drop the key dimension:
        let lean = MetricsEventHandler(configuration: .init(dimensions: [.provider, .model]))
        return lean
    }

    /// MetricsEventHandler.Configuration
    static func metricsConfiguration() -> MetricsEventHandler.Configuration {
        let configuration = MetricsEventHandler.Configuration(labelPrefix: "llm_", dimensions: [.provider, .model])
        return configuration
    }

    /// TracingEventHandler
    static func tracingHandler(
        configuration: inout LLMClient.Configuration, tracer: some Tracer, request: ChatRequest
    ) async throws {
        configuration.eventHandlers.append(TracingEventHandler())
        let client = try LLMClient(configuration)
        try await tracer.withSpan("handle request") { _ in
            _ = try await client.chat(request)   // "chat gpt-4o-mini" is a child of "handle request"
        }
    }

    /// A log for the AsyncEventHandler sample.
    actor AuditLog {
        func write(_ callID: UInt64, _ usage: Usage?) {}
        func write(_ event: ClientEvent) {}
    }

    /// AsyncEventHandler
    static func asyncDelivery(configuration: inout LLMClient.Configuration, log: AuditLog) async {
        struct AuditHandler: AsyncEventHandler {
            let log: AuditLog
            func handle(_ event: ClientEvent) async {
                if event.kind == .requestSucceeded { await log.write(event.callID, event.usage) }
            }
        }

        let audit = AsyncEventDelivery(AuditHandler(log: log))
        configuration.eventHandlers.append(audit)
        // … calls …
        await audit.finish()   // delivers what is buffered, then returns
    }

    /// ClientEvent
    struct PrintRetries: ClientEventHandler {
        func handle(_ event: ClientEvent) {
            if event.kind == .retryScheduled { print(event.callID, event.delay ?? .zero, event.reason ?? "") }
        }
    }

    /// ClientEventHandler
    static func scopedRecorder(client: LLMClient, request: ChatRequest) async throws {
        let recorder = EventRecorder()
        try await withEventHandler(recorder) {
            _ = try await client.chat(request)
        }
    }

    /// EventStream
    static func eventStream(key: String, auditLog: AuditLog, logger: Logger) async {
        let stream = EventStream(capacity: 1_024)
        var configuration = LLMClient.Configuration.openAI(apiKey: key)
        configuration.eventHandlers.append(stream)

        let consumer = Task {
            for await event in stream.events {
                await auditLog.write(event)          // as slow as it needs to be
            }
        }
        // … calls …
        stream.finish()                              // the loop ends after the buffered events
        await consumer.value
        if stream.droppedCount > 0 { logger.warning("dropped \(stream.droppedCount) events") }
        _ = configuration
    }

    /// EventRecorder
    static func eventRecorder(client: LLMClient, request: ChatRequest) async throws {
        let recorder = EventRecorder()
        _ = try await withEventHandler(recorder) {
            try await client.chat(request)
        }
        let call = try #require(recorder.callIDs.first)
        #expect(recorder.kinds(forCall: call) == [.requestStarted, .requestSucceeded])
        #expect(recorder.events(ofKind: .requestSucceeded).first?.usage?.outputTokens == 5)
    }

    // MARK: Usage

    /// Cost
    static func cost(tracker: UsageTracker, logger: Logger) {
        let summary = tracker.snapshot()
        if let cost = summary.cost {
            logger.info("spent \(cost)")          // "$0.000225"
        } else {
            logger.warning("no price for \(summary.unpricedModels)")
        }
    }

    /// ModelPrice
    static func modelPrice() -> ModelPrice {
        // $0.15 input, $0.075 cached input, $0.60 output per million tokens
        let price = ModelPrice(input: 0.15, cachedInput: 0.075, output: 0.60)
        return price
    }

    /// PriceTable
    static func priceTable() -> UsageTracker {
        var prices = PriceTable.default
        prices["my-finetune"] = ModelPrice(input: 0.30, cachedInput: 0.15, output: 1.20)
        prices["gpt-4o"] = ModelPrice(input: 2.00, cachedInput: 1.00, output: 8.00)  // your rate
        let tracker = UsageTracker(prices: prices)
        return tracker
    }

    /// UsageSummary
    static func usageSummary(client: LLMClient, request: ChatRequest) async throws -> ChatResponse {
        let (reply, usage) = try await withUsageTracking {
            try await client.chat(request)
        }
        print(usage.totals.totalTokens, usage.cost.map(String.init(describing:)) ?? "unknown cost")
        for (key, totals) in usage.byKey { print(key, totals.requests) }
        return reply
    }

    /// UsageTotals
    static func usageTotals(tracker: UsageTracker) {
        let summary = tracker.snapshot()
        let mini = summary.byModel["gpt-4o-mini"]
        print(mini?.inputTokens ?? 0, mini?.cost?.description ?? "unpriced")
    }

    /// UsageTracker
    static func usageTracker(key: String, logger: Logger) -> LLMClient.Configuration {
        let tracker = UsageTracker()                       // PriceTable.default
        var configuration = LLMClient.Configuration.openAI(apiKey: key)
        configuration.eventHandlers.append(tracker)
        // … calls …
        let usage = tracker.snapshot()
        logger.info("tokens: \(usage.totals.totalTokens), cost: \(usage.cost?.description ?? "unknown")")
        return configuration
    }

    /// withUsageTracking
    static func usageTracking(client: LLMClient, questions: [ChatRequest]) async throws -> [ChatResponse] {
        let (answers, usage) = try await withUsageTracking {
            try await withThrowingTaskGroup(of: ChatResponse.self) { group in
                for question in questions { group.addTask { try await client.chat(question) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        print(usage.totals.totalTokens, usage.cost?.description ?? "unknown cost")
        return answers
    }
}
