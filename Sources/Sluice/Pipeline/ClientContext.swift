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
        /// A Responses API call answered in one reply.
        public static let responses = Operation("responses")
        /// A streamed Responses API call.
        public static let streamResponses = Operation("stream_responses")
    }

    /// What stays the same for the whole call, shared by every copy of the context (copy on write):
    /// passing a context down a layer costs one reference count, not one per field.
    final class Call: Sendable {
        let callID: UInt64
        let provider: Provider
        let model: String
        let operation: Operation
        let tokenEstimate: TokenEstimate
        let usage: UsageReport
        let options: CallOptions
        let events: EventEmitter

        init(
            callID: UInt64, provider: Provider, model: String, operation: Operation, tokenEstimate: TokenEstimate,
            usage: UsageReport, options: CallOptions, events: EventEmitter
        ) {
            self.callID = callID
            self.provider = provider
            self.model = model
            self.operation = operation
            self.tokenEstimate = tokenEstimate
            self.usage = usage
            self.options = options
            self.events = events
        }

        func with(
            callID: UInt64? = nil, provider: Provider? = nil, model: String? = nil, operation: Operation? = nil,
            tokenEstimate: TokenEstimate? = nil, options: CallOptions? = nil, events: EventEmitter? = nil
        ) -> Call {
            Call(
                callID: callID ?? self.callID, provider: provider ?? self.provider, model: model ?? self.model,
                operation: operation ?? self.operation, tokenEstimate: tokenEstimate ?? self.tokenEstimate,
                usage: usage, options: options ?? self.options, events: events ?? self.events)
        }
    }

    private(set) var call: Call

    /// A process-unique id for the call, for events and logs.
    public var callID: UInt64 {
        get { call.callID }
        set { call = call.with(callID: newValue) }
    }
    public var provider: Provider {
        get { call.provider }
        set { call = call.with(provider: newValue) }
    }
    public var model: String {
        get { call.model }
        set { call = call.with(model: newValue) }
    }
    public var operation: Operation {
        get { call.operation }
        set { call = call.with(operation: newValue) }
    }
    /// The tokens the call is expected to cost: the prompt estimate and the most it may generate.
    public var tokenEstimate: TokenEstimate {
        get { call.tokenEstimate }
        set { call = call.with(tokenEstimate: newValue) }
    }
    /// Which attempt this is: 1 for the first, 2 for the first retry, …
    public var attempt: Int
    /// When the whole call must end, on the client's clock (``SluiceClock/now``), if it has a deadline.
    public var deadline: Duration?
    /// The short, non-reversible id of the API key the request is sent with, once chosen.
    public var keyID: KeyID?
    /// Where the typed layer reports the call's real usage.
    public var usage: UsageReport { call.usage }
    /// Per-call settings layers read (overrides of their defaults).
    public var options: CallOptions {
        get { call.options }
        set { call = call.with(options: newValue) }
    }
    /// Where layers report what they do (see ``ClientEvent``).
    public var events: EventEmitter {
        get { call.events }
        set { call = call.with(events: newValue) }
    }

    public var isStreaming: Bool { call.operation == .streamChat || call.operation == .streamResponses }

    /// For a streamed chat call: where the stream reports content, so the attempt's first-token and
    /// idle limits count from content rather than bytes. `nil` for other calls.
    var streamProgress: StreamProgress?

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
        call = Call(
            callID: callID, provider: provider, model: model, operation: operation, tokenEstimate: tokenEstimate,
            usage: usage, options: options, events: events)
        self.attempt = attempt
        self.deadline = deadline
        self.keyID = keyID
    }
}
