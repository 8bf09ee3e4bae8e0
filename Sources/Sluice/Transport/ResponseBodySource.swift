/// The producer behind a ``ResponseBody``: a transport (or a middleware that transforms a body)
/// implements it.
///
/// - Important: ``next()`` is called by one consumer at a time, never concurrently with itself.
///   It must return promptly, throwing `CancellationError`, when the calling task is cancelled while
///   it waits. ``cancel()`` is called at most once, when the consumer gives up (cancelled, discarded,
///   or a size limit was exceeded); it may arrive while a `next()` call is pending on another task,
///   which must then return promptly, and it may arrive after the source has already ended, in which
///   case it must do nothing.
public protocol ResponseBodySource: Sendable {
    /// The next chunk of bytes, or `nil` once the body has ended. (`nonisolated(nonsending)`: it runs
    /// on the consumer's executor; a plain `async` implementation conforms too.)
    nonisolated(nonsending) func next() async throws -> [UInt8]?
    /// Abort the body: release the connection, handle or buffer behind it.
    func cancel()
}
