import ArgumentParser
import Foundation
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

    private func scriptFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-script-\(UInt64.random(in: 0...UInt64.max)).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("--script loads the rules into the configuration")
    func loadsScript() throws {
        let path = try self.scriptFile(#"{"rules": [{"name": "r", "reply": {"text": "hi"}}], "default": {"status": 503}}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try MockServerCommand.parse(["--script", path]).makeConfiguration()
        #expect(configuration.script?.rules.map(\.name) == ["r"])
        #expect(configuration.script?.defaultReply?.status == 503)
    }

    @Test("a malformed --script is refused with FILE:LINE:COLUMN and exit status 1")
    func refusesBadScript() async throws {
        let path = try self.scriptFile("{\n  \"rules\": [\n    {\"reply\": {\"fault\": {\"kind\": \"boom\"}}}\n  ]\n}\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let command = try MockServerCommand.parse(["--script", path])
        #expect(throws: MockScriptFileError.self) { try command.makeConfiguration() }
        do {
            _ = try command.makeConfiguration()
        } catch let error as MockScriptFileError {
            #expect("\(error)" == "\(path):3:34: unknown fault kind 'boom'")
        }
        await #expect(throws: ExitCode.failure) { try await command.run() }
        let missing = try MockServerCommand.parse(["--script", path + ".missing"])
        #expect(throws: MockScriptFileError.self) { try missing.makeConfiguration() }
    }

    @Test("--reject-unknown-models and --model reach the configuration")
    func models() throws {
        let configuration = try MockServerCommand.parse([
            "--reject-unknown-models", "--model", "m1", "--model", "m2",
        ]).makeConfiguration()
        #expect(configuration.acceptsUnknownModels == false)
        #expect(configuration.models == ["m1", "m2"])
        #expect(try MockServerCommand.parse([]).makeConfiguration().acceptsUnknownModels)
    }
}
