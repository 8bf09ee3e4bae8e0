/// Receives the events of every call in its scope.
///
/// Attach handlers to the client (``LLMClient/Configuration/eventHandlers``), to one call
/// (``CallOptions/eventHandlers``) or to a task scope (``withEventHandler(_:operation:)``).
///
/// - Important: `handle` runs synchronously on the task doing the work, in order for each call: keep
///   it cheap and never block. To do slow work, hand events to an ``EventStream`` (a bounded buffer
///   that drops rather than blocks) and consume them elsewhere.
public protocol ClientEventHandler: Sendable {
    func handle(_ event: ClientEvent)
}

/// Handlers that see every call made inside a task scope, child tasks included.
enum TaskEventHandlers {
    @TaskLocal static var current: [any ClientEventHandler] = []
}

/// Runs `operation` with `handler` seeing every call made in it, in child tasks too.
///
/// ```swift
/// let recorder = EventRecorder()
/// try await withEventHandler(recorder) {
///     _ = try await client.chat(request)
/// }
/// ```
///
/// - Important: The scope is a task-local value: tasks created with `Task.detached` do not inherit
///   it, and neither does work started before the scope began.
public func withEventHandler<Result>(
    _ handler: any ClientEventHandler,
    isolation: isolated (any Actor)? = #isolation,
    operation: () async throws -> Result
) async rethrows -> Result {
    try await TaskEventHandlers.$current.withValue(TaskEventHandlers.current + [handler], operation: operation, isolation: isolation)
}
