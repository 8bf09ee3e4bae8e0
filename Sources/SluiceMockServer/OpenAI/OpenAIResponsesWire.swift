/// The `POST /v1/responses` request the mock reads, and the `response` objects it writes
/// (hand-written JSON with the field types of OpenAI's API, so the official SDK parses them).
enum OpenAIResponsesWire {
    /// The parts of a Responses API body the mock uses; other fields are ignored.
    struct Request: Decodable, Sendable {
        var model: String?
        var input: [Item]
        var instructions: String?
        var maxOutputTokens: Int?
        var stream: Bool?
        var tools: [Tool]?
        var toolChoice: ToolChoice?
        var previousResponseID: String?
        var store: Bool?
        var temperature: Double?
        var topP: Double?
        var parallelToolCalls: Bool?
        /// `text`, kept as JSON: its `format` asks for structured output (see ``MockStructuredOutput``).
        var text: MockJSON?

        enum CodingKeys: String, CodingKey {
            case model, input, instructions, stream, tools, store, temperature, text
            case maxOutputTokens = "max_output_tokens"
            case toolChoice = "tool_choice"
            case previousResponseID = "previous_response_id"
            case topP = "top_p"
            case parallelToolCalls = "parallel_tool_calls"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.model = try container.decodeIfPresent(String.self, forKey: .model)
            if let text = try? container.decode(String.self, forKey: .input) {
                self.input = [Item(type: "message", role: "user", text: text)]
            } else {
                self.input = try container.decode([Item].self, forKey: .input)
            }
            self.instructions = try container.decodeIfPresent(String.self, forKey: .instructions)
            self.maxOutputTokens = try container.decodeIfPresent(Int.self, forKey: .maxOutputTokens)
            self.stream = try container.decodeIfPresent(Bool.self, forKey: .stream)
            self.tools = try container.decodeIfPresent([Tool].self, forKey: .tools)
            self.toolChoice = try container.decodeIfPresent(ToolChoice.self, forKey: .toolChoice)
            self.previousResponseID = try container.decodeIfPresent(String.self, forKey: .previousResponseID)
            self.store = try container.decodeIfPresent(Bool.self, forKey: .store)
            self.temperature = try container.decodeIfPresent(Double.self, forKey: .temperature)
            self.topP = try container.decodeIfPresent(Double.self, forKey: .topP)
            self.parallelToolCalls = try container.decodeIfPresent(Bool.self, forKey: .parallelToolCalls)
            self.text = try container.decodeIfPresent(MockJSON.self, forKey: .text)
        }

        /// One input item: a message (its text), a `function_call` (name and arguments), a
        /// `function_call_output` (its output) or a `reasoning` item (its summary text).
        struct Item: Decodable, Sendable {
            var type: String
            var role: String?
            /// What the item adds to the prompt estimate.
            var text: String

            enum CodingKeys: String, CodingKey { case type, role, content, name, arguments, output, summary }

            private struct Part: Decodable { var text: String? }

            init(type: String, role: String?, text: String) {
                self.type = type
                self.role = role
                self.text = text
            }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                self.role = try container.decodeIfPresent(String.self, forKey: .role)
                self.type = try container.decodeIfPresent(String.self, forKey: .type) ?? "message"
                switch self.type {
                case "function_call":
                    self.text =
                        (try container.decode(String.self, forKey: .name))
                        + (try container.decode(String.self, forKey: .arguments))
                case "function_call_output":
                    self.text = try Self.text(container, .output)
                case "reasoning":
                    self.text = try Self.text(container, .summary)
                default:
                    self.text = try Self.text(container, .content)
                }
            }

            /// A string, or the joined `text` of an array of parts; missing or null is "".
            private static func text(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws
                -> String
            {
                if try !container.contains(key) || container.decodeNil(forKey: key) { return "" }
                if let text = try? container.decode(String.self, forKey: key) { return text }
                return try container.decode([Part].self, forKey: key).compactMap(\.text).joined()
            }
        }

        /// `{"type":"function","name":…,"description":…,"parameters":{…}}`; other tool types count
        /// nothing and are never called.
        struct Tool: Decodable, Sendable {
            var type: String
            var name: String?
            var description: String?
            var parameters: MockJSON?
        }

        /// `"none"`, `"auto"`, `"required"`, or `{"type":"function","name":…}`.
        struct ToolChoice: Decodable, Sendable {
            var choice: MockToolChoice

            private struct Named: Decodable { var name: String }

            init(from decoder: any Decoder) throws {
                if let text = try? decoder.singleValueContainer().decode(String.self) {
                    switch text {
                    case "none": self.choice = .none
                    case "required": self.choice = .any
                    default: self.choice = .auto
                    }
                } else {
                    self.choice = .tool(try Named(from: decoder).name)
                }
            }
        }

        var toolDefinitions: [MockToolDefinition] {
            (self.tools ?? []).filter { $0.type == "function" }.compactMap { tool in
                tool.name.map {
                    MockToolDefinition(name: $0, description: tool.description ?? "", schema: tool.parameters)
                }
            }
        }

        /// The prompt estimate: `3 + (instructions ? textTokens(instructions) + 4 : 0)`, plus
        /// `textTokens(text) + 4` per item, plus the tool tokens.
        var promptTokens: Int {
            var tokens = self.input.reduce(3) { $0 + MockTokenEstimator.textTokens($1.text) + 4 }
            if let instructions { tokens += MockTokenEstimator.textTokens(instructions) + 4 }
            return tokens + self.toolDefinitions.reduce(0) { $0 + $1.promptTokens }
        }

        /// The text the reply is derived from: the last user message, else the last item.
        var replySeed: String {
            (self.input.last(where: { $0.role == "user" }) ?? self.input.last)?.text ?? ""
        }

        /// Whether the input ends with function results: the reply is then text, never another call.
        var answersFunctionCall: Bool { self.input.last?.type == "function_call_output" }
    }

    /// The reply the mock writes, in provider-neutral terms.
    struct Reply: Sendable {
        var id: String
        var createdAt: Int
        var model: String
        var request: Request
        /// The text, or the function call with its call id.
        var text: String
        var messageID: String
        var functionCall: (itemID: String, callID: String, call: MockToolCall)?
        var promptTokens: Int
        var outputTokens: Int
        /// Whether `max_output_tokens` cut the text.
        var cut: Bool
    }

    /// The output item of `reply`: the message, or the function call; `done` false gives the item as
    /// `response.output_item.added` carries it (in progress, no content or arguments yet).
    static func outputItem(_ reply: Reply, done: Bool) -> String {
        let status = done ? (reply.cut ? "incomplete" : "completed") : "in_progress"
        if let call = reply.functionCall {
            return
                "{\"id\":\(JSONText.quoted(call.itemID)),\"type\":\"function_call\",\"status\":\"\(status)\","
                + "\"call_id\":\(JSONText.quoted(call.callID)),\"name\":\(JSONText.quoted(call.call.name)),"
                + "\"arguments\":\(JSONText.quoted(done ? call.call.arguments : ""))}"
        }
        let content = done ? "[" + self.textPart(reply.text) + "]" : "[]"
        return
            "{\"id\":\(JSONText.quoted(reply.messageID)),\"type\":\"message\",\"status\":\"\(status)\","
            + "\"role\":\"assistant\",\"content\":\(content)}"
    }

    /// An `output_text` content part.
    static func textPart(_ text: String) -> String {
        "{\"type\":\"output_text\",\"text\":\(JSONText.quoted(text)),\"annotations\":[],\"logprobs\":[]}"
    }

    /// A `response` object; `final` false gives it as `response.created` carries it (in progress, no
    /// output or usage).
    static func response(_ reply: Reply, final: Bool) -> String {
        let request = reply.request
        let status = final ? (reply.cut ? "incomplete" : "completed") : "in_progress"
        let incomplete = final && reply.cut ? "{\"reason\":\"max_output_tokens\"}" : "null"
        let output = final ? "[" + self.outputItem(reply, done: true) + "]" : "[]"
        let usage =
            final
            ? "{\"input_tokens\":\(reply.promptTokens),\"input_tokens_details\":{\"cache_write_tokens\":0,\"cached_tokens\":0},"
                + "\"output_tokens\":\(reply.outputTokens),\"output_tokens_details\":{\"reasoning_tokens\":0},"
                + "\"total_tokens\":\(reply.promptTokens + reply.outputTokens)}"
            : "null"
        let maxOutput = request.maxOutputTokens.map(String.init) ?? "null"
        return
            "{\"id\":\(JSONText.quoted(reply.id)),\"object\":\"response\",\"created_at\":\(reply.createdAt),"
            + "\"status\":\"\(status)\",\"background\":false,\"error\":null,\"incomplete_details\":\(incomplete),"
            + "\"instructions\":\(JSONText.quoted(request.instructions)),\"max_output_tokens\":\(maxOutput),"
            + "\"model\":\(JSONText.quoted(reply.model)),\"output\":\(output),"
            + "\"parallel_tool_calls\":\(request.parallelToolCalls ?? true ? "true" : "false"),"
            + "\"previous_response_id\":\(JSONText.quoted(request.previousResponseID)),"
            + "\"reasoning\":{\"effort\":null,\"summary\":null},\"store\":\(request.store ?? true ? "true" : "false"),"
            + "\"temperature\":\(self.number(request.temperature ?? 1)),\"text\":{\"format\":{\"type\":\"text\"}},"
            + "\"tool_choice\":\(self.toolChoice(request.toolChoice?.choice)),\"tools\":\(self.tools(request)),"
            + "\"top_p\":\(self.number(request.topP ?? 1)),\"truncation\":\"disabled\",\"usage\":\(usage),"
            + "\"user\":null,\"metadata\":{}}"
    }

    private static func number(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "1.0"
    }

    private static func toolChoice(_ choice: MockToolChoice?) -> String {
        switch choice {
        case .none?: "\"none\""
        case .any?: "\"required\""
        case .tool(let name)?: "{\"type\":\"function\",\"name\":\(JSONText.quoted(name))}"
        case .auto?, nil: "\"auto\""
        }
    }

    /// The request's function tools as the API echoes them.
    private static func tools(_ request: Request) -> String {
        let tools = request.toolDefinitions.map { tool in
            "{\"type\":\"function\",\"name\":\(JSONText.quoted(tool.name)),"
                + "\"description\":\(JSONText.quoted(tool.description)),"
                + "\"parameters\":\(tool.schema?.compactText ?? "null"),\"strict\":false}"
        }
        return "[" + tools.joined(separator: ",") + "]"
    }
}
