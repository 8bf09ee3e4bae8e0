extension MockFault {
    /// The names of the faults ``named(_:settings:)`` knows, as `sluice mock-server --fault-rate`
    /// and the admin API (`PUT /_mock/faults`, `POST /_mock/outcomes`) take them.
    public static let names = [
        "429", "500", "502", "503", "529", "stall", "drop", "malformed-json", "malformed-sse", "error-event",
        "slow-first-token", "slow-tokens",
    ]

    /// The numbers a named fault takes its timing from.
    public struct NamedSettings: Sendable, Hashable {
        /// Tokens sent before a stall, drop, malformed-sse or error-event fault acts. Default 2.
        public var afterTokens: Int
        /// How long a stall stays silent before closing the connection. Default 30 s.
        public var stall: Duration
        /// The `retry-after` / `retry-after-ms` of an injected 429, 503 and 529. Default 1 s.
        public var retryAfter: Duration
        /// The delay of `slow-first-token` and `slow-tokens`. Default 2 s.
        public var slow: Duration

        /// Creates settings.
        public init(
            afterTokens: Int = 2, stall: Duration = .seconds(30), retryAfter: Duration = .seconds(1),
            slow: Duration = .seconds(2)
        ) {
            self.afterTokens = afterTokens
            self.stall = stall
            self.retryAfter = retryAfter
            self.slow = slow
        }

        var isValid: Bool {
            self.afterTokens >= 0 && self.stall >= .zero && self.retryAfter >= .zero && self.slow >= .zero
        }
    }

    /// The fault a name of ``names`` stands for (case-insensitive), or `nil` for an unknown name
    /// or negative settings.
    ///
    /// ```swift
    /// let drop = MockFault.named("drop", settings: .init(afterTokens: 3))  // dropConnection(afterTokens: 3)
    /// ```
    public static func named(_ name: String, settings: NamedSettings = NamedSettings()) -> MockFault? {
        guard settings.isValid else { return nil }
        let retryAfter = MockRetryAfter.both(settings.retryAfter)
        switch name.lowercased() {
        case "429": return .rateLimited(retryAfter: retryAfter)
        case "500": return .serverError(500)
        case "502": return .serverError(502)
        case "503": return .serverError(503, retryAfter: retryAfter)
        case "529": return .overloaded(retryAfter: retryAfter)
        case "stall": return .stall(afterTokens: settings.afterTokens, duration: settings.stall)
        case "drop": return .dropConnection(afterTokens: settings.afterTokens)
        case "malformed-json": return .malformedJSON
        case "malformed-sse": return .malformedSSE(afterTokens: settings.afterTokens)
        case "error-event": return .errorEvent(afterTokens: settings.afterTokens)
        case "slow-first-token": return .firstTokenDelay(settings.slow)
        case "slow-tokens": return .tokenDelay(settings.slow)
        default: return nil
        }
    }
}
