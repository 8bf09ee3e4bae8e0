import SluiceMockServer
import Testing

@testable import sluice

@Suite("sluice mock-server options")
struct MockServerCommandTests {
    @Test("every limit and bucket capacity reaches the server's limits, for named and unknown keys")
    func limits() throws {
        let command = try MockServerCommand.parse([
            "--rpm", "60", "--tpm", "6000", "--itpm", "4000", "--otpm", "1000",
            "--request-burst", "5", "--token-burst", "600", "--input-token-burst", "400", "--output-token-burst", "100",
            "--key", "team=sk-test",
        ])
        let configuration = try command.makeConfiguration()
        let expected = MockRateLimits(
            requestsPerMinute: 60, tokensPerMinute: 6000, inputTokensPerMinute: 4000, outputTokensPerMinute: 1000,
            requestBurst: 5, tokenBurst: 600, inputTokenBurst: 400, outputTokenBurst: 100)
        #expect(configuration.defaultLimits == expected)
        #expect(configuration.keys.first?.limits == expected)
    }

    @Test("--admin-token and --journal-capacity reach the configuration; bad values are refused")
    func adminAndJournal() throws {
        let configuration = try MockServerCommand.parse(["--admin-token", "t0k", "--journal-capacity", "7"])
            .makeConfiguration()
        #expect(configuration.admin?.token == "t0k")
        #expect(configuration.journal.capacity == 7)
        #expect(throws: (any Error).self) { try MockServerCommand.parse(["--journal-capacity", "-1"]) }
        #expect(throws: (any Error).self) { try MockServerCommand.parse(["--admin-token", ""]) }
    }

    @Test("a bucket capacity of zero or less is refused")
    func refusesNonPositive() {
        #expect(throws: (any Error).self) { try MockServerCommand.parse(["--input-token-burst", "0"]) }
        #expect(throws: (any Error).self) { try MockServerCommand.parse(["--output-token-burst", "-3"]) }
    }
}
