import ServiceLifecycle

extension LLMRouter: Service {
    /// Runs until the service group shuts down gracefully (or the task is cancelled), then shuts the
    /// router down (and its clients, when it owns them).
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }
}
