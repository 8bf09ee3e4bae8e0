#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// OpenAI request shapes the mock reads, and the response bodies it writes (hand-written JSON).
enum OpenAIWire {
    // MARK: Requests

    /// The parts of a `POST /v1/chat/completions` body the mock uses; other fields are ignored.
    struct ChatRequest: Decodable, Sendable {
        var model: String?
        var messages: [Message]
        var maxTokens: Int?
        var maxCompletionTokens: Int?
        var stream: Bool?
        var streamOptions: StreamOptions?
        var tools: [Tool]?
        var toolChoice: ToolChoice?
        /// `response_format`, kept as JSON (see ``MockStructuredOutput``).
        var responseFormat: MockJSON?

        enum CodingKeys: String, CodingKey {
            case model, messages, stream, tools
            case responseFormat = "response_format"
            case maxTokens = "max_tokens"
            case maxCompletionTokens = "max_completion_tokens"
            case streamOptions = "stream_options"
            case toolChoice = "tool_choice"
        }

        /// `{"type":"function","function":{"name":...,"description":...,"parameters":{...}}}`
        struct Tool: Decodable, Sendable {
            var function: Function?

            struct Function: Decodable, Sendable {
                var name: String
                var description: String?
                var parameters: MockJSON?
            }
        }

        /// `"none"`, `"auto"`, `"required"`, or `{"type":"function","function":{"name":...}}`.
        struct ToolChoice: Decodable, Sendable {
            var choice: MockToolChoice

            private struct Named: Decodable {
                struct Function: Decodable { var name: String }
                var function: Function
            }

            init(from decoder: any Decoder) throws {
                if let text = try? decoder.singleValueContainer().decode(String.self) {
                    switch text {
                    case "none": self.choice = .none
                    case "required": self.choice = .any
                    default: self.choice = .auto
                    }
                } else {
                    self.choice = .tool(try Named(from: decoder).function.name)
                }
            }
        }

        var toolDefinitions: [MockToolDefinition] {
            (self.tools ?? []).compactMap(\.function).map {
                MockToolDefinition(name: $0.name, description: $0.description ?? "", schema: $0.parameters)
            }
        }

        struct StreamOptions: Decodable, Sendable {
            var includeUsage: Bool?
            enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
        }

        /// A message; `content` is the string, or the joined `text` of its parts, or "" for null.
        struct Message: Decodable, Sendable {
            var role: String?
            var content: String

            enum CodingKeys: String, CodingKey { case role, content }

            private struct Part: Decodable { var text: String? }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                self.role = try container.decodeIfPresent(String.self, forKey: .role)
                if try !container.contains(.content) || container.decodeNil(forKey: .content) {
                    self.content = ""
                } else if let text = try? container.decode(String.self, forKey: .content) {
                    self.content = text
                } else {
                    let parts = try container.decode([Part].self, forKey: .content)
                    self.content = parts.compactMap(\.text).joined()
                }
            }
        }

        /// The tokens the request caps the reply at.
        var replyCap: Int? { self.maxCompletionTokens ?? self.maxTokens }

        /// The text the reply is derived from: the last user message, else the last message.
        var replySeed: String {
            (self.messages.last(where: { $0.role == "user" }) ?? self.messages.last)?.content ?? ""
        }

        /// What the tool rule reads: the reply seed, or nothing when the last message is a tool's
        /// result, so that a tool loop ends in a text answer as it does with a real model (the
        /// Anthropic route gets this from its tool results arriving in a user message).
        var toolRuleSeed: String {
            self.messages.last?.role == "tool" ? "" : self.replySeed
        }
    }

    /// The parts of a `POST /v1/embeddings` body the mock uses.
    struct EmbeddingsRequest: Decodable, Sendable {
        enum Input: Sendable {
            case texts([String])
            case tokenArrays([[Int]])
        }

        var model: String?
        var input: Input
        var dimensions: Int?

        /// The first input text, what a rule's `message` pattern reads ("" for token arrays).
        var firstText: String {
            if case .texts(let texts) = self.input { return texts.first ?? "" }
            return ""
        }
        var encodingFormat: String?

        enum CodingKeys: String, CodingKey {
            case model, input, dimensions
            case encodingFormat = "encoding_format"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.model = try container.decodeIfPresent(String.self, forKey: .model)
            self.dimensions = try container.decodeIfPresent(Int.self, forKey: .dimensions)
            self.encodingFormat = try container.decodeIfPresent(String.self, forKey: .encodingFormat)
            if let text = try? container.decode(String.self, forKey: .input) {
                self.input = .texts([text])
            } else if let texts = try? container.decode([String].self, forKey: .input) {
                self.input = .texts(texts)
            } else if let tokens = try? container.decode([Int].self, forKey: .input) {
                self.input = .tokenArrays([tokens])
            } else {
                self.input = .tokenArrays(try container.decode([[Int]].self, forKey: .input))
            }
        }

        var count: Int {
            switch self.input {
            case .texts(let texts): texts.count
            case .tokenArrays(let arrays): arrays.count
            }
        }

        var promptTokens: Int {
            switch self.input {
            case .texts(let texts): MockTokenEstimator.embeddingPromptTokens(for: texts)
            case .tokenArrays(let arrays): arrays.reduce(0) { $0 + $1.count }
            }
        }
    }

    /// A request body the mock cannot use: the message and `param` of the 400 answer.
    struct RequestProblem: Error, Sendable {
        var message: String
        var param: String?
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) -> Result<T, RequestProblem> {
        do {
            return .success(try JSONDecoder().decode(type, from: Data(bytes)))
        } catch DecodingError.keyNotFound(let key, let context) {
            let path = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            return .failure(RequestProblem(message: "Missing required parameter: '\(path)'.", param: path))
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return .failure(RequestProblem(message: "Invalid type for '\(path)'.", param: path))
        } catch {
            return .failure(
                RequestProblem(
                    message:
                        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
                    param: nil
                ))
        }
    }

    // MARK: Responses

    static let systemFingerprint = "fp_mock"

    /// `{"error":{"message":...,"type":...,"param":...,"code":...}}`
    static func errorBody(message: String, type: String, code: String?, param: String? = nil) -> String {
        "{\"error\":{\"message\":\(JSONText.quoted(message)),\"type\":\(JSONText.quoted(type)),\"param\":\(JSONText.quoted(param)),\"code\":\(JSONText.quoted(code))}}"
    }

    /// A `chat.completion` object; with `toolCalls`, the message has `tool_calls` and a null content.
    static func chatCompletion(
        id: String, created: Int, model: String, content: String, finishReason: String,
        promptTokens: Int, completionTokens: Int, toolCalls: [(id: String, call: MockToolCall)] = []
    ) -> String {
        let message =
            if !toolCalls.isEmpty {
                "\"content\":null,\"tool_calls\":["
                    + toolCalls.map { toolCall in
                        "{\"id\":\(JSONText.quoted(toolCall.id)),\"type\":\"function\","
                            + "\"function\":{\"name\":\(JSONText.quoted(toolCall.call.name)),\"arguments\":\(JSONText.quoted(toolCall.call.arguments))}}"
                    }.joined(separator: ",") + "]"
            } else {
                "\"content\":\(JSONText.quoted(content))"
            }
        return
            "{\"id\":\(JSONText.quoted(id)),\"object\":\"chat.completion\",\"created\":\(created),\"model\":\(JSONText.quoted(model)),"
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\(message),\"refusal\":null},"
            + "\"logprobs\":null,\"finish_reason\":\(JSONText.quoted(finishReason))}],"
            + usage(promptTokens: promptTokens, completionTokens: completionTokens)
            + ",\"system_fingerprint\":\"\(systemFingerprint)\"}"
    }

    static func usage(promptTokens: Int, completionTokens: Int) -> String {
        "\"usage\":{\"prompt_tokens\":\(promptTokens),\"completion_tokens\":\(completionTokens),\"total_tokens\":\(promptTokens + completionTokens)}"
    }

    /// An embeddings `list`.
    static func embeddings(model: String, vectors: [[Float]], base64: Bool, promptTokens: Int) -> String {
        var body = "{\"object\":\"list\",\"data\":["
        for (index, vector) in vectors.enumerated() {
            if index > 0 { body += "," }
            body += "{\"object\":\"embedding\",\"index\":\(index),\"embedding\":"
            if base64 {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(vector.count * 4)
                for value in vector {
                    let bits = value.bitPattern.littleEndian
                    for shift in stride(from: 0, to: 32, by: 8) {
                        bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(shift)))
                    }
                }
                body += "\"" + Data(bytes).base64EncodedString() + "\""
            } else {
                body += "[" + vector.map { "\($0)" }.joined(separator: ",") + "]"
            }
            body += "}"
        }
        body +=
            "],\"model\":\(JSONText.quoted(model)),\"usage\":{\"prompt_tokens\":\(promptTokens),\"total_tokens\":\(promptTokens)}}"
        return body
    }

    /// A models `list`.
    static func models(_ ids: [String]) -> String {
        let entries = ids.map {
            "{\"id\":\(JSONText.quoted($0)),\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"sluice-mock\"}"
        }
        return "{\"object\":\"list\",\"data\":[" + entries.joined(separator: ",") + "]}"
    }

    /// Message, `type` and `code` of an injected HTTP error.
    static func injectedError(status: Int) -> (message: String, type: String, code: String?) {
        switch status {
        case 429:
            (
                "Rate limit reached (injected by the mock server). Please try again later.", "requests",
                "rate_limit_exceeded"
            )
        case 500: ("The server had an error while processing your request. Sorry about that!", "server_error", nil)
        case 502: ("Bad gateway.", "server_error", nil)
        case 503: ("The server is overloaded or not ready yet.", "server_error", nil)
        case 529: ("Overloaded", "overloaded_error", nil)
        case 400..<500: ("Injected client error (\(status)).", "invalid_request_error", nil)
        default: ("Injected server error (\(status)).", "server_error", nil)
        }
    }

    /// The 429 body for a limiter rejection, worded like OpenAI's.
    static func rateLimitMessage(_ rejection: RateLimitRejection, model: String) -> String {
        let name = rejection.dimension == .requests ? "requests per min (RPM)" : "tokens per min (TPM)"
        guard let retryAfter = rejection.retryAfter else {
            return
                "Request too large for \(model) on \(name): Limit \(rejection.limit), Requested \(rejection.requested). "
                + "The input or output tokens must be reduced in order to run successfully."
        }
        let remaining =
            rejection.dimension == .requests ? rejection.status.requests?.remaining : rejection.status.tokens?.remaining
        let used = max(0, rejection.limit - (remaining ?? 0))
        return
            "Rate limit reached for \(model) on \(name): Limit \(rejection.limit), Used \(used), Requested \(rejection.requested). "
            + "Please try again in \(MockDurationFormat.rateLimitReset(retryAfter))."
    }

    /// The text of a mid-stream error event.
    static let streamErrorEvent =
        "data: "
        + errorBody(
            message: "The server had an error while processing your request. Sorry about that!", type: "server_error",
            code: nil) + "\n\n"
}
