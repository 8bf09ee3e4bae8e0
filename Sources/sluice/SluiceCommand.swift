import ArgumentParser

@main
struct SluiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A rate-limited, resilient LLM client: demo, chat, bench and a mock LLM server.",
        subcommands: [DemoCommand.self, ChatCommand.self, BenchCommand.self, MockServerCommand.self]
    )
}
