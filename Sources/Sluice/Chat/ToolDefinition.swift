/// A function the model may call, described by a JSON schema.
///
/// ```swift
/// let weather = ToolDefinition(
///     name: "get_weather",
///     description: "Current weather for a city",
///     parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]
/// )
/// ```
public struct ToolDefinition: Sendable, Hashable {
    public var name: String
    public var description: String?
    /// A JSON schema for the arguments object.
    public var parameters: JSONValue
    /// OpenAI's strict schema adherence; other providers ignore it.
    public var strict: Bool?
    /// A prompt-cache breakpoint after this tool (Anthropic's `cache_control`; OpenAI-compatible
    /// adapters do not send it). Tools come first in the cached prefix; see ``CacheControl``.
    public var cacheControl: CacheControl?

    public init(
        name: String, description: String? = nil, parameters: JSONValue = ["type": "object"], strict: Bool? = nil,
        cacheControl: CacheControl? = nil
    ) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.strict = strict
        self.cacheControl = cacheControl
    }
}

/// Whether and which tool the model must call.
public enum ToolChoice: Sendable, Hashable {
    /// The model decides (the providers' default when tools are given).
    case auto
    /// The model must not call a tool.
    case none
    /// The model must call some tool.
    case required
    /// The model must call this tool.
    case tool(String)
}

/// A tool call the model made: its id, the function name and the arguments as JSON text.
public struct ToolCall: Sendable, Hashable {
    public var id: String
    public var name: String
    /// The arguments exactly as the model wrote them: JSON text, possibly invalid.
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    /// The arguments parsed; throws ``SluiceError/Code/decodingFailed`` when the model wrote invalid JSON.
    public func parsedArguments() throws -> JSONValue {
        try JSONValue(parsing: arguments.isEmpty ? "{}" : arguments)
    }
}

/// The format the reply must take.
public enum ResponseFormat: Sendable, Hashable {
    case text
    /// Any JSON object (OpenAI's JSON mode).
    case jsonObject
    /// JSON matching the schema (OpenAI's structured outputs).
    case jsonSchema(name: String, schema: JSONValue, strict: Bool? = nil)
}
