/// Sends one HTTP request and returns the response head with a streaming body.
///
/// The innermost layer of the stack. ``CurlTransport`` is the production implementation; the
/// `SluiceTesting` module has an in-memory one for unit tests.
///
/// - Important: `send` returns once the response head has arrived. Cancelling the calling task
///   before then aborts the request and throws `CancellationError`. After it returns, the transfer
///   lives as long as the ``ResponseBody``: cancelling the task that consumes the body, or discarding
///   the body, aborts it. Errors are ``SluiceError``s.
///
/// The requirement is `nonisolated(nonsending)` (it runs on the caller's executor, no switch on the
/// way in or out); a plain `async` implementation conforms too.
public protocol ClientTransport: Sendable {
    nonisolated(nonsending) func send(_ request: ClientRequest) async throws -> ClientResponse

    /// Whether `send` itself fails with ``SluiceError/Code/responseHeadTimeout`` once
    /// ``ClientRequest/responseHeadTimeout`` passes without a response head (measured on the real
    /// clock from the call to `send`). When it does, ``AttemptTimeoutMiddleware`` hands the head
    /// limit down instead of timing it with a task of its own. `false` unless implemented.
    var enforcesResponseHeadTimeout: Bool { get }
}

extension ClientTransport {
    public var enforcesResponseHeadTimeout: Bool { false }
}
