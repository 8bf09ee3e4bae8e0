import ArgumentParser
import Sluice

@testable import sluice

// The Swift samples of the doc comments in Sources/sluice. This file compiling is what keeps them
// compiling; `DocumentationSamplesTests` (in Tests/SluiceTests) checks that they are here line for
// line. Change them together. The code is compiled, not run.

enum CommandSymbolSamples {
    /// LogLevelOption
    struct Chat: AsyncParsableCommand {
        @OptionGroup var logging: LogLevelOption

        func run() async throws {
            var configuration = LLMClient.Configuration.openAI(apiKey: "sk-…")
            configuration.eventHandlers += logging.eventHandlers(label: "sluice.chat")
            try await withLLMClient(configuration) { client in
                print(try await client.chat("Hi", model: "gpt-4o-mini").text)
            }
        }
    }
}
