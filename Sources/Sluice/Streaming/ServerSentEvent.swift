/// One event of a `text/event-stream` response, as dispatched by ``ServerSentEventParser``.
///
/// OpenAI-compatible servers send only `data` (a JSON chunk, then the literal `[DONE]`); Anthropic
/// sends an `event` line naming the type and a `data` line holding the JSON payload:
///
/// ```text
/// event: content_block_delta
/// data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}
///
/// ```
public struct ServerSentEvent: Sendable, Hashable, CustomStringConvertible {
    /// The event type from the `event` field, or `nil` when the event had none (or an empty one).
    /// Browsers call such an event `"message"`.
    public var event: String?

    /// The event's data: the values of its `data` lines joined with `"\n"`.
    public var data: String

    /// The stream's last event ID at the time of dispatch: the value of the most recent `id` field,
    /// carried over to later events as the spec's "last event ID" is, or `nil` when the stream has not
    /// sent one. An `id` field with an empty value sets it to `""`.
    public var id: String?

    /// The reconnection time from a `retry` field seen since the previous dispatched event, if any.
    public var retry: Duration?

    public init(event: String? = nil, data: String, id: String? = nil, retry: Duration? = nil) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
    }

    /// The event in wire form (one `event`/`id`/`retry` line each when set, one `data` line per line
    /// of ``data``, then a blank line). Useful in logs and for building test streams.
    public var description: String {
        var text = ""
        if let event { text += "event: \(event)\n" }
        if let id { text += "id: \(id)\n" }
        if let retry {
            let (seconds, attoseconds) = retry.components
            text += "retry: \(seconds * 1000 + attoseconds / 1_000_000_000_000_000)\n"
        }
        var line = ""
        for character in data.unicodeScalars {
            if character == "\n" {
                text += "data: \(line)\n"
                line = ""
            } else {
                line.unicodeScalars.append(character)
            }
        }
        text += "data: \(line)\n\n"
        return text
    }
}
