import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Anthropic Messages API request shapes the mock reads, and the bodies, events and headers it
/// writes (hand-written JSON).
enum AnthropicWire {
    // MARK: Headers

    typealias HeaderName = HTTPFields.Element.Name

    // Constant, valid header names: the force-unwraps cannot fail.
    static let apiKey = HeaderName("x-api-key")!
    static let version = HeaderName("anthropic-version")!
    static let requestID = HeaderName("request-id")!
    static let requestsLimit = HeaderName("anthropic-ratelimit-requests-limit")!
    static let requestsRemaining = HeaderName("anthropic-ratelimit-requests-remaining")!
    static let requestsReset = HeaderName("anthropic-ratelimit-requests-reset")!
    static let inputTokensLimit = HeaderName("anthropic-ratelimit-input-tokens-limit")!
    static let inputTokensRemaining = HeaderName("anthropic-ratelimit-input-tokens-remaining")!
    static let inputTokensReset = HeaderName("anthropic-ratelimit-input-tokens-reset")!
    static let outputTokensLimit = HeaderName("anthropic-ratelimit-output-tokens-limit")!
    static let outputTokensRemaining = HeaderName("anthropic-ratelimit-output-tokens-remaining")!
    static let outputTokensReset = HeaderName("anthropic-ratelimit-output-tokens-reset")!
    static let tokensLimit = HeaderName("anthropic-ratelimit-tokens-limit")!
    static let tokensRemaining = HeaderName("anthropic-ratelimit-tokens-remaining")!
    static let tokensReset = HeaderName("anthropic-ratelimit-tokens-reset")!

    /// Adds `anthropic-ratelimit-*` for each limited dimension: limit, whole units remaining, and
    /// the instant the bucket is full again (RFC 3339, `unixNow` plus the time to refill).
    /// `anthropic-ratelimit-tokens-*` repeats the most restrictive of input and output.
    static func addRateLimitHeaders(_ status: RateLimitStatus, unixNow: Duration, to headers: inout HTTPFields) {
        func add(
            _ dimension: RateLimitStatus.Dimension?, _ limit: HeaderName, _ remaining: HeaderName, _ reset: HeaderName
        ) {
            guard let dimension else { return }
            headers[limit] = String(dimension.limit)
            headers[remaining] = String(dimension.remaining)
            headers[reset] = MockDurationFormat.rfc3339(unixTime: unixNow + dimension.reset)
        }
        add(status.requests, requestsLimit, requestsRemaining, requestsReset)
        add(status.inputTokens, inputTokensLimit, inputTokensRemaining, inputTokensReset)
        add(status.outputTokens, outputTokensLimit, outputTokensRemaining, outputTokensReset)
        add(status.mostRestrictiveTokens, tokensLimit, tokensRemaining, tokensReset)
    }

    // MARK: Requests

    /// The parts of a `POST /v1/messages` body the mock uses; other fields are ignored. Every field
    /// is optional here so the route can answer a missing one with Anthropic's message.
    struct MessagesRequest: Decodable, Sendable {
        var model: String?
        var maxTokens: Int?
        var messages: [Message]?
        var system: String
        /// The system text blocks, when `system` is an array (they may carry `cache_control`).
        var systemBlocks: [Block] = []
        var stream: Bool?
        var tools: [Tool]
        var toolChoice: ToolChoice?
        var thinking: Thinking?

        enum CodingKeys: String, CodingKey {
            case model, messages, system, stream, tools, thinking
            case maxTokens = "max_tokens"
            case toolChoice = "tool_choice"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.model = try container.decodeIfPresent(String.self, forKey: .model)
            self.maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens)
            self.messages = try container.decodeIfPresent([Message].self, forKey: .messages)
            self.stream = try container.decodeIfPresent(Bool.self, forKey: .stream)
            self.tools = try container.decodeIfPresent([Tool].self, forKey: .tools) ?? []
            self.toolChoice = try container.decodeIfPresent(ToolChoice.self, forKey: .toolChoice)
            self.thinking = try container.decodeIfPresent(Thinking.self, forKey: .thinking)
            if try !container.contains(.system) || container.decodeNil(forKey: .system) {
                self.system = ""
            } else if let text = try? container.decode(String.self, forKey: .system) {
                self.system = text
            } else {
                self.systemBlocks = try container.decode([Block].self, forKey: .system)
                self.system = self.systemBlocks.map(\.countedText).joined()
            }
        }

        /// The text the reply is derived from: the last user message, else the last message.
        var replySeed: String {
            let messages = self.messages ?? []
            return (messages.last(where: { $0.role == "user" }) ?? messages.last)?.content ?? ""
        }

        var toolDefinitions: [MockToolDefinition] {
            self.tools.map {
                MockToolDefinition(name: $0.name, description: $0.description ?? "", schema: $0.inputSchema)
            }
        }

        var choice: MockToolChoice {
            switch self.toolChoice?.type {
            case "none": .none
            case "any": .any
            case "tool": .tool(self.toolChoice?.name ?? "")
            default: .auto
            }
        }
    }

    /// `thinking`: `{"type": "enabled", "budget_tokens": N}`, `{"type": "adaptive"}` or
    /// `{"type": "disabled"}`.
    struct Thinking: Decodable, Sendable {
        var type: String
        var budgetTokens: Int?

        enum CodingKeys: String, CodingKey {
            case type
            case budgetTokens = "budget_tokens"
        }

        /// Whether the model thinks: `enabled` or `adaptive`.
        var isOn: Bool { type == "enabled" || type == "adaptive" }
    }

    /// A message; `content` is what the estimator counts (see ``MockTokenEstimator``).
    struct Message: Decodable, Sendable {
        var role: String?
        var content: String
        /// The content blocks, in order; empty when `content` is a string.
        var blocks: [Block]

        enum CodingKeys: String, CodingKey { case role, content }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.role = try container.decodeIfPresent(String.self, forKey: .role)
            if let text = try? container.decode(String.self, forKey: .content) {
                self.content = text
                self.blocks = []
            } else {
                self.blocks = try container.decode([Block].self, forKey: .content)
                self.content = self.blocks.map(\.countedText).joined()
            }
        }
    }

    /// A content block: text, tool_use, tool_result, or one the mock does not count (thinking
    /// blocks are not counted, as Anthropic strips them from earlier turns).
    struct Block: Decodable, Sendable {
        var countedText: String
        /// The block as compact JSON without `cache_control`: what its part of a cached prefix is.
        var identity: String
        /// The block's `cache_control` breakpoint.
        var cacheControl: CacheMark?
        var type: String?
        /// A `thinking` block's text and signature, a `redacted_thinking` block's data.
        var thinking: String?
        var signature: String?
        var data: String?

        enum CodingKeys: String, CodingKey {
            case type, text, input, content, thinking, signature, data
            case cacheControl = "cache_control"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.type = try container.decodeIfPresent(String.self, forKey: .type)
            self.cacheControl = try container.decodeIfPresent(CacheMark.self, forKey: .cacheControl)
            self.identity = try MockJSON(from: decoder).removingCacheControl.compactText
            switch self.type {
            case "thinking":
                self.thinking = try container.decodeIfPresent(String.self, forKey: .thinking)
                self.signature = try container.decodeIfPresent(String.self, forKey: .signature)
            case "redacted_thinking":
                self.data = try container.decodeIfPresent(String.self, forKey: .data)
            default:
                break
            }
            switch self.type {
            case "text":
                self.countedText = try container.decodeIfPresent(String.self, forKey: .text) ?? ""
            case "tool_use":
                self.countedText = try container.decodeIfPresent(MockJSON.self, forKey: .input)?.compactText ?? ""
            case "tool_result":
                if let text = try? container.decode(String.self, forKey: .content) {
                    self.countedText = text
                } else {
                    self.countedText =
                        (try container.decodeIfPresent([Block].self, forKey: .content) ?? []).map(\.countedText)
                        .joined()
                }
            default:
                self.countedText = ""
            }
        }
    }

    struct Tool: Decodable, Sendable {
        var name: String
        var description: String?
        var inputSchema: MockJSON?
        /// The tool's `cache_control` breakpoint.
        var cacheControl: CacheMark?
        /// The definition as compact JSON without `cache_control`.
        var identity: String

        enum CodingKeys: String, CodingKey {
            case name, description
            case inputSchema = "input_schema"
            case cacheControl = "cache_control"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.name = try container.decode(String.self, forKey: .name)
            self.description = try container.decodeIfPresent(String.self, forKey: .description)
            self.inputSchema = try container.decodeIfPresent(MockJSON.self, forKey: .inputSchema)
            self.cacheControl = try container.decodeIfPresent(CacheMark.self, forKey: .cacheControl)
            self.identity = try MockJSON(from: decoder).removingCacheControl.compactText
        }
    }

    /// `cache_control`: `{"type": "ephemeral"}` with an optional `"ttl"` of `"5m"` or `"1h"`.
    struct CacheMark: Decodable, Sendable {
        var type: String?
        var ttl: String?

        /// How long the entry lives, or `nil` for a type or lifetime Anthropic refuses.
        var lifetime: Duration? {
            guard type == "ephemeral" else { return nil }
            switch ttl {
            case nil, "5m": return .seconds(300)
            case "1h": return .seconds(3600)
            default: return nil
            }
        }
    }

    struct ToolChoice: Decodable, Sendable {
        var type: String
        var name: String?
    }

    /// Decodes a body, or gives the message of Anthropic's 400 `invalid_request_error`.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) -> Result<T, RequestProblem> {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        do {
            return .success(try JSONDecoder().decode(type, from: Data(bytes)))
        } catch DecodingError.keyNotFound(let key, let context) {
            return .failure(RequestProblem(message: "\(path(context.codingPath + [key])): Field required"))
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            return .failure(RequestProblem(message: "\(path(context.codingPath)): Input has an invalid type"))
        } catch {
            return .failure(
                RequestProblem(message: "There was an issue with the request body: it is not valid JSON."))
        }
    }

    /// A request body the mock cannot use: the message of the 400 answer.
    struct RequestProblem: Error, Sendable {
        var message: String
    }

    // MARK: Responses

    /// `{"type":"error","error":{"type":...,"message":...}}`
    static func errorBody(type: String, message: String) -> String {
        "{\"type\":\"error\",\"error\":{\"type\":\(JSONText.quoted(type)),\"message\":\(JSONText.quoted(message))}}"
    }

    /// The `error.type` and message of an injected HTTP error, by status.
    static func injectedError(status: Int) -> (type: String, message: String) {
        switch status {
        case 400: ("invalid_request_error", "Injected invalid request (mock server).")
        case 401: ("authentication_error", "invalid x-api-key")
        case 402: ("billing_error", "Injected billing error (mock server).")
        case 403: ("permission_error", "Your API key does not have permission to use the specified resource.")
        case 404: ("not_found_error", "Not found.")
        case 413: ("request_too_large", "Request exceeds the maximum allowed number of bytes.")
        case 429: ("rate_limit_error", "Rate limited (injected by the mock server). Please try again later.")
        case 500: ("api_error", "Internal server error")
        case 504: ("timeout_error", "Request timed out.")
        case 529: ("overloaded_error", "Overloaded")
        case 400..<500: ("invalid_request_error", "Injected client error (\(status)).")
        default: ("api_error", "Injected server error (\(status)).")
        }
    }

    /// The message of a limiter 429, worded like Anthropic's.
    static func rateLimitMessage(_ rejection: RateLimitRejection) -> String {
        let unit: String
        switch rejection.dimension {
        case .requests: unit = "requests"
        case .inputTokens: unit = "input tokens"
        case .outputTokens: unit = "output tokens"
        case .tokens: unit = "tokens"
        }
        if rejection.isTooLarge {
            return
                "This request would exceed your rate limit of \(rejection.limit) \(unit) per minute on its own "
                + "(it asks for \(rejection.requested)). Please reduce the prompt length or the maximum tokens requested."
        }
        return
            "This request would exceed your rate limit of \(rejection.limit) \(unit) per minute. "
            + "You can see the response headers for current usage. "
            + "Please reduce the prompt length or the maximum tokens requested, or try again later."
    }

    /// `"usage":{...}` of a message: the input split as Anthropic splits it (`input_tokens` excludes
    /// cache reads and writes).
    static func usage(_ input: MockPromptCache.Outcome, outputTokens: Int) -> String {
        "\"usage\":{\"input_tokens\":\(input.inputTokens),"
            + "\"cache_creation_input_tokens\":\(input.cacheCreationInputTokens),"
            + "\"cache_read_input_tokens\":\(input.cacheReadInputTokens),\"output_tokens\":\(outputTokens)}"
    }

    /// A `message` object with `content` (JSON array text).
    static func message(
        id: String, model: String, content: String, stopReason: String?, input: MockPromptCache.Outcome,
        outputTokens: Int
    ) -> String {
        "{\"id\":\(JSONText.quoted(id)),\"type\":\"message\",\"role\":\"assistant\",\"model\":\(JSONText.quoted(model)),"
            + "\"content\":\(content),\"stop_reason\":\(JSONText.quoted(stopReason)),\"stop_sequence\":null,"
            + usage(input, outputTokens: outputTokens) + "}"
    }

    static func textBlock(_ text: String) -> String {
        "{\"type\":\"text\",\"text\":\(JSONText.quoted(text))}"
    }

    /// A `thinking` block with its signature.
    static func thinkingBlock(_ thinking: String, signature: String) -> String {
        "{\"type\":\"thinking\",\"thinking\":\(JSONText.quoted(thinking)),\"signature\":\(JSONText.quoted(signature))}"
    }

    /// A `redacted_thinking` block.
    static func redactedThinkingBlock(data: String) -> String {
        "{\"type\":\"redacted_thinking\",\"data\":\(JSONText.quoted(data))}"
    }

    /// A `tool_use` block; `input` is JSON text.
    static func toolUseBlock(id: String, name: String, input: String) -> String {
        "{\"type\":\"tool_use\",\"id\":\(JSONText.quoted(id)),\"name\":\(JSONText.quoted(name)),\"input\":\(input)}"
    }

    /// One server-sent event: `event: <name>` and `data: <json>`.
    static func event(_ name: String, _ json: String) -> String {
        "event: \(name)\ndata: \(json)\n\n"
    }

    /// The mid-stream error event.
    static let streamErrorEvent = event("error", errorBody(type: "overloaded_error", message: "Overloaded"))

    /// `GET /v1/models` in Anthropic's shape: one page with every model, newest first as the API
    /// lists them (here: the configured order), each `active` and released at the Unix epoch.
    static func models(_ ids: [String]) -> String {
        let entries = ids.map { id in
            "{\"type\":\"model\",\"id\":\(JSONText.quoted(id)),\"display_name\":\(JSONText.quoted(id)),"
                + "\"created_at\":\"1970-01-01T00:00:00Z\",\"lifecycle\":\"active\"}"
        }
        let first = ids.first.map(JSONText.quoted) ?? "null"
        let last = ids.last.map(JSONText.quoted) ?? "null"
        return "{\"data\":[" + entries.joined(separator: ",") + "],\"has_more\":false,\"first_id\":\(first),"
            + "\"last_id\":\(last)}"
    }
}
