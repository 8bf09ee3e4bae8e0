import Logging
import Synchronization

/// The provider-neutral heart of the mock server: key lookup, admission (limits + outcome
/// selection), stats. Provider routes (OpenAI today, Anthropic later) call into it.
final class MockServerEngine: Sendable {
    let configuration: MockServerConfiguration
    let connections = ConnectionRegistry()
    /// The Anthropic route's prompt cache (see ``MockServerConfiguration/PromptCaching``).
    let promptCache: MockPromptCache
    /// The request journal; `nil` when ``MockServerConfiguration/Journal/capacity`` is 0.
    let journal: MockJournal?
    private let keysBySecret: [String: MockAPIKey]
    private let requestCounter = Atomic<Int>(0)
    private let state: Mutex<State>
    /// Serialises requests under ``MockRateLimitReporting/Handling/inOrder``; `nil` otherwise.
    private let turnstile: MockTurnstile?

    private struct ScriptedOutcome: Sendable {
        var outcome: MockOutcome
        var keyName: String?
    }

    private struct State: Sendable {
        var stats = MockServerStats()
        var limiter = RateLimiter()
        var scripted: [ScriptedOutcome] = []
        /// The script's rules and those added at run time, in priority order.
        var rules: [MockRule] = []
        /// How many admitted requests each rule (same index) has answered, for its sequence.
        var ruleMatches: [Int] = []
        var defaultReply: MockReply?
        var random: SplitMix64
        /// Draws ``MockRateLimitReporting/replyJitter`` (apart, so that faults draw as without it).
        var jitter: SplitMix64
        /// The random faults in force (``MockServerConfiguration/faults`` until switched).
        var faults: MockFaultPlan
        /// Limits of unknown keys (``MockServerConfiguration/defaultLimits`` until switched).
        var defaultLimits: MockRateLimits
        /// Limits by key name: the configured keys', and any switched at run time.
        var keyLimits: [String: MockRateLimits]
    }

    init(configuration: MockServerConfiguration) {
        self.configuration = configuration
        self.promptCache = MockPromptCache(settings: configuration.promptCaching)
        var keys: [String: MockAPIKey] = [:]
        for key in configuration.keys where keys[key.secret] == nil {
            keys[key.secret] = key
        }
        self.keysBySecret = keys
        var keyLimits: [String: MockRateLimits] = [:]
        for key in configuration.keys where keyLimits[key.name] == nil {
            keyLimits[key.name] = key.limits
        }
        self.turnstile = configuration.rateLimitReporting.handling == .inOrder ? MockTurnstile() : nil
        self.journal =
            configuration.journal.capacity > 0
            ? MockJournal(capacity: configuration.journal.capacity, maxBodyBytes: configuration.journal.maxBodyBytes)
            : nil
        var state = State(
            random: SplitMix64(seed: configuration.faults.seed), jitter: SplitMix64(seed: ~configuration.faults.seed),
            faults: configuration.faults, defaultLimits: configuration.defaultLimits, keyLimits: keyLimits)
        if let script = configuration.script {
            state.rules = script.rules
            state.ruleMatches = Array(repeating: 0, count: script.rules.count)
            state.defaultReply = script.defaultReply
        }
        self.state = Mutex(state)
    }

    var logger: Logger { self.configuration.logger }

    /// The next request number (1, 2, ...), for `x-request-id`.
    func nextRequestNumber() -> Int {
        self.requestCounter.add(1, ordering: .relaxed).newValue
    }

    // MARK: Keys

    /// Looks up the key for a credential taken from a request (`nil` when the request had none).
    func resolveKey(secret: String?) -> KeyResolution {
        guard let secret, !secret.isEmpty else { return .missing }
        let name: String
        if let key = self.keysBySecret[secret] {
            name = key.name
        } else {
            guard self.configuration.acceptsUnknownKeys else { return .rejected }
            name = MockAPIKey.anonymousName(forSecret: secret)
        }
        let limits = self.state.withLock { $0.keyLimits[name] ?? $0.defaultLimits }
        return .known(ResolvedKey(name: name, limits: limits))
    }

    // MARK: Request accounting

    /// Counts an API request and marks it in flight until the ticket is released. Under in-order
    /// handling, first waits until every earlier request's ticket has been released.
    func beginRequest() async -> InFlightTicket {
        await self.turnstile?.enter()
        self.state.withLock { state in
            state.stats.requests += 1
            state.stats.inFlight += 1
            state.stats.peakInFlight = max(state.stats.peakInFlight, state.stats.inFlight)
        }
        return InFlightTicket(engine: self)
    }

    fileprivate func endRequest() {
        self.state.withLock { $0.stats.inFlight -= 1 }
        self.turnstile?.leave()
    }

    func recordAuthenticated(_ key: ResolvedKey) {
        self.state.withLock { $0.stats.keys[key.name, default: .init()].requests += 1 }
        MockJournal.current?.update { $0.key = key.name }
    }

    /// Notes in the current request's journal entry the scripted rule that matched it (`nil`: none).
    func noteRule(_ name: String?) {
        MockJournal.current?.update { $0.rule = name }
    }

    func recordUnauthorized() {
        self.state.withLock { $0.stats.unauthorized += 1 }
    }

    func recordBadRequest() {
        self.state.withLock { $0.stats.badRequests += 1 }
    }

    func recordCompletionTokens(_ count: Int, key: ResolvedKey) {
        guard count > 0 else { return }
        self.state.withLock { state in
            state.stats.completionTokensSent += count
            state.stats.keys[key.name, default: .init()].completionTokens += count
        }
    }

    func recordDisconnect() {
        self.state.withLock { $0.stats.disconnects += 1 }
    }

    func recordTooManyRequests(key: ResolvedKey) {
        self.state.withLock { $0.stats.keys[key.name, default: .init()].tooManyRequests += 1 }
    }

    // MARK: Admission

    /// Applies the key's limits to one request; when admitted, charges it and picks its outcome
    /// (the first scripted outcome for this key, else a seeded random draw).
    ///
    /// - Parameter cost: The request's token cost, given the reply-length override of the
    ///   scripted outcome it would consume (`nil` when none).
    func admit(key: ResolvedKey, cost: (Int?) -> Int) -> Admission {
        self.admit(key: key, request: nil, charging: { RateLimitCost(tokens: cost($0.replyTokens)) })
    }

    /// Like ``admit(key:cost:)``, with a cost for each token bucket (the Anthropic route charges
    /// input and output tokens separately) and the request the script's rules are matched
    /// against (`nil`: no rule applies). Notes the outcome in the request's journal entry.
    ///
    /// Order: the limiter first (a 429 consumes nothing), then the first queued outcome for the
    /// key, else the first matching rule (or the default reply), else a seeded random fault.
    func admit(
        key: ResolvedKey, request: MockRuleRequest?, charging cost: (MockChargeHints) -> RateLimitCost
    ) -> Admission {
        let admission = self.decide(key: key, request: request, charging: cost)
        MockJournal.current?.update { entry in
            switch admission {
            case .admitted(let status, let outcome, let answer):
                entry.rateLimit = MockJournalEntry.RateLimit(status, rejected: nil)
                entry.outcome.fault = outcome.fault?.kind
                entry.rule = answer?.ruleName
            case .rejected(let rejection):
                entry.rateLimit = MockJournalEntry.RateLimit(rejection.status, rejected: rejection.dimension.rawValue)
            }
        }
        return admission
    }

    private func decide(
        key: ResolvedKey, request: MockRuleRequest?, charging cost: (MockChargeHints) -> RateLimitCost
    ) -> Admission {
        let now = self.configuration.clock.now()
        return self.state.withLock { state -> Admission in
            let scriptedIndex = state.scripted.firstIndex(where: { $0.keyName == nil || $0.keyName == key.name })
            var rule: (index: Int?, answer: MockScriptedAnswer)?
            if scriptedIndex == nil, let request {
                rule = Self.matchRule(request, in: state)
            }
            let hints = MockChargeHints(
                replyTokens: scriptedIndex.flatMap { state.scripted[$0].outcome.replyTokens }
                    ?? rule?.answer.reply.chargedOutputTokens,
                promptTokens: rule?.answer.reply.inputTokens, outputTokens: rule?.answer.reply.outputTokens)
            var charge = cost(hints)
            charge.tokens = max(0, charge.tokens)
            charge.inputTokens = max(0, charge.inputTokens)
            charge.outputTokens = max(0, charge.outputTokens)
            let reporting = self.configuration.rateLimitReporting
            switch state.limiter.admit(key: key.name, limits: key.limits, cost: charge, now: now) {
            case .rejected(var rejection):
                state.stats.keys[key.name, default: .init()].rateLimited += 1
                rejection.status = reporting.reported(rejection.status)
                return .rejected(rejection)
            case .admitted(let counted):
                let status = reporting.reported(counted)
                state.stats.keys[key.name, default: .init()].tokensCharged += charge.total
                state.stats.keys[key.name, default: .init()].inputTokensCharged += charge.inputTokens
                state.stats.keys[key.name, default: .init()].outputTokensCharged += charge.outputTokens
                var outcome = MockOutcome.success
                if let scriptedIndex {
                    outcome = state.scripted.remove(at: scriptedIndex).outcome
                } else if let rule {
                    if let index = rule.index {
                        state.ruleMatches[index] = min(state.ruleMatches[index] + 1, Int.max / 2)
                    }
                    outcome = self.outcome(of: rule.answer.reply)
                } else if !state.faults.entries.isEmpty {
                    let draw = state.random.nextUnit()
                    outcome.fault = state.faults.fault(forDraw: draw)
                }
                if reporting.replyJitter > .zero {
                    var latency = outcome.latency ?? self.configuration.latency
                    latency.head += reporting.replyJitter * state.jitter.nextUnit()
                    outcome.latency = latency
                }
                if let fault = outcome.fault {
                    state.stats.faultsInjected[fault.kind.rawValue, default: 0] += 1
                    state.stats.keys[key.name, default: .init()].faults += 1
                }
                return .admitted(status, outcome, rule?.answer)
            }
        }
    }

    /// The first rule that matches `request` with the reply its sequence has reached, else the
    /// default reply, else `nil`.
    private static func matchRule(_ request: MockRuleRequest, in state: State) -> (Int?, MockScriptedAnswer)? {
        if let index = state.rules.firstIndex(where: { $0.match.matches(request) }) {
            let rule = state.rules[index]
            let reply = rule.reply(forMatch: state.ruleMatches[index])?.sanitized ?? MockReply()
            return (index, MockScriptedAnswer(ruleName: rule.name ?? "#\(index)", reply: reply))
        }
        return state.defaultReply.map { (nil, MockScriptedAnswer(ruleName: "default", reply: $0.sanitized)) }
    }

    /// The outcome a scripted reply stands for: its fault, and its delay and chunk gap as timing.
    private func outcome(of reply: MockReply) -> MockOutcome {
        var outcome = MockOutcome(fault: reply.fault)
        guard reply.delay != nil || reply.chunkGap != nil else { return outcome }
        var latency = self.configuration.latency
        if let delay = reply.delay { latency.head += delay }
        if let gap = reply.chunkGap {
            // The stream writers wait `perToken` for each token of a chunk.
            let tokens = reply.chunkTokens ?? self.configuration.streaming.tokensPerChunk
            latency.perToken = gap / max(1, tokens)
            latency.firstToken = .zero
        }
        outcome.latency = latency
        return outcome
    }

    // MARK: Rules

    /// Appends rules after the current ones (the script's, then earlier additions).
    func addRules(_ rules: [MockRule]) {
        self.state.withLock { state in
            state.rules.append(contentsOf: rules)
            state.ruleMatches.append(contentsOf: Array(repeating: 0, count: rules.count))
        }
    }

    /// Appends a script's rules after the current ones and, when it has one, makes its default
    /// reply the default. Refused (returns `false`, nothing changed) when the rules would number
    /// more than `limit`.
    func addScript(_ script: MockScript, limit: Int) -> Bool {
        self.state.withLock { state in
            guard script.rules.count <= limit - min(limit, state.rules.count) else { return false }
            state.rules.append(contentsOf: script.rules)
            state.ruleMatches.append(contentsOf: Array(repeating: 0, count: script.rules.count))
            if let reply = script.defaultReply { state.defaultReply = reply }
            return true
        }
    }

    /// The rules' names (`#<index>` for an unnamed one), how many requests each has answered, and
    /// whether a default reply is set.
    var ruleSummary: (rules: [(name: String, matches: Int)], hasDefault: Bool) {
        self.state.withLock { state in
            (
                state.rules.enumerated().map { index, rule in
                    (rule.name ?? "#\(index)", index < state.ruleMatches.count ? state.ruleMatches[index] : 0)
                }, state.defaultReply != nil
            )
        }
    }

    /// Drops every rule and the default reply, the script's included: the mock then answers as
    /// without a script.
    func clearRules() {
        self.state.withLock { state in
            state.rules.removeAll()
            state.ruleMatches.removeAll()
            state.defaultReply = nil
        }
    }

    /// The rules in priority order.
    var rules: [MockRule] {
        self.state.withLock { $0.rules }
    }

    /// Stores what an admitted request wrote to the prompt cache and counts its cache tokens.
    func recordPromptCache(_ input: MockPromptCache.Outcome, key: ResolvedKey, now: Duration) {
        self.promptCache.commit(input, now: now)
        guard input.cacheReadInputTokens > 0 || input.cacheCreationInputTokens > 0 else { return }
        self.state.withLock { state in
            state.stats.keys[key.name, default: .init()].cacheReadInputTokens += input.cacheReadInputTokens
            state.stats.keys[key.name, default: .init()].cacheCreationInputTokens += input.cacheCreationInputTokens
        }
    }

    /// Reconciles an output-token reservation of `reserved` tokens of which `used` were sent:
    /// the difference goes back to the key's output bucket (see ``MockRateLimits``).
    func settleOutputTokens(key: ResolvedKey, reserved: Int, used: Int) {
        let refund = reserved - used
        guard refund != 0 else { return }
        let now = self.configuration.clock.now()
        self.state.withLock { state in
            state.limiter.refundOutputTokens(key: key.name, refund, now: now)
            state.stats.keys[key.name, default: .init()].outputTokensCharged -= refund
        }
    }

    // MARK: Control

    func enqueue(_ outcomes: [MockOutcome], keyName: String?) {
        self.state.withLock { state in
            state.scripted.append(contentsOf: outcomes.map { ScriptedOutcome(outcome: $0, keyName: keyName) })
        }
    }

    var pendingScriptedOutcomes: Int {
        self.state.withLock { $0.scripted.count }
    }

    func clearScriptedOutcomes() {
        self.state.withLock { $0.scripted.removeAll() }
    }

    var stats: MockServerStats {
        self.state.withLock { $0.stats }
    }

    /// Zeroes the counters; keeps ``MockServerStats/inFlight`` (those requests are still running)
    /// and starts the peak from it.
    func resetStats() {
        self.state.withLock { state in
            let inFlight = state.stats.inFlight
            state.stats = MockServerStats()
            state.stats.inFlight = inFlight
            state.stats.peakInFlight = inFlight
        }
    }

    /// Refills every bucket and forgets the prompt cache.
    func resetLimits() {
        self.state.withLock { $0.limiter.reset() }
        self.promptCache.removeAll()
    }

    /// The random faults in force.
    var faults: MockFaultPlan {
        self.state.withLock { $0.faults }
    }

    /// Replaces the random faults; the generator restarts from the plan's seed.
    func setFaults(_ plan: MockFaultPlan) {
        self.state.withLock { state in
            state.faults = plan
            state.random = SplitMix64(seed: plan.seed)
        }
    }

    /// The limits of unknown keys, and of each named key that has its own.
    var limits: (defaultLimits: MockRateLimits, keys: [String: MockRateLimits]) {
        self.state.withLock { ($0.defaultLimits, $0.keyLimits) }
    }

    /// Switches the limits of unknown keys (`defaultLimits`) and/or of named keys; a key whose
    /// limits change starts its next request with full buckets of the new sizes.
    func setLimits(defaultLimits: MockRateLimits?, keys: [String: MockRateLimits]) {
        self.state.withLock { state in
            if let defaultLimits { state.defaultLimits = defaultLimits }
            state.keyLimits.merge(keys) { _, new in new }
        }
    }
}

/// A key a request authenticated with.
struct ResolvedKey: Sendable, Hashable {
    /// The configured name, or the anonymous name of an unknown key.
    var name: String
    var limits: MockRateLimits
}

enum KeyResolution: Sendable {
    case known(ResolvedKey)
    /// No credential.
    case missing
    /// An unknown credential while unknown keys are not accepted.
    case rejected
}

enum Admission: Sendable {
    /// Admitted: the limiter's status, the outcome, and the rule's answer when a rule (or the
    /// default reply) answers; its ``MockScriptedAnswer/ruleName`` is for the request journal.
    case admitted(RateLimitStatus, MockOutcome, MockScriptedAnswer?)
    case rejected(RateLimitRejection)
}

/// What admission knows of a request's scripted answer when it computes the charge.
struct MockChargeHints: Sendable {
    /// The reply length in tokens of the queued outcome or the rule's reply (`nil`: the usual).
    var replyTokens: Int?
    /// The rule's input-token override (`nil`: the estimate).
    var promptTokens: Int?
    /// The rule's output-token override (`nil`: none): charged instead of `max_tokens`.
    var outputTokens: Int?

    /// The OpenAI token charge: the prompt and the reply (`max_tokens` when given), with the
    /// rule's usage in place of either when it gives one.
    func tokens(promptTokens estimate: Int, maxTokens: Int?, defaultReplyTokens: Int) -> Int {
        (self.promptTokens ?? estimate) + (self.outputTokens ?? maxTokens ?? self.replyTokens ?? defaultReplyTokens)
    }
}

/// An output-token reservation made at admission, settled exactly once with the output tokens
/// actually sent: by ``settle(used:)``, or at deinit with what was recorded so far (deinit covers
/// a response body that was never written).
final class OutputTokenReservation: Sendable {
    private let engine: MockServerEngine
    private let key: ResolvedKey
    private let reserved: Int
    private let settled = Atomic<Bool>(false)

    init(engine: MockServerEngine, key: ResolvedKey, reserved: Int) {
        self.engine = engine
        self.key = key
        self.reserved = reserved
    }

    func settle(used: Int) {
        if !self.settled.exchange(true, ordering: .acquiringAndReleasing) {
            self.engine.settleOutputTokens(key: self.key, reserved: self.reserved, used: used)
        }
    }

    deinit {
        self.settle(used: 0)
    }
}

/// Keeps one request counted in flight; released exactly once, by ``release()`` or at deinit,
/// whichever comes first (deinit covers a response body that was never written).
final class InFlightTicket: Sendable {
    private let engine: MockServerEngine
    private let released = Atomic<Bool>(false)

    fileprivate init(engine: MockServerEngine) {
        self.engine = engine
    }

    func release() {
        if !self.released.exchange(true, ordering: .acquiringAndReleasing) {
            self.engine.endRequest()
        }
    }

    deinit {
        self.release()
    }
}
