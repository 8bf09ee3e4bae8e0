import ArgumentParser
import Sluice
import Testing

@testable import sluice

@Suite("sluice chat and bench: provider options")
struct ProviderOptionsTests {
    private func options(_ arguments: [String]) throws -> ProviderOptions {
        try ProviderOptions.parse(arguments)
    }

    @Test("without --provider, the provider whose key variable is set; OpenAI when both or neither are")
    func providerFromEnvironment() throws {
        let options = try self.options([])
        let anthropicOnly = ["ANTHROPIC_API_KEY": "a"]
        let both = ["ANTHROPIC_API_KEY": "a", "OPENAI_API_KEY": "o"]
        let emptyOpenAI = ["ANTHROPIC_API_KEY": "a", "OPENAI_API_KEY": ""]
        #expect(try options.chosenProvider(environment: { anthropicOnly[$0] }) == .anthropic)
        #expect(try options.chosenProvider(environment: { emptyOpenAI[$0] }) == .anthropic)
        #expect(try options.chosenProvider(environment: { both[$0] }) == .openAI)
        #expect(try options.chosenProvider(environment: { _ in nil }) == .openAI)
        #expect(try self.options(["--provider", "OpenAI"]).chosenProvider(environment: { anthropicOnly[$0] }) == .openAI)
        let unknown = #expect(throws: (any Error).self) { try self.options(["--provider", "gemini"]) }
        #expect(ProviderOptions.message(for: unknown!).contains("--provider must be openai or anthropic"))
    }

    @Test("the base URL: --base-url, else the provider's variable, else the provider's endpoint")
    func baseURL() throws {
        let environment = ["OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "ANTHROPIC_BASE_URL": ""]
        #expect(try self.options([]).baseURL(for: .openAI, environment: { environment[$0] }) == "http://127.0.0.1:9/v1")
        #expect(try self.options([]).baseURL(for: .anthropic, environment: { environment[$0] }) == "https://api.anthropic.com")
        #expect(
            try self.options(["--base-url", "http://[::1]:8/v1"]).baseURL(for: .openAI, environment: { environment[$0] })
                == "http://[::1]:8/v1")
    }

    @Test("key variables: those given, else the provider's; a variable named twice is refused")
    func keyVariables() throws {
        #expect(try self.options([]).keyVariables(for: .anthropic) == ["ANTHROPIC_API_KEY"])
        #expect(try self.options(["--api-key-env", "A", "--api-key-env", "B"]).keyVariables(for: .openAI) == ["A", "B"])
        let twice = #expect(throws: (any Error).self) { try self.options(["--api-key-env", "A", "--api-key-env", "A"]) }
        #expect(ProviderOptions.message(for: twice!).contains("names a variable twice"))
        let chatPool = #expect(throws: (any Error).self) {
            try ChatCommand.parse(["--model", "m", "--api-key-env", "A", "--api-key-env", "B", "hi"])
        }
        #expect(ChatCommand.message(for: chatPool!).contains("one --api-key-env"))
    }
}
