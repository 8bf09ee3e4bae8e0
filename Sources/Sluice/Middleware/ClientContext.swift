/// What the layers know about the call a request belongs to.
///
/// The client makes one per call; middleware pass it down (changed, if they like: the retry layer
/// sets ``attempt``, the deadline layer ``deadline``, the rate limiter ``keyID``). ``usage`` is shared
/// by every copy: the typed layer reports the real usage there, and layers that reserved tokens
/// settle from it.
public struct ClientContext: Sendable {
    /// Which API operation this is.
    public struct Operation: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let chat = Operation("chat")
        public static let streamChat = Operation("stream_chat")
        public static let embeddings = Operation("embeddings")
    }

    /// A process-unique id for the call, for events and logs.
    public var callID: UInt64
    public var provider: Provider
    public var model: String
    public var operation: Operation
    /// The tokens the call is expected to cost: the prompt estimate and the most it may generate.
    public var tokenEstimate: TokenEstimate
    /// Which attempt this is: 1 for the first, 2 for the first retry, …
    public var attempt: Int
    /// When the whole call must end, on the client's clock (``SluiceClock/now``), if it has a deadline.
    public var deadline: Duration?
    /// The short, non-reversible id of the API key the request is sent with, once chosen.
    public var keyID: KeyID?
    /// Where the typed layer reports the call's real usage.
    public let usage: UsageReport
    /// Per-call settings layers read (overrides of their defaults).
    public var options: CallOptions
    /// Where layers report what they do (see ``ClientEvent``).
    public var events: EventEmitter

    public var isStreaming: Bool { operation == .streamChat }

    public init(
        callID: UInt64,
        provider: Provider,
        model: String,
        operation: Operation,
        tokenEstimate: TokenEstimate = TokenEstimate(),
        attempt: Int = 1,
        deadline: Duration? = nil,
        keyID: KeyID? = nil,
        usage: UsageReport = UsageReport(),
        options: CallOptions = CallOptions(),
        events: EventEmitter = .none
    ) {
        self.callID = callID
        self.provider = provider
        self.model = model
        self.operation = operation
        self.tokenEstimate = tokenEstimate
        self.attempt = attempt
        self.deadline = deadline
        self.keyID = keyID
        self.usage = usage
        self.options = options
        self.events = events
    }
}

/// The tokens a call is expected to cost, for reserving rate budget before it is sent.
public struct TokenEstimate: Sendable, Hashable {
    /// The estimated prompt (input) tokens.
    public var input: Int
    /// The most output tokens the call may produce (its `max_tokens`, or the client's assumption).
    public var maxOutput: Int

    public init(input: Int = 0, maxOutput: Int = 0) {
        self.input = input
        self.maxOutput = maxOutput
    }

    public var total: Int { input + maxOutput }
}

/// Settings for one call that override the client's defaults, passed in ``ClientContext/options``.
///
/// Empty by default; layers add their own fields in extensions of their own (the retry policy, the
/// timeouts, the rate-limit wait policy).
public struct CallOptions: Sendable {
    var values: [ObjectIdentifier: any Sendable] = [:]

    public init() {}

    /// The value stored for `key`, or `nil`.
    public subscript<Key: CallOptionKey>(_ key: Key.Type) -> Key.Value? {
        get { values[ObjectIdentifier(key)] as? Key.Value }
        set { values[ObjectIdentifier(key)] = newValue }
    }
}

/// A typed key for ``CallOptions``.
public protocol CallOptionKey {
    associatedtype Value: Sendable
}
