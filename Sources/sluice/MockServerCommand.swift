import ArgumentParser

struct MockServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-server",
        abstract: "Run the mock LLM server (OpenAI-compatible, with per-key limits and faults)."
    )

    func run() async throws {}
}
