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

/// A source that serves chunks held in memory.
final class InMemoryBodySource: ResponseBodySource {
    private let remaining: Mutex<ArraySlice<[UInt8]>>

    init(_ chunks: [[UInt8]]) {
        remaining = Mutex(chunks[...])
    }

    nonisolated(nonsending) func next() async throws -> [UInt8]? {
        remaining.withLock { $0.popFirst() }
    }

    /// Every chunk not yet served.
    func takeAll() -> ArraySlice<[UInt8]> {
        remaining.withLock { remaining in
            defer { remaining = [] }
            return remaining
        }
    }

    func cancel() {
        remaining.withLock { $0 = [] }
    }
}

import Synchronization
