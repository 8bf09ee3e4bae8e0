import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The admin API under `/_mock/`, registered only when ``MockServerConfiguration/admin`` is set.
/// Every route needs `Authorization: Bearer <admin token>` (401 otherwise); bodies are JSON, at most
/// 64 KiB (413 beyond); a refused body gets 400 with the reason. Admin requests are not counted,
/// rate limited or journaled. The shapes are in `MockAdminWire` and the MockServerAdminAPI article.
struct MockAdminRoutes: Sendable {
    let engine: MockServerEngine
    let access: MockAdminAccess

    static let maxBodyBytes = 64 * 1024
    static let maxListLength = 1000
    /// The largest script `POST /_mock/rules` reads.
    static let maxScriptBytes = 1024 * 1024
    /// The most rules the server holds through the admin API.
    static let maxRules = 10_000
    /// The most journal entries one `GET /_mock/requests` returns.
    static let maxPage = 10_000

    /// A request the admin API refuses, with the reason sent back.
    struct Refusal: Error {
        var reason: String
        var status: HTTPResponse.Status = .badRequest
        init(_ reason: String, status: HTTPResponse.Status = .badRequest) {
            self.reason = reason
            self.status = status
        }
    }

    static func isAdminPath(_ path: String) -> Bool {
        path == "/_mock" || path.hasPrefix("/_mock/")
    }

    func register(on router: Router<MockRequestContext>) {
        let group = router.group("_mock").add(middleware: AdminAuthMiddleware(access: self.access))
        group.get("health") { _, _ in MockHTTP.json(.ok, #"{"status":"ok"}"#) }
        group.get("stats") { _, _ in try Self.reply(self.engine.stats) }
        group.post("reset") { _, _ in
            self.engine.resetStats()
            self.engine.resetLimits()
            self.engine.clearScriptedOutcomes()
            self.engine.journal?.clear()
            return try Self.reply(["reset": ["stats", "rate_limit_buckets", "prompt_cache", "scripted_outcomes", "journal"]])
        }
        group.get("requests") { request, _ in
            try self.handle { try self.requests(request) }
        }
        group.delete("requests") { _, _ in
            try Self.reply(["cleared": self.engine.journal?.clear() ?? 0])
        }
        group.put("faults") { request, _ in
            try await self.handleBody(request, as: MockAdminWire.FaultsRequest.self) { try self.putFaults($0) }
        }
        group.post("outcomes") { request, _ in
            try await self.handleBody(request, as: MockAdminWire.OutcomesRequest.self) { try self.postOutcomes($0) }
        }
        group.put("limits") { request, _ in
            try await self.handleBody(request, as: MockAdminWire.LimitsBody.self) { try self.putLimits($0) }
        }
        group.get("rules") { _, _ in try Self.reply(MockAdminWire.RulesReply(self.engine.ruleSummary)) }
        group.post("rules") { request, _ in try await self.postRules(request) }
        group.delete("rules") { _, _ in
            let count = self.engine.rules.count
            self.engine.clearRules()
            return try Self.reply(["cleared": count])
        }
    }

    // MARK: Endpoints

    private func requests(_ request: Request) throws -> Response {
        let query = request.uri.queryParameters
        let since = try Self.count(query.get("since"), name: "since") ?? 0
        let capacity = self.engine.journal?.capacity ?? 0
        let limit = min(try Self.count(query.get("limit"), name: "limit") ?? capacity, capacity, Self.maxPage)
        let page = self.engine.journal?.page(since: since, limit: limit)
        return try Self.reply(
            MockAdminWire.RequestsReply(
                entries: page?.entries ?? [], dropped: page?.dropped ?? 0, nextSequence: page?.nextSequence ?? 1))
    }

    private func putFaults(_ body: MockAdminWire.FaultsRequest) throws -> Response {
        guard body.faults.count <= Self.maxListLength else { throw Refusal("at most \(Self.maxListLength) faults") }
        let settings = try body.timing.settings().get()
        var entries: [MockFaultPlan.Entry] = []
        var total = 0.0
        for entry in body.faults {
            guard entry.probability.isFinite, (0...1).contains(entry.probability) else {
                throw Refusal("'probability' must be between 0 and 1")
            }
            let fault = try Self.fault(named: entry.kind, settings: settings)
            total += entry.probability
            entries.append(.rate(entry.probability, fault))
        }
        guard total <= 1 else { throw Refusal("the probabilities add up to more than 1") }
        let plan = MockFaultPlan(seed: body.seed ?? 0, entries)
        self.engine.setFaults(plan)
        return try Self.reply(MockAdminWire.FaultsReply(plan))
    }

    private func postOutcomes(_ body: MockAdminWire.OutcomesRequest) throws -> Response {
        guard body.outcomes.count <= Self.maxListLength else {
            throw Refusal("at most \(Self.maxListLength) outcomes")
        }
        let settings = try body.timing.settings().get()
        let outcomes = try body.outcomes.map { entry -> MockOutcome in
            var outcome = MockOutcome.success
            if let name = entry.fault, name.lowercased() != "success" {
                outcome.fault = try Self.fault(named: name, settings: settings)
            }
            if let tokens = entry.replyTokens {
                guard (0...1_000_000).contains(tokens) else { throw Refusal("'reply_tokens' must be between 0 and 1000000") }
                outcome.replyTokens = tokens
            }
            return outcome
        }
        self.engine.enqueue(outcomes, keyName: body.key)
        return try Self.reply(["pending": self.engine.pendingScriptedOutcomes])
    }

    private func putLimits(_ body: MockAdminWire.LimitsBody) throws -> Response {
        let defaultLimits = try body.defaultLimits.map { try $0.rateLimits("default").get() }
        let named = body.keys ?? [:]
        guard named.count <= Self.maxListLength else { throw Refusal("at most \(Self.maxListLength) keys") }
        var keys: [String: MockRateLimits] = [:]
        for (name, limits) in named {
            guard !name.isEmpty, name.utf8.count <= 256 else { throw Refusal("a key name has 1 to 256 bytes") }
            keys[name] = try limits.rateLimits("keys").get()
        }
        self.engine.setLimits(defaultLimits: defaultLimits, keys: keys)
        let current = self.engine.limits
        return try Self.reply(
            MockAdminWire.LimitsBody(
                defaultLimits: MockAdminWire.Limits(current.defaultLimits), keys: current.keys.mapValues(MockAdminWire.Limits.init)))
    }

    /// `POST /_mock/rules`: a script in the `--script` file format; its rules go after the current
    /// ones and its default reply, if any, becomes the default. A malformed script is refused with
    /// `LINE:COLUMN: reason`.
    private func postRules(_ request: Request) async throws -> Response {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.maxScriptBytes)
        } catch where MockHTTP.isBodyTooLarge(error) {
            return Self.error(.contentTooLarge, "the script is larger than \(Self.maxScriptBytes) bytes")
        } catch {
            return Self.error(.badRequest, "could not read the body")
        }
        let script: MockScript
        do {
            script = try MockScript.parse(Array(buffer.readableBytesView))
        } catch {
            return Self.error(.badRequest, error.description)
        }
        guard self.engine.addScript(script, limit: Self.maxRules) else {
            return Self.error(.badRequest, "at most \(Self.maxRules) rules in all; clear some first")
        }
        return try Self.reply(MockAdminWire.RulesReply(self.engine.ruleSummary))
    }

    // MARK: Plumbing

    /// Runs an endpoint, turning a ``Refusal`` into its JSON error answer.
    private func handle(_ endpoint: () throws -> Response) throws -> Response {
        do {
            return try endpoint()
        } catch let refusal as Refusal {
            return Self.error(refusal.status, refusal.reason)
        }
    }

    /// Reads and decodes a JSON body (at most ``maxBodyBytes``), then runs the endpoint.
    private func handleBody<Body: Decodable>(
        _ request: Request, as type: Body.Type, _ endpoint: (Body) throws -> Response
    ) async throws -> Response {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.maxBodyBytes)
        } catch where MockHTTP.isBodyTooLarge(error) {
            return Self.error(.contentTooLarge, "the body is larger than \(Self.maxBodyBytes) bytes")
        } catch {
            return Self.error(.badRequest, "could not read the body")
        }
        return try self.handle {
            let body: Body
            do {
                body = try JSONDecoder().decode(type, from: Data(buffer.readableBytesView))
            } catch let error as DecodingError {
                throw Refusal(Self.reason(error))
            } catch {
                throw Refusal("the body is not valid JSON")
            }
            return try endpoint(body)
        }
    }

    private static func fault(named name: String, settings: MockFault.NamedSettings) throws -> MockFault {
        guard let fault = MockFault.named(name, settings: settings) else {
            let shown = name.count <= 40 ? name : String(name.prefix(40)) + "…"
            throw Refusal(
                "unknown fault kind '\(shown)'; known: \(MockFault.names.joined(separator: ", ")) (and success for an outcome)")
        }
        return fault
    }

    /// A non-negative count from a query parameter: digits only, saturating at `Int.max`.
    static func count(_ text: String?, name: String) throws -> Int? {
        guard let text else { return nil }
        guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw Refusal("'\(name)' must be a non-negative integer")
        }
        var value = 0
        for digit in text.utf8 {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return Int.max }
            value = sum
        }
        return value
    }

    private static func reason(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let joined = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return joined.isEmpty ? "the body" : "'$\(joined)'"
        }
        if case .keyNotFound(let key, let context) = error {
            return "\(path(context.codingPath + [key])) is missing"
        }
        if case .typeMismatch(let type, let context) = error {
            return "\(path(context.codingPath)) must be \(Self.typeName(type))"
        }
        if case .valueNotFound(let type, let context) = error {
            return "\(path(context.codingPath)) must be \(Self.typeName(type))"
        }
        if case .dataCorrupted(let context) = error, !context.codingPath.isEmpty {
            return "\(path(context.codingPath)) is invalid"
        }
        return "the body is not valid JSON"
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Double.Type: "a number"
        case is Int.Type, is UInt64.Type: "an integer"
        case is Bool.Type: "a boolean"
        default: "of another type"
        }
    }

    static func reply(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return MockHTTP.json(.ok, String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        MockHTTP.json(status, OpenAIWire.errorBody(message: message, type: "invalid_request_error", code: nil))
    }
}

/// Answers 401 to an admin request without the admin bearer token; the token is never echoed.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = MockRequestContext
    let access: MockAdminAccess

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard self.access.accepts(MockHTTP.bearerToken(request.headers)) else {
            return MockHTTP.json(
                .unauthorized,
                OpenAIWire.errorBody(
                    message: "The admin API needs 'Authorization: Bearer <admin token>'.",
                    type: "authentication_error", code: "invalid_admin_token"))
        }
        return try await next(request, context)
    }
}
