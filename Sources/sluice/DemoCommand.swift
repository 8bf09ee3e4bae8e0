import ArgumentParser

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a short exchange through Sluice against the embedded mock LLM server."
    )

    func run() async throws {}
}
