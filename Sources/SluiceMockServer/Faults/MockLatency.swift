/// Delays the mock server adds to a response, to imitate a model's timing.
///
/// - ``head``: before the response head is sent (every endpoint).
/// - ``firstToken``: for a stream, after the head and before the first content chunk.
/// - ``perToken``: for a stream, before every content chunk after the first.
///
/// A non-streaming chat completion waits `head + firstToken + perToken × (tokens − 1)` before
/// its head, like a real model that generates the whole reply first.
///
/// ```swift
/// var configuration = MockServerConfiguration()
/// configuration.latency = MockLatency(head: .milliseconds(50), perToken: .milliseconds(20))
/// ```
public struct MockLatency: Sendable, Hashable {
    /// Delay before the response head.
    public var head: Duration
    /// Delay before a stream's first content chunk.
    public var firstToken: Duration
    /// Delay before each later content chunk of a stream.
    public var perToken: Duration

    /// Creates latency settings; every value defaults to zero.
    public init(head: Duration = .zero, firstToken: Duration = .zero, perToken: Duration = .zero) {
        self.head = head
        self.firstToken = firstToken
        self.perToken = perToken
    }

    /// No added delay.
    public static let none = MockLatency()
}
