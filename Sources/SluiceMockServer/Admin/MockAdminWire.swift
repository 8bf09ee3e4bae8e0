/// The JSON bodies of the admin API (see `MockAdminRoutes`); keys are snake_case.
enum MockAdminWire {
    /// `PUT /_mock/faults`: `{"seed":7,"faults":[{"kind":"503","probability":0.05}],"after_tokens":2,
    /// "stall_ms":30000,"retry_after_ms":1000,"slow_ms":2000}`.
    struct FaultsRequest: Decodable {
        struct Entry: Decodable {
            var kind: String
            var probability: Double
        }
        var seed: UInt64?
        var faults: [Entry]
        var timing: Timing

        enum CodingKeys: String, CodingKey { case seed, faults }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.seed = try container.decodeIfPresent(UInt64.self, forKey: .seed)
            self.faults = try container.decode([Entry].self, forKey: .faults)
            self.timing = try Timing(from: decoder)
        }
    }

    /// The timing fields a named fault takes (all optional, in milliseconds but `after_tokens`).
    struct Timing: Decodable {
        var afterTokens: Int?
        var stallMilliseconds: Int?
        var retryAfterMilliseconds: Int?
        var slowMilliseconds: Int?

        enum CodingKeys: String, CodingKey {
            case afterTokens = "after_tokens"
            case stallMilliseconds = "stall_ms"
            case retryAfterMilliseconds = "retry_after_ms"
            case slowMilliseconds = "slow_ms"
        }

        /// The settings, or why they are refused (each value must be in 0...86,400,000).
        func settings() -> Result<MockFault.NamedSettings, MockAdminRoutes.Refusal> {
            let values = [
                ("after_tokens", self.afterTokens), ("stall_ms", self.stallMilliseconds),
                ("retry_after_ms", self.retryAfterMilliseconds), ("slow_ms", self.slowMilliseconds),
            ]
            for (name, value) in values {
                if let value, !(0...86_400_000).contains(value) {
                    return .failure(.init("'\(name)' must be between 0 and 86400000"))
                }
            }
            let defaults = MockFault.NamedSettings()
            return .success(
                MockFault.NamedSettings(
                    afterTokens: self.afterTokens ?? defaults.afterTokens,
                    stall: self.stallMilliseconds.map(Duration.milliseconds) ?? defaults.stall,
                    retryAfter: self.retryAfterMilliseconds.map(Duration.milliseconds) ?? defaults.retryAfter,
                    slow: self.slowMilliseconds.map(Duration.milliseconds) ?? defaults.slow))
        }
    }

    /// The plan in force: `{"seed":7,"faults":[{"kind":"http_503","fault":"httpError(…)","probability":0.05}]}`.
    struct FaultsReply: Encodable {
        struct Entry: Encodable {
            var kind: String
            var fault: String
            var probability: Double
        }
        var seed: UInt64
        var faults: [Entry]

        init(_ plan: MockFaultPlan) {
            self.seed = plan.seed
            self.faults = plan.entries.map {
                Entry(kind: $0.fault.kind.rawValue, fault: $0.fault.description, probability: $0.probability)
            }
        }
    }

    /// `POST /_mock/outcomes`: `{"key":"team","outcomes":[{"fault":"503"},{"reply_tokens":5},{}]}`
    /// plus the timing fields of ``Timing``.
    struct OutcomesRequest: Decodable {
        struct Entry: Decodable {
            var fault: String?
            var replyTokens: Int?

            enum CodingKeys: String, CodingKey {
                case fault
                case replyTokens = "reply_tokens"
            }
        }
        var key: String?
        var outcomes: [Entry]
        var timing: Timing

        enum CodingKeys: String, CodingKey { case key, outcomes }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.key = try container.decodeIfPresent(String.self, forKey: .key)
            self.outcomes = try container.decode([Entry].self, forKey: .outcomes)
            self.timing = try Timing(from: decoder)
        }
    }

    /// Limits as the CLI names them: `{"rpm":60,"tpm":40000,"itpm":…,"otpm":…,"request_burst":…,
    /// "token_burst":…,"input_token_burst":…,"output_token_burst":…}`; a missing field is no limit.
    struct Limits: Codable {
        var rpm: Int?
        var tpm: Int?
        var itpm: Int?
        var otpm: Int?
        var requestBurst: Int?
        var tokenBurst: Int?
        var inputTokenBurst: Int?
        var outputTokenBurst: Int?

        enum CodingKeys: String, CodingKey {
            case rpm, tpm, itpm, otpm
            case requestBurst = "request_burst"
            case tokenBurst = "token_burst"
            case inputTokenBurst = "input_token_burst"
            case outputTokenBurst = "output_token_burst"
        }

        init(_ limits: MockRateLimits) {
            self.rpm = limits.requestsPerMinute
            self.tpm = limits.tokensPerMinute
            self.itpm = limits.inputTokensPerMinute
            self.otpm = limits.outputTokensPerMinute
            self.requestBurst = limits.requestBurst
            self.tokenBurst = limits.tokenBurst
            self.inputTokenBurst = limits.inputTokenBurst
            self.outputTokenBurst = limits.outputTokenBurst
        }

        /// The limits, or why they are refused (each value must be in 1...1,000,000,000,000).
        func rateLimits(_ label: String) -> Result<MockRateLimits, MockAdminRoutes.Refusal> {
            let values = [
                ("rpm", self.rpm), ("tpm", self.tpm), ("itpm", self.itpm), ("otpm", self.otpm),
                ("request_burst", self.requestBurst), ("token_burst", self.tokenBurst),
                ("input_token_burst", self.inputTokenBurst), ("output_token_burst", self.outputTokenBurst),
            ]
            for (name, value) in values {
                if let value, !(1...1_000_000_000_000).contains(value) {
                    return .failure(.init("\(label): '\(name)' must be between 1 and 1000000000000"))
                }
            }
            return .success(
                MockRateLimits(
                    requestsPerMinute: self.rpm, tokensPerMinute: self.tpm, inputTokensPerMinute: self.itpm,
                    outputTokensPerMinute: self.otpm, requestBurst: self.requestBurst, tokenBurst: self.tokenBurst,
                    inputTokenBurst: self.inputTokenBurst, outputTokenBurst: self.outputTokenBurst))
        }
    }

    /// `PUT /_mock/limits` and its reply: `{"default":{…},"keys":{"team":{…}}}`.
    struct LimitsBody: Codable {
        var defaultLimits: Limits?
        var keys: [String: Limits]?

        enum CodingKeys: String, CodingKey {
            case defaultLimits = "default"
            case keys
        }
    }

    /// `GET /_mock/requests`: `{"entries":[…],"dropped":0,"next_sequence":12}`.
    struct RequestsReply: Encodable {
        var entries: [MockJournalEntry]
        var dropped: Int
        var nextSequence: Int

        enum CodingKeys: String, CodingKey {
            case entries, dropped
            case nextSequence = "next_sequence"
        }
    }

    /// `GET` / `POST /_mock/rules`: the rules in priority order and whether a default reply is set.
    struct RulesReply: Encodable {
        struct Rule: Encodable {
            var name: String
            /// Requests the rule has answered.
            var matches: Int
        }

        var rules: [Rule]
        var hasDefault: Bool

        init(_ summary: (rules: [(name: String, matches: Int)], hasDefault: Bool)) {
            self.rules = summary.rules.map { Rule(name: $0.name, matches: $0.matches) }
            self.hasDefault = summary.hasDefault
        }

        enum CodingKeys: String, CodingKey {
            case rules
            case hasDefault = "has_default"
        }
    }
}
