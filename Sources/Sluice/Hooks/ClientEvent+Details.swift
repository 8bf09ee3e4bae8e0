extension ClientEvent {
    /// What a call asked for and where it went, on `request_started`: the request attributes of the
    /// OpenTelemetry GenAI conventions (`server.address`, `server.port`, `gen_ai.request.*`).
    public struct RequestDetails: Sendable, Hashable {
        /// The host the call goes to, from the client's base URL (`api.openai.com`, `127.0.0.1`).
        public var serverAddress: String?
        /// The port the call goes to: the base URL's, else 443 for `https` and 80 for `http`.
        public var serverPort: Int?
        /// The output limit the request sets (`max_tokens`), if it sets one.
        public var maxOutputTokens: Int?
        public var temperature: Double?
        public var topP: Double?
        public var stopSequences: [String]
        public var seed: Int?

        public init(
            serverAddress: String? = nil,
            serverPort: Int? = nil,
            maxOutputTokens: Int? = nil,
            temperature: Double? = nil,
            topP: Double? = nil,
            stopSequences: [String] = [],
            seed: Int? = nil
        ) {
            self.serverAddress = serverAddress
            self.serverPort = serverPort
            self.maxOutputTokens = maxOutputTokens
            self.temperature = temperature
            self.topP = topP
            self.stopSequences = stopSequences
            self.seed = seed
        }
    }

    /// What the server answered, on `request_succeeded`: the response attributes of the
    /// OpenTelemetry GenAI conventions (`gen_ai.response.id`, `.model`, `.finish_reasons`).
    public struct ReplyDetails: Sendable, Hashable {
        /// The reply's id as the provider gave it (`chatcmpl-…`, `msg_…`), if it gave one.
        public var id: String?
        /// The model that answered, as the provider named it (often a dated version of the one asked).
        public var model: String?
        /// The provider's finish reasons as sent (`stop`, `end_turn`, `tool_use`, …), one per choice.
        public var finishReasons: [String]

        public init(id: String? = nil, model: String? = nil, finishReasons: [String] = []) {
            self.id = id
            self.model = model
            self.finishReasons = finishReasons
        }
    }
}

extension ClientEvent.ReplyDetails {
    /// A chat reply's id, model and finish reason (empty ones left out).
    init(_ reply: ChatResponse) {
        self.init(
            id: reply.id.isEmpty ? nil : reply.id, model: reply.model.isEmpty ? nil : reply.model,
            finishReasons: reply.finishReason.map { ClientEvent.ReplyDetails.finishReasons($0.raw) } ?? [])
    }

    /// The usual finish reasons, each in an array made once: an event for a reply that ends the usual
    /// way costs no array.
    private static let usualFinishReasons: [[String]] = [
        "stop", "length", "tool_calls", "content_filter", "end_turn", "max_tokens", "tool_use", "stop_sequence",
        "refusal", "pause_turn", "completed", "incomplete", "failed",
    ].map { [$0] }

    /// `[reason]`, shared when it is one of the usual ones.
    static func finishReasons(_ reason: String) -> [String] {
        for usual in usualFinishReasons where usual[0] == reason { return usual }
        return [reason]
    }
}

extension ClientEvent.ReplyDetails {
    /// A Responses reply's id, model and status (`completed`, `incomplete`, `failed`) as its finish
    /// reason; empty ones left out.
    init(_ reply: ResponsesResponse) {
        self.init(
            id: reply.id.isEmpty ? nil : reply.id, model: reply.model.isEmpty ? nil : reply.model,
            finishReasons: reply.status.rawValue.isEmpty
                ? [] : ClientEvent.ReplyDetails.finishReasons(reply.incompleteReason ?? reply.status.rawValue))
    }
}

/// The host and port of a base URL, for telemetry (`server.address`, `server.port`).
struct ServerLocation: Sendable, Hashable {
    var address: String
    var port: Int

    init(address: String, port: Int) {
        self.address = address
        self.port = port
    }

    /// `nil` for a URL without a host or with a port that is not a number from 1 to 65535. The port
    /// is the URL's, else the scheme's default (443 for `https`, 80 for `http`).
    init?(baseURL: String) {
        guard let schemeEnd = baseURL.firstRange(of: "://") else { return nil }
        let scheme = baseURL[..<schemeEnd.lowerBound].lowercased()
        var authority = baseURL[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            if rest.hasPrefix(":") { portText = rest.dropFirst() }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { return nil }
        let defaultPort = scheme == "http" ? 80 : 443
        let port: Int
        if let portText, !portText.isEmpty {
            guard portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(portText), (1...65_535).contains(value)
            else { return nil }
            port = value
        } else {
            port = defaultPort
        }
        address = String(host).lowercased()
        self.port = port
    }
}
