extension SluiceError.Code {
    // MARK: Decoding

    /// A streamed response broke the `text/event-stream` format or went over a configured limit (a line
    /// or an event larger than ``ServerSentEventParser/Configuration`` allows). The message says what
    /// was wrong, the byte offset in the stream and the number of the event being read.
    public static let malformedStream = SluiceError.Code("malformed_stream")

    /// A response body or event payload is not valid JSON (RFC 8259), or valid JSON that does not have
    /// the shape the decoder expects. The message says what was wrong and the byte offset, with at most
    /// a short excerpt of the input.
    public static let decodingFailed = SluiceError.Code("decoding_failed")
}
