/// What the mock server answers, scripted: ordered rules, the first that matches a request
/// answering it, and an optional default reply for requests no rule matches.
///
/// Without a script (or with an empty one) the mock answers as it always does. Build a script in
/// Swift, or load one from JSON with ``init(json:)`` (the format is documented in the
/// "Scripting the mock server" article).
///
/// ```swift
/// let script = MockScript(rules: [
///     MockRule(name: "flaky", match: MockMatch(message: try MockPattern("flaky")),
///              replies: [MockReply(status: 503, times: 2), MockReply(text: "ok")]),
/// ])
/// ```
///
/// Precedence: outcomes queued with ``MockLLMServer/enqueue(_:forKey:)`` come first, then the
/// rules in order, then the default reply, then the seeded random faults of
/// ``MockServerConfiguration/faults``. Every request passes the key's rate limits before any of
/// them is consulted, so a limiter 429 comes before a scripted answer.
public struct MockScript: Sendable {
    /// The rules, in priority order: the first that matches answers.
    public var rules: [MockRule]
    /// The reply to requests that no rule matches (`nil`: the mock's usual answer).
    public var defaultReply: MockReply?

    /// Creates a script.
    public init(rules: [MockRule] = [], defaultReply: MockReply? = nil) {
        self.rules = rules
        self.defaultReply = defaultReply
    }

    /// Reads a script from its JSON text; a malformed one throws ``MockScriptError`` with the line
    /// and column of the offending value.
    public init(json: String) throws(MockScriptError) {
        self = try MockScriptDecoder.script(from: Array(json.utf8))
    }

    /// Reads a script from the bytes of a JSON file (see ``init(json:)``).
    public static func parse(_ bytes: [UInt8]) throws(MockScriptError) -> MockScript {
        try MockScriptDecoder.script(from: bytes)
    }
}

/// One scripted rule: when a request matches, what it answers.
public struct MockRule: Sendable {
    /// A name for logs and the request journal (the rule's index when `nil`).
    public var name: String?
    /// The conditions a request must meet (all of them).
    public var match: MockMatch
    /// The replies, in order: each answers ``MockReply/times`` matching requests, and the last one
    /// answers every request after that.
    public var replies: [MockReply]

    /// A rule that always answers `reply`.
    public init(name: String? = nil, match: MockMatch = MockMatch(), reply: MockReply) {
        self.init(name: name, match: match, replies: [reply])
    }

    /// A rule that answers with `replies` in turn (the last one repeats). An empty list answers
    /// with the mock's usual reply.
    public init(name: String? = nil, match: MockMatch = MockMatch(), replies: [MockReply]) {
        self.name = name
        self.match = match
        self.replies = replies
    }

    /// The reply for the request that is the `count`-th match of this rule (0 for the first).
    func reply(forMatch count: Int) -> MockReply? {
        var remaining = count
        for (index, reply) in self.replies.enumerated() {
            if index == self.replies.count - 1 { return reply }
            let times = max(1, reply.times ?? 1)
            if remaining < times { return reply }
            remaining -= times
        }
        return nil
    }
}

/// The conditions of a rule; a condition left `nil` (or empty) holds for every request.
public struct MockMatch: Sendable {
    /// The request path, exactly (`/v1/chat/completions`, `/v1/responses`, `/v1/embeddings`,
    /// `/v1/messages`).
    public var path: String?
    /// The request's `model`, exactly.
    public var model: String?
    /// The configured name of the key the request authenticated with (``MockAPIKey/name``,
    /// never the secret), or ``MockAPIKey/anonymousName(forSecret:)`` for an unknown key.
    public var key: String?
    /// Request headers that must be present with exactly these values (names in any case).
    public var headers: [String: String]
    /// A pattern searched in the text of the last user message (its first 64 KiB).
    public var message: MockPattern?
    /// Whether the request must end with a tool's result (`true`) or must not (`false`): an
    /// OpenAI `tool` message or `function_call_output` item, an Anthropic `tool_result` block.
    public var toolResult: Bool?

    /// Creates a match; with no arguments it matches every request.
    public init(
        path: String? = nil, model: String? = nil, key: String? = nil, headers: [String: String] = [:],
        message: MockPattern? = nil, toolResult: Bool? = nil
    ) {
        self.path = path
        self.model = model
        self.key = key
        self.headers = headers
        self.message = message
        self.toolResult = toolResult
    }

    func matches(_ request: MockRuleRequest) -> Bool {
        if let path, path != request.path { return false }
        if let model, model != request.model { return false }
        if let key, key != request.keyName { return false }
        for (name, value) in self.headers where request.header(name) != value { return false }
        if let toolResult, toolResult != request.endsWithToolResult { return false }
        if let message, !message.matches(request.lastUserMessage) { return false }
        return true
    }
}

/// A regular expression a rule searches in the last user message, compiled when it is made.
public struct MockPattern: @unchecked Sendable, CustomStringConvertible {
    // Regex is an immutable compiled program; @unchecked because `Regex<AnyRegexOutput>` is not
    // declared Sendable.
    private let regex: Regex<AnyRegexOutput>
    /// The pattern as written.
    public let source: String

    /// The longest text a pattern is run on, in characters: longer messages are searched in their
    /// first 64 Ki characters only.
    public static let maxSearchedCharacters = 65_536

    /// Compiles `source` (Swift `Regex` syntax); an invalid pattern throws ``MockScriptError``
    /// with line and column 0.
    public init(_ source: String) throws(MockScriptError) {
        do {
            self.regex = try Regex(source)
        } catch {
            throw MockScriptError(line: 0, column: 0, reason: "invalid regular expression '\(source)': \(error)")
        }
        self.source = source
    }

    /// The pattern as written.
    public var description: String { self.source }

    func matches(_ text: String) -> Bool {
        let searched = text.count > Self.maxSearchedCharacters ? String(text.prefix(Self.maxSearchedCharacters)) : text
        return (try? self.regex.firstMatch(in: searched)) != nil
    }
}

/// What a scripted rule answers. Fields left `nil` keep the mock's usual behaviour.
public struct MockReply: Sendable, Hashable {
    /// One tool call: the tool's name and its arguments as the text of a JSON object.
    public struct ToolCall: Sendable, Hashable {
        /// The tool's name.
        public var name: String
        /// The arguments, JSON object text such as `{"city":"Paris"}`.
        public var arguments: String

        /// Creates a tool call.
        public init(name: String, arguments: String = "{}") {
            self.name = name
            self.arguments = arguments
        }
    }

    /// The reply text, sent whole (words split at spaces; each word counts as one token).
    public var text: String?
    /// Tool calls to answer with instead of text (the Responses route sends only the first).
    public var toolCalls: [ToolCall]
    /// Input tokens to report (and charge) instead of the estimate.
    public var inputTokens: Int?
    /// Output tokens to report (and charge) instead of the count of what is sent.
    public var outputTokens: Int?
    /// `finish_reason` (OpenAI) / `stop_reason` (Anthropic) to report.
    public var finishReason: String?
    /// An HTTP error status (400...599) to answer with, in the provider's error shape.
    public var status: Int?
    /// Headers to add to an error answer (``status``).
    public var headers: [String: String]
    /// The error message of an error answer (``status``); `nil`: the mock's usual one.
    public var errorMessage: String?
    /// A wait before the response head.
    public var delay: Duration?
    /// Tokens in each streamed content chunk.
    public var chunkTokens: Int?
    /// The wait between streamed chunks.
    public var chunkGap: Duration?
    /// A fault to inject (see ``MockFault``).
    public var fault: MockFault?
    /// How many matching requests this reply answers before the next in ``MockRule/replies``
    /// (default 1; the last reply repeats for ever).
    public var times: Int?

    /// Creates a reply. Counts are clamped to be at least 0 (``times`` and ``chunkTokens`` at
    /// least 1) and a status outside 400...599 becomes 500.
    public init(
        text: String? = nil, toolCalls: [ToolCall] = [], inputTokens: Int? = nil, outputTokens: Int? = nil,
        finishReason: String? = nil, status: Int? = nil, headers: [String: String] = [:], errorMessage: String? = nil,
        delay: Duration? = nil, chunkTokens: Int? = nil, chunkGap: Duration? = nil, fault: MockFault? = nil,
        times: Int? = nil
    ) {
        self.text = text
        self.toolCalls = toolCalls
        self.inputTokens = inputTokens.map { max(0, $0) }
        self.outputTokens = outputTokens.map { max(0, $0) }
        self.finishReason = finishReason
        self.status = status.map { (400...599).contains($0) ? $0 : 500 }
        self.headers = headers
        self.errorMessage = errorMessage
        self.delay = delay
        self.chunkTokens = chunkTokens.map { max(1, $0) }
        self.chunkGap = chunkGap
        self.fault = fault
        self.times = times.map { max(1, $0) }
    }

    /// The reply with every field in range, whatever was assigned to its properties: counts at
    /// least 0 (``times`` and ``chunkTokens`` at least 1), durations at least zero, a status
    /// outside 400...599 as 500.
    var sanitized: MockReply {
        var reply = self
        reply.inputTokens = self.inputTokens.map { max(0, $0) }
        reply.outputTokens = self.outputTokens.map { max(0, $0) }
        reply.status = self.status.map { (400...599).contains($0) ? $0 : 500 }
        reply.delay = self.delay.map { max(.zero, $0) }
        reply.chunkTokens = self.chunkTokens.map { max(1, $0) }
        reply.chunkGap = self.chunkGap.map { max(.zero, $0) }
        reply.times = self.times.map { max(1, $0) }
        return reply
    }

    /// The words of ``text`` (split at single spaces, so that joined with spaces they give it back).
    var words: [String]? {
        guard let text else { return nil }
        if text.isEmpty { return [] }
        return text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
    }

    /// The tool calls, as the routes send them.
    var mockToolCalls: [MockToolCall] {
        self.toolCalls.map { MockToolCall(name: $0.name, arguments: $0.arguments) }
    }

    /// The output tokens this reply is charged at admission (`nil`: the route's estimate).
    var chargedOutputTokens: Int? {
        if let outputTokens { return outputTokens }
        if !self.toolCalls.isEmpty { return self.mockToolCalls.reduce(0) { $0 + $1.tokens } }
        return self.words?.count
    }
}

/// A script that could not be read: where, and why.
public struct MockScriptError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The line of the offending value, from 1 (0 when the error is not from JSON text).
    public var line: Int
    /// The column of the offending value, from 1, in Unicode scalars (0 when not from JSON text).
    public var column: Int
    /// What is wrong.
    public var reason: String

    /// Creates an error.
    public init(line: Int, column: Int, reason: String) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// `LINE:COLUMN: reason`.
    public var description: String { "\(self.line):\(self.column): \(self.reason)" }
}

/// What a rule is matched against: the parts of a request the conditions read.
struct MockRuleRequest {
    var path: String
    var model: String?
    var keyName: String
    var lastUserMessage: String
    var endsWithToolResult: Bool
    /// A request header's value by name (any case).
    var header: (String) -> String?
}

/// The reply a rule chose for an admitted request, and which rule.
struct MockScriptedAnswer: Sendable {
    /// The rule's name, `#<index>` for an unnamed rule, or `default`.
    var ruleName: String
    var reply: MockReply
}

/// What a reply carries once a rule has had its say: the rule's tool call or text, else the tool
/// call the usual rule decided, else generated words.
struct MockReplyContent {
    /// The tool calls to answer with (none: text).
    var toolCalls: [MockToolCall]
    var words: [String]
    /// Whether the words are generated (so capped by the request, and open to structured output).
    var isGenerated: Bool

    init(scripted: MockReply?, decided: MockToolCall?, generate: () -> [String]) {
        if let calls = scripted?.mockToolCalls, !calls.isEmpty {
            (self.toolCalls, self.words, self.isGenerated) = (calls, [], false)
        } else if let words = scripted?.words {
            (self.toolCalls, self.words, self.isGenerated) = ([], words, false)
        } else {
            (self.toolCalls, self.words, self.isGenerated) = (
                decided.map { [$0] } ?? [], decided == nil ? generate() : [], true
            )
        }
    }

    /// The first tool call (the Responses route sends only that one).
    var toolCall: MockToolCall? { self.toolCalls.first }
}
