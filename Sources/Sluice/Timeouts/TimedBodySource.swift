/// A body source that reads an inner body under a ``TimedSpan``'s limits.
///
/// It tells the span when the consumer starts and stops waiting, and throws the span's typed error
/// once it has expired. Ending it ends the inner body exactly once: reading to the end or a read error
/// ends the inner body itself; ``cancel()`` (the outer body discarded or its consumer cancelled)
/// discards the inner body; an expiry discards it from the watchdog.
final class TimedBodySource: ResponseBodySource, @unchecked Sendable {
    private let span: TimedSpan
    /// Touched only by `next()`, which the ``ResponseBodySource`` contract never calls concurrently.
    private var iterator: ResponseBody.AsyncIterator

    init(span: TimedSpan, inner: ResponseBody) {
        self.span = span
        iterator = inner.makeAsyncIterator()
    }

    nonisolated(nonsending) func next() async throws -> [UInt8]? {
        if let expired = span.beginWait() { throw expired }
        do {
            let chunk = try await iterator.next()
            if let expired = span.endWait(gotChunk: chunk != nil) { throw expired }
            return chunk
        } catch {
            // An expiry discards the inner body, so its read fails (or ends early): report the expiry.
            if let expired = span.expiredError { throw expired }
            throw error
        }
    }

    func cancel() {
        span.discardInner()
    }
}
