import Logging
import Testing
import Tracing

@testable import Sluice

/// No adapter output holds the API key a `KeyID` was made from, or a recognisable part of it.
@Suite("Adapter redaction")
struct AdapterRedactionTests {
    /// The key and the parts of it that would give it away.
    static let secrets = [AdapterEvents.canaryKey, "REDACTION-CANARY", "CANARY"]

    static func leaks(_ text: String) -> Bool { secrets.contains { text.contains($0) } }

    @Test("the key id is not the key")
    func keyIDIsNotTheKey() {
        #expect(!Self.leaks(AdapterEvents.keyID.rawValue))
        #expect(!Self.leaks(AdapterEvents.keyID.description))
    }

    @Test("no log line or metadata value holds the key, at any level")
    func logs() {
        let recorder = AdapterLogRecorder()
        let handler = LoggingEventHandler(logger: recorder.logger(level: .trace))
        for sequence in AdapterEvents.all { handler.handle(sequence) }
        #expect(recorder.lines.count > 30)
        for line in recorder.lines {
            #expect(!Self.leaks(line.message))
            for (key, value) in line.metadata {
                #expect(!Self.leaks(key))
                #expect(!Self.leaks("\(value)"), "metadata \(key) holds the key")
            }
        }
        // The key id is what identifies the key instead.
        #expect(recorder.lines.allSatisfy { $0.metadata["sluice.key_id"] == .string(AdapterEvents.keyID.rawValue) })
    }

    @Test("no metric label or dimension holds the key")
    func metrics() {
        let factory = AdapterMetricsFactory()
        let handler = MetricsEventHandler(factory: factory)
        for sequence in AdapterEvents.all { handler.handle(sequence) }
        #expect(factory.handlers.count > 10)
        for (_, metric) in factory.handlers {
            #expect(!Self.leaks(metric.label))
            for (name, value) in metric.dimensions {
                #expect(!Self.leaks(name))
                #expect(!Self.leaks(value), "dimension \(name) holds the key")
            }
        }
    }

    @Test("no span name, attribute, event or status holds the key")
    func spans() {
        let tracer = AdapterTestTracer()
        let handler = TracingEventHandler(tracer: tracer)
        for sequence in AdapterEvents.all { handler.handle(sequence) }
        #expect(tracer.started.count > 7)
        for span in tracer.started {
            #expect(!Self.leaks(span.operationName))
            for (name, value) in span.attributeTexts {
                #expect(!Self.leaks(name))
                #expect(!Self.leaks(value), "attribute \(name) holds the key")
            }
            for event in span.events {
                #expect(!Self.leaks(event.name))
                event.attributes.forEach { name, value in
                    #expect(!Self.leaks(name))
                    #expect(!Self.leaks("\(value)"))
                }
            }
            #expect(!Self.leaks(span.status?.message ?? ""))
            for error in span.errors {
                #expect(!Self.leaks(String(describing: error)))
                #expect(!Self.leaks(String(reflecting: error)))
            }
        }
    }
}
