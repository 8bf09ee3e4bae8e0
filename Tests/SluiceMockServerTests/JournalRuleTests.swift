import Testing

@testable import SluiceMockServer

@Suite("Mock server journal: engine annotations")
struct JournalRuleTests {
    @Test("noteRule annotates the current request's entry, and nothing outside a request")
    func noteRule() throws {
        let engine = MockServerEngine(configuration: MockServerConfiguration())
        let journal = try #require(engine.journal)
        let handle = journal.append(
            MockJournalEntry(
                sequence: 0, time: 0, method: "POST", path: "/v1/messages", headers: [], body: "", bodyBytes: 0,
                bodyTruncated: false, key: nil, rule: nil, rateLimit: nil,
                outcome: .init(status: nil, fault: nil, end: .pending)))
        engine.noteRule("outside")
        #expect(journal.page().entries.first?.rule == nil)
        MockJournal.$current.withValue(handle) { engine.noteRule("weather-rule") }
        #expect(journal.page().entries.first?.rule == "weather-rule")
        #expect(journal.page().entries.first?.sequence == 1)
    }
}
