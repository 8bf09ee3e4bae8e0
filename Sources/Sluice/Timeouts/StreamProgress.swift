import Synchronization

/// How far a streamed chat reply has got in content, shared by the stream that decodes it and the
/// timers that bound it.
///
/// ``ChatStream`` counts each chunk that brought a content event (``ChatStreamEvent/isContent``)
/// before it reads the next chunk; ``TimedSpan`` reads the count when the consumer starts waiting, so
/// the first-token and idle limits count from the last content, not from the last byte. Bytes that
/// bring no content (keep-alive comments, `ping` events, role-only chunks) never restart them.
///
/// One per streamed call, on ``ClientContext/streamProgress``; a body without one (a plain reply, an
/// embeddings answer) is paced by its chunks.
final class StreamProgress: Sendable {
    private let contentChunks = Atomic(0)

    init() {}

    /// A chunk brought content.
    func contentArrived() {
        contentChunks.add(1, ordering: .releasing)
    }

    /// How many chunks have brought content so far.
    var count: Int { contentChunks.load(ordering: .acquiring) }
}
