/// The events of a `text/event-stream` body, as an async sequence.
///
/// Wraps any async sequence of byte chunks (such as a ``ResponseBody``) and parses it with a
/// ``ServerSentEventParser``:
///
/// ```swift
/// for try await event in response.body.serverSentEvents() {
///     if event.data == "[DONE]" { break }
///     // decode event.data
/// }
/// ```
///
/// When the base sequence ends, a final event without a trailing blank line is still delivered (see
/// ``ServerSentEventParser/finish(into:)``).
///
/// - Important: Errors from the base sequence are rethrown unchanged; a stream that breaks a parser
///   limit throws ``SluiceError/Code/malformedStream``. Iterate it once, from one task.
public struct ServerSentEventSequence<Base: AsyncSequence>: AsyncSequence where Base.Element == [UInt8] {
    public typealias Element = ServerSentEvent

    private let base: Base
    private let configuration: ServerSentEventParser.Configuration

    /// The events of `base`, parsed with the given limits.
    public init(_ base: Base, configuration: ServerSentEventParser.Configuration = .default) {
        self.base = base
        self.configuration = configuration
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), configuration: configuration)
    }

    /// Reads chunks from the base sequence as it needs them and returns events one at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private var base: Base.AsyncIterator
        private var parser: ServerSentEventParser
        private var pending: [ServerSentEvent] = []
        private var pendingIndex = 0
        private var baseEnded = false

        init(base: Base.AsyncIterator, configuration: ServerSentEventParser.Configuration) {
            self.base = base
            self.parser = ServerSentEventParser(configuration: configuration)
        }

        public mutating func next() async throws -> ServerSentEvent? {
            while true {
                if pendingIndex < pending.count {
                    let event = pending[pendingIndex]
                    pendingIndex += 1
                    return event
                }
                if baseEnded { return nil }
                var events = pending
                pending = []
                events.removeAll(keepingCapacity: true)
                pendingIndex = 0
                if let chunk = try await base.next() {
                    try parser.parse(chunk) { events.append($0) }
                } else {
                    baseEnded = true
                    try parser.finish { events.append($0) }
                }
                pending = events
            }
        }
    }
}

extension ServerSentEventSequence: Sendable where Base: Sendable {}

extension AsyncSequence where Element == [UInt8] {
    /// The server-sent events of this byte stream; see ``ServerSentEventSequence``.
    public func serverSentEvents(
        configuration: ServerSentEventParser.Configuration = .default
    ) -> ServerSentEventSequence<Self> {
        ServerSentEventSequence(self, configuration: configuration)
    }
}
