import ServiceLifecycle

extension LLMClient: Service {
    /// Runs until the service group shuts down gracefully (or the task is cancelled), then drains the
    /// calls in flight and closes the transport.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }
}
