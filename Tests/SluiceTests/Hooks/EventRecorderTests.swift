import Sluice
import SluiceTesting
import Testing

@Suite("EventRecorder")
struct EventRecorderTests {
    @Test("records events in order and answers per call and per kind")
    func recordsAndQueries() {
        let recorder = EventRecorder()
        recorder.handle(usageTestEvent(.requestStarted, call: 1))
        recorder.handle(usageTestEvent(.requestStarted, call: 2))
        recorder.handle(usageTestEvent(.chunk, call: 1))
        recorder.handle(usageTestEvent(.requestFailed, call: 2))
        recorder.handle(usageTestEvent(.requestSucceeded, call: 1, usage: Usage(inputTokens: 1, outputTokens: 2)))

        #expect(recorder.events.map(\.callID) == [1, 2, 1, 2, 1])
        #expect(recorder.callIDs == [1, 2])
        #expect(recorder.kinds(forCall: 1) == [.requestStarted, .chunk, .requestSucceeded])
        #expect(recorder.kinds(forCall: 2) == [.requestStarted, .requestFailed])
        #expect(recorder.kinds(forCall: 3).isEmpty)
        #expect(recorder.events(ofKind: .requestStarted).map(\.callID) == [1, 2])
        #expect(recorder.events(ofKind: .requestSucceeded).first?.usage?.outputTokens == 2)
        #expect(recorder.events(forCall: 2).count == 2)

        recorder.reset()
        #expect(recorder.events.isEmpty)
        #expect(recorder.callIDs.isEmpty)
    }

    @Test("records a real call's events, in a task scope, without the API key")
    func realCall() async throws {
        let client = LLMClient(
            .openAI(apiKey: "sk-SECRET-MARKER", baseURL: "http://127.0.0.1:1/v1"),
            transport: InMemoryTransport { _ in
                ClientResponse(status: 200, body: ResponseBody(bytes: UsageTestBodies.completion()))
            }
        )
        let recorder = EventRecorder()
        _ = try await withEventHandler(recorder) {
            try await client.chat(ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")]))
        }
        let call = try #require(recorder.callIDs.first)
        #expect(recorder.kinds(forCall: call) == [.requestStarted, .attemptStarted, .responseHead, .requestSucceeded])
        let succeeded = try #require(recorder.events(ofKind: .requestSucceeded).first)
        #expect(succeeded.usage == Usage(inputTokens: 10, outputTokens: 5))
        #expect(succeeded.keyID == KeyID(apiKey: "sk-SECRET-MARKER"))
        #expect(recorder.events.allSatisfy { !String(describing: $0).contains("SECRET") })
    }

    @Test("many concurrent calls keep each call's own order")
    func concurrentOrder() async {
        let recorder = EventRecorder()
        await withTaskGroup(of: Void.self) { group in
            for call in 1...20 {
                group.addTask {
                    for kind in [ClientEvent.Kind.requestStarted, .chunk, .chunk, .requestSucceeded] {
                        recorder.handle(usageTestEvent(kind, call: UInt64(call)))
                    }
                }
            }
        }
        #expect(recorder.events.count == 80)
        #expect(Set(recorder.callIDs) == Set(1...20))
        for call in recorder.callIDs {
            #expect(recorder.kinds(forCall: call) == [.requestStarted, .chunk, .chunk, .requestSucceeded])
        }
    }
}
