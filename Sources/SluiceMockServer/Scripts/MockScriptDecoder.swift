/// Turns a script's JSON text into a ``MockScript``, refusing anything it does not know with the
/// position of the offending value (see the "Scripting the mock server" article for the format).
enum MockScriptDecoder {
    typealias Node = MockPositionedJSON
    typealias Members = [(name: String, value: MockPositionedJSON)]

    /// The most rules, replies per rule and tool calls per reply a script may hold.
    static let maxItems = 10_000
    /// The largest count (`times`, tokens) and duration in milliseconds a script may give.
    static let maxCount = 100_000_000
    /// The longest text (a reply, a message, a header value, a pattern) a script may give, in bytes.
    static let maxTextBytes = 1024 * 1024

    static func script(from bytes: [UInt8]) throws(MockScriptError) -> MockScript {
        let root = try MockPositionedJSON.parse(bytes)
        let members = try self.object(root, known: ["rules", "default"], what: "the script")
        var script = MockScript()
        if let rules = self.member("rules", of: members) {
            script.rules = try self.array(rules, what: "'rules'").map { node throws(MockScriptError) in
                try self.rule(node)
            }
        }
        if let reply = self.member("default", of: members) {
            script.defaultReply = try self.reply(reply)
        }
        return script
    }

    private static func rule(_ node: Node) throws(MockScriptError) -> MockRule {
        let members = try self.object(node, known: ["name", "match", "reply", "replies"], what: "a rule")
        var rule = MockRule(name: try self.member("name", of: members).map(self.text), replies: [])
        if let match = self.member("match", of: members) {
            rule.match = try self.match(match)
        }
        switch (self.member("reply", of: members), self.member("replies", of: members)) {
        case (let reply?, nil):
            rule.replies = [try self.reply(reply)]
        case (nil, let replies?):
            rule.replies = try self.array(replies, what: "'replies'").map { node throws(MockScriptError) in
                try self.reply(node)
            }
            if rule.replies.isEmpty { throw self.error(at: replies, "'replies' is empty") }
        case (_?, let replies?):
            throw self.error(at: replies, "a rule has 'reply' or 'replies', not both")
        case (nil, nil):
            throw self.error(at: node, "a rule needs 'reply' or 'replies'")
        }
        return rule
    }

    private static func match(_ node: Node) throws(MockScriptError) -> MockMatch {
        let members = try self.object(
            node, known: ["path", "model", "key", "headers", "message", "toolResult"], what: "'match'")
        var match = MockMatch()
        match.path = try self.member("path", of: members).map(self.text)
        match.model = try self.member("model", of: members).map(self.text)
        match.key = try self.member("key", of: members).map(self.text)
        if let headers = self.member("headers", of: members) {
            match.headers = try self.textMap(headers, what: "'headers'")
        }
        if let message = self.member("message", of: members) {
            let source = try self.text(message)
            do {
                match.message = try MockPattern(source)
            } catch {
                throw self.error(at: message, error.reason)
            }
        }
        match.toolResult = try self.member("toolResult", of: members).map(self.bool)
        return match
    }

    private static let replyFields: Set<String> = [
        "text", "toolCalls", "usage", "finishReason", "status", "headers", "message", "delayMs", "chunkTokens",
        "chunkGapMs", "fault", "times",
    ]

    private static func reply(_ node: Node) throws(MockScriptError) -> MockReply {
        let members = try self.object(node, known: self.replyFields, what: "a reply")
        var reply = MockReply()
        reply.text = try self.member("text", of: members).map(self.text)
        if let calls = self.member("toolCalls", of: members) {
            reply.toolCalls = try self.array(calls, what: "'toolCalls'").map { node throws(MockScriptError) in
                try self.toolCall(node)
            }
        }
        if let usage = self.member("usage", of: members) {
            let fields = try self.object(usage, known: ["inputTokens", "outputTokens"], what: "'usage'")
            reply.inputTokens = try self.member("inputTokens", of: fields).map(self.count)
            reply.outputTokens = try self.member("outputTokens", of: fields).map(self.count)
        }
        reply.finishReason = try self.member("finishReason", of: members).map(self.text)
        if let status = self.member("status", of: members) {
            let code = try self.count(status)
            guard (400...599).contains(code) else { throw self.error(at: status, "'status' must be 400...599") }
            reply.status = code
        }
        if let headers = self.member("headers", of: members) {
            reply.headers = try self.textMap(headers, what: "'headers'")
            for (name, _) in reply.headers where !MockHTTP.isHeaderName(name) {
                throw self.error(at: headers, "'\(name)' is not a valid header name")
            }
        }
        reply.errorMessage = try self.member("message", of: members).map(self.text)
        reply.delay = try self.member("delayMs", of: members).map(self.milliseconds)
        reply.chunkTokens = try self.member("chunkTokens", of: members).map { node throws(MockScriptError) in
            try self.positiveCount(node, name: "chunkTokens")
        }
        reply.chunkGap = try self.member("chunkGapMs", of: members).map(self.milliseconds)
        reply.fault = try self.member("fault", of: members).map(self.fault)
        reply.times = try self.member("times", of: members).map { node throws(MockScriptError) in
            try self.positiveCount(node, name: "times")
        }
        return reply
    }

    private static func toolCall(_ node: Node) throws(MockScriptError) -> MockReply.ToolCall {
        let members = try self.object(node, known: ["name", "arguments"], what: "a tool call")
        guard let name = self.member("name", of: members) else {
            throw self.error(at: node, "a tool call needs 'name'")
        }
        var call = MockReply.ToolCall(name: try self.text(name))
        if let arguments = self.member("arguments", of: members) {
            guard case .object = arguments.value else {
                throw self.error(at: arguments, "'arguments' must be an object")
            }
            call.arguments = arguments.plain.compactText
        }
        return call
    }

    /// `{"kind": K, ...}` with the kinds of `sluice mock-server --fault-rate`.
    private static func fault(_ node: Node) throws(MockScriptError) -> MockFault {
        let members = try self.object(
            node, known: ["kind", "afterTokens", "ms", "retryAfterMs"], what: "'fault'")
        guard let kindNode = self.member("kind", of: members) else {
            throw self.error(at: node, "a fault needs 'kind'")
        }
        let kind = try self.text(kindNode)
        let after = try self.member("afterTokens", of: members).map(self.count) ?? 0
        let duration = try self.member("ms", of: members).map(self.milliseconds)
        let retryAfter = try self.member("retryAfterMs", of: members).map(self.milliseconds).map {
            MockRetryAfter.both($0)
        }
        switch kind {
        case "429": return .rateLimited(retryAfter: retryAfter ?? .both(.seconds(1)))
        case "500", "502", "503": return .serverError(Int(kind) ?? 500, retryAfter: retryAfter)
        case "529": return .overloaded(retryAfter: retryAfter)
        case "stall": return .stall(afterTokens: after, duration: duration ?? .seconds(30))
        case "drop": return .dropConnection(afterTokens: after)
        case "malformed-json": return .malformedJSON
        case "malformed-sse": return .malformedSSE(afterTokens: after)
        case "error-event": return .errorEvent(afterTokens: after)
        case "slow-first-token": return .firstTokenDelay(duration ?? .seconds(1))
        case "slow-tokens": return .tokenDelay(duration ?? .milliseconds(100))
        default: throw self.error(at: kindNode, "unknown fault kind '\(kind.prefix(40))'")
        }
    }

    // MARK: Values

    private static func member(_ name: String, of members: Members) -> Node? {
        members.first(where: { $0.name == name })?.value
    }

    private static func object(_ node: Node, known: Set<String>, what: String) throws(MockScriptError) -> Members {
        guard case .object(let members) = node.value else { throw self.error(at: node, "\(what) must be an object") }
        for (name, value) in members where !known.contains(name) {
            throw self.error(at: value, "unknown field '\(name.prefix(40))' in \(what)")
        }
        return members
    }

    private static func array(_ node: Node, what: String) throws(MockScriptError) -> [Node] {
        guard case .array(let values) = node.value else { throw self.error(at: node, "\(what) must be an array") }
        guard values.count <= self.maxItems else {
            throw self.error(at: node, "\(what) has more than \(self.maxItems) items")
        }
        return values
    }

    private static func text(_ node: Node) throws(MockScriptError) -> String {
        guard case .string(let value) = node.value else { throw self.error(at: node, "expected a string") }
        guard value.utf8.count <= self.maxTextBytes else { throw self.error(at: node, "a string longer than 1 MiB") }
        return value
    }

    private static func bool(_ node: Node) throws(MockScriptError) -> Bool {
        guard case .bool(let value) = node.value else { throw self.error(at: node, "expected true or false") }
        return value
    }

    /// A whole number in 0...``maxCount``.
    private static func count(_ node: Node) throws(MockScriptError) -> Int {
        guard case .number(let value) = node.value else { throw self.error(at: node, "expected a number") }
        guard value >= 0 else { throw self.error(at: node, "expected a count, got a negative number") }
        guard let whole = Int(exactly: value), whole <= self.maxCount else {
            throw self.error(at: node, "expected a whole number up to \(self.maxCount)")
        }
        return whole
    }

    /// A count of at least 1.
    private static func positiveCount(_ node: Node, name: String) throws(MockScriptError) -> Int {
        let count = try self.count(node)
        guard count >= 1 else { throw self.error(at: node, "'\(name)' must be at least 1") }
        return count
    }

    private static func milliseconds(_ node: Node) throws(MockScriptError) -> Duration {
        .milliseconds(try self.count(node))
    }

    private static func textMap(_ node: Node, what: String) throws(MockScriptError) -> [String: String] {
        guard case .object(let members) = node.value else { throw self.error(at: node, "\(what) must be an object") }
        var map: [String: String] = [:]
        for (name, value) in members {
            map[name] = try self.text(value)
        }
        return map
    }

    private static func error(at node: Node, _ reason: String) -> MockScriptError {
        MockScriptError(line: node.line, column: node.column, reason: reason)
    }
}
