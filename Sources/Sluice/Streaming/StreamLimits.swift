/// How many bytes a streamed reply may bring: the whole stream, and any one of its events.
///
/// A stream is read as it arrives, so nothing else caps what a server can send: without these limits
/// a server that never stops (or sends one endless event) would grow the client's memory without
/// bound. Exceeding a limit ends the stream with a typed error that carries the reply so far in
/// ``SluiceError/partialResponse``, as other mid-stream failures do:
///
/// | limit | default | error |
/// |---|---|---|
/// | ``maxBytes`` | 64 MiB | ``SluiceError/Code/bodyTooLarge`` |
/// | ``maxEventBytes`` | 1 MiB | ``SluiceError/Code/malformedStream`` |
///
/// Why these defaults: a long generation is a few hundred kilobytes of events, and the largest single
/// events (a tool call's arguments sent whole, a long citation) stay well under a megabyte.
///
/// ```swift
/// configuration.streamLimits = StreamLimits(maxBytes: 8 << 20)   // every stream of the client
/// var options = CallOptions()
/// options.streamLimits = StreamLimits(maxEventBytes: 4 << 20)    // one call
/// ```
public struct StreamLimits: Sendable, Hashable {
    /// The most bytes one stream may bring, counted as its body arrives (SSE framing, keep-alive pings
    /// and comments included). Default 64 MiB.
    public var maxBytes: Int
    /// The most bytes one server-sent event may hold: its data (all its `data` lines), and any one
    /// line of the stream without its `data: ` prefix. Default 1 MiB.
    public var maxEventBytes: Int

    /// - Parameters:
    ///   - maxBytes: the most bytes in one stream (at least 1). Default 64 MiB.
    ///   - maxEventBytes: the most bytes in one event (at least 1). Default 1 MiB.
    public init(maxBytes: Int = 64 << 20, maxEventBytes: Int = 1 << 20) {
        self.maxBytes = max(1, maxBytes)
        self.maxEventBytes = max(1, maxEventBytes)
    }

    /// 64 MiB per stream, 1 MiB per event.
    public static var `default`: StreamLimits { StreamLimits() }

    /// The parser limits that enforce ``maxEventBytes``: a line may also hold its field name.
    var parserConfiguration: ServerSentEventParser.Configuration {
        let (line, overflow) = max(1, maxEventBytes).addingReportingOverflow(Self.longestFieldPrefix)
        return ServerSentEventParser.Configuration(
            maxLineLength: overflow ? Int.max : line, maxEventSize: max(1, maxEventBytes))
    }

    /// `retry: `, the longest field name the parser keeps, with its colon and space.
    private static let longestFieldPrefix = 7

    /// The error for a stream that brought more than ``maxBytes``.
    var tooManyBytes: SluiceError {
        SluiceError(.bodyTooLarge, "the stream is larger than its limit of \(maxBytes) bytes (StreamLimits.maxBytes)")
    }
}
