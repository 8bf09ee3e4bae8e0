/// A tool the client offered in a request, as the mock reads it from either provider's body.
struct MockToolDefinition: Sendable {
    var name: String
    var description: String
    /// The JSON schema of the arguments (`input_schema` / `function.parameters`), if any.
    var schema: MockJSON?

    /// What the tool adds to the prompt estimate (``MockTokenEstimator/toolTokens(name:description:schemaJSON:)``).
    var promptTokens: Int {
        MockTokenEstimator.toolTokens(
            name: self.name, description: self.description, schemaJSON: self.schema?.compactText ?? "")
    }
}

/// How the request lets the model use tools, in provider-neutral terms.
enum MockToolChoice: Sendable, Equatable {
    /// The model decides (the default): the mock calls a tool when the prompt asks about the weather.
    case auto
    /// No tool call (`"none"`).
    case none
    /// Some tool must be called (Anthropic `{"type":"any"}`, OpenAI `"required"`): the first one.
    case any
    /// This tool must be called (Anthropic `{"type":"tool","name":…}`, OpenAI `{"type":"function","function":{"name":…}}`).
    case tool(String)
}

/// The tool call the mock answers with: which tool, and its arguments as JSON text.
///
/// The rule, shared by both providers (see ``MockLLMServer``): with at least one tool in the
/// request, the mock calls a tool when the choice forces one (the named tool, or the first for
/// "any" / "required"), or when the choice is auto (or absent) and the last user message contains
/// `weather` (any case); it then calls the first tool. A `none` choice never calls one.
///
/// The arguments are made from the tool's schema, deterministically: every property of an
/// object, in sorted order, gets a value by its schema: the first `enum` value (or `const`) when
/// there is one; a string: one word of ``MockReplyGenerator`` seeded with the property's path
/// (such as `get_weather.city`); an integer: `FNV-1a(path) % 100`; a number: that plus 0.5;
/// a boolean: `true`; an array: one item made from `items`; an object: its own properties;
/// `null`: null; no type: a string. The text is compact JSON with sorted keys.
struct MockToolCall: Sendable, Equatable {
    var name: String
    var arguments: String

    /// Output tokens of the call: ``MockTokenEstimator/textTokens(_:)`` of the arguments text.
    var tokens: Int { MockTokenEstimator.textTokens(self.arguments) }

    /// Result of applying the rule: no call, a call, or a forced tool the request does not define.
    enum Decision: Sendable, Equatable {
        case noCall
        case call(MockToolCall)
        case unknownTool(String)
    }

    static func decide(tools: [MockToolDefinition], choice: MockToolChoice, lastUserMessage: String) -> Decision {
        guard let first = tools.first else { return .noCall }
        let tool: MockToolDefinition
        switch choice {
        case .none: return .noCall
        case .any: tool = first
        case .tool(let name):
            guard let named = tools.first(where: { $0.name == name }) else { return .unknownTool(name) }
            tool = named
        case .auto:
            guard lastUserMessage.lowercased().contains("weather") else { return .noCall }
            tool = first
        }
        return .call(MockToolCall(name: tool.name, arguments: Self.input(for: tool).compactText))
    }

    /// The arguments the mock sends for `tool` (see the type's documentation).
    static func input(for tool: MockToolDefinition) -> MockJSON {
        let value = Self.value(for: tool.schema ?? .object(["type": .string("object")]), path: tool.name, depth: 0)
        // Tool inputs are objects: a schema that is not one still gets an object.
        if case .object = value { return value }
        return .object([:])
    }

    /// A value made from `schema` by the rule above, seeded with `path`.
    static func value(for schema: MockJSON, path: String) -> MockJSON {
        Self.value(for: schema, path: path, depth: 0)
    }

    private static func value(for schema: MockJSON, path: String, depth: Int) -> MockJSON {
        guard depth < 8 else { return .null }
        if case .array(let options) = schema["enum"] ?? .null, let option = options.first { return option }
        if let constant = schema["const"] { return constant }
        var type = schema["type"]?.stringValue
        if case .array(let types) = schema["type"] ?? .null {
            type = types.compactMap(\.stringValue).first(where: { $0 != "null" }) ?? types.first?.stringValue
        }
        if type == nil, schema["properties"] != nil { type = "object" }
        let hash = FNV1a.hash(path.utf8)
        switch type {
        case "object":
            var members: [String: MockJSON] = [:]
            if case .object(let properties) = schema["properties"] ?? .null {
                for (name, property) in properties {
                    members[name] = Self.value(for: property, path: path + "." + name, depth: depth + 1)
                }
            }
            return .object(members)
        case "array":
            return .array([Self.value(for: schema["items"] ?? .object([:]), path: path + "[]", depth: depth + 1)])
        case "integer": return .number(Double(hash % 100))
        case "number": return .number(Double(hash % 100) + 0.5)
        case "boolean": return .bool(true)
        case "null": return .null
        default: return .string(MockReplyGenerator.words(for: path, tokens: 1).first ?? "value")
        }
    }

    /// ``fragments(count:)`` with the output tokens each adds: the growth of
    /// ``MockTokenEstimator/textTokens(_:)`` of the text sent so far, so they sum to ``tokens``.
    func fragmentsWithTokens(count: Int = 4) -> [(fragment: String, tokens: Int)] {
        var previous = 0
        var prefix = ""
        return self.fragments(count: count).map { fragment in
            prefix += fragment
            let total = MockTokenEstimator.textTokens(prefix)
            defer { previous = total }
            return (fragment, total - previous)
        }
    }

    /// The arguments text cut into at most `count` pieces of nearly equal length (whole
    /// characters), for streaming; joined, they give back ``arguments``.
    func fragments(count: Int = 4) -> [String] {
        let characters = Array(self.arguments)
        guard !characters.isEmpty else { return [""] }
        let size = (characters.count + count - 1) / count
        return stride(from: 0, to: characters.count, by: size).map {
            String(characters[$0..<min($0 + size, characters.count)])
        }
    }
}

/// Deterministic ids that look like the providers' (`msg_01…`, `toolu_01…`, `call_…`).
enum MockIdentifier {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// The seed of the `index`-th id of one request: the request number itself for the first, so
    /// that a single call keeps its id.
    static func seed(_ requestNumber: Int, _ index: Int) -> Int {
        requestNumber &+ (index &<< 40)
    }

    /// `prefix` followed by `length` base-62 characters drawn from `seed`.
    static func make(_ prefix: String, seed: Int, length: Int = 24) -> String {
        var random = SplitMix64(seed: FNV1a.hash(prefix.utf8) ^ UInt64(bitPattern: Int64(seed)))
        var bytes = Array(prefix.utf8)
        for _ in 0..<length {
            bytes.append(Self.alphabet[Int(random.next() % UInt64(Self.alphabet.count))])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
