/// The buckets one key (or one model on a key) spends: what a ``RateLimitStore`` keys its state by.
public struct RateLimitBucketID: Sendable, Hashable, CustomStringConvertible {
    public var keyID: KeyID
    /// The model, when the key has limits of its own for it; `nil` for the key's shared buckets.
    public var model: String?

    public init(keyID: KeyID, model: String? = nil) {
        self.keyID = keyID
        self.model = model
    }

    public var description: String { model.map { "\(keyID)/\($0)" } ?? keyID.rawValue }
}

/// One place a request may be admitted: a bucket set and its limits.
public struct RateLimitCandidate: Sendable, Hashable {
    public var bucket: RateLimitBucketID
    public var limits: RateLimits

    public init(bucket: RateLimitBucketID, limits: RateLimits) {
        self.bucket = bucket
        self.limits = limits
    }
}

/// What the rate limiter asks a ``RateLimitStore`` to reserve.
public struct RateLimitReservationRequest: Sendable {
    /// Where the request may go, in the pool's order; the store picks the one that admits it soonest
    /// (on a tie, the one with the most headroom, then the first).
    public var candidates: [RateLimitCandidate]
    public var cost: RateLimitCost
    /// When the call must end, on the store's clock; a projected admission later than this fails
    /// at once with ``SluiceError/Code/rateLimitWaitExceedsDeadline``.
    public var deadline: Duration?
    /// The longest projected wait to accept (``RateLimitWaitPolicy/maxWait``); beyond it the store
    /// fails at once with ``SluiceError/Code/rateLimitWouldWait``.
    public var maxWait: Duration?
    public var safetyMargin: RateLimitSafetyMargin
    /// Called once, synchronously, when the request has to wait: where, for how long (projected) and
    /// why. Not called for a request admitted at once. Must be cheap and must not block.
    public var onWait: (@Sendable (RateLimitWaitNotice) -> Void)?
    /// Called for what a shared store reports while it serves this request (a lost connection, a
    /// fallback to local limits); synchronous, must be cheap and must not block.
    public var onStoreEvent: (@Sendable (RateLimitStoreEvent) -> Void)?
    /// The call's priority: ``InMemoryRateLimitStore`` admits waiting requests of a higher priority
    /// first and projects a request's admission behind only those of its priority or higher. A shared
    /// store may ignore it (`SluiceRedis` does, across processes).
    public var priority: CallPriority = .default
    /// The most requests that may wait on one bucket set (``AdmissionQueuePolicy/maxWaiting``); `nil`
    /// for no bound. A request that would wait in a full queue fails with
    /// ``SluiceError/Code/loadShed``, unless it displaces a waiter of lower priority.
    public var maxWaiting: Int?

    public init(
        candidates: [RateLimitCandidate],
        cost: RateLimitCost,
        deadline: Duration? = nil,
        maxWait: Duration? = nil,
        safetyMargin: RateLimitSafetyMargin = .default,
        onWait: (@Sendable (RateLimitWaitNotice) -> Void)? = nil,
        onStoreEvent: (@Sendable (RateLimitStoreEvent) -> Void)? = nil
    ) {
        self.candidates = candidates
        self.cost = cost
        self.deadline = deadline
        self.maxWait = maxWait
        self.safetyMargin = safetyMargin
        self.onWait = onWait
        self.onStoreEvent = onStoreEvent
    }
}

/// A reservation that has to wait: reported by a ``RateLimitStore`` through
/// ``RateLimitReservationRequest/onWait`` as the wait begins.
public struct RateLimitWaitNotice: Sendable, Hashable {
    /// Why a request waits.
    public enum Reason: String, Sendable, Hashable, CustomStringConvertible {
        /// The requests-per-minute bucket is short.
        case requests
        /// The tokens-per-minute bucket is short.
        case tokens
        /// Anthropic's input-tokens bucket is short.
        case inputTokens = "input_tokens"
        /// Anthropic's output-tokens bucket is short.
        case outputTokens = "output_tokens"
        /// The key is cooling down after a 429.
        case cooldown
        /// The budget is there, but requests queued earlier go first (FIFO).
        case queue

        public var description: String { rawValue }
    }

    /// The bucket set the request waits on.
    public var bucket: RateLimitBucketID
    /// How long the wait is projected to last.
    public var delay: Duration
    public var reason: Reason

    public init(bucket: RateLimitBucketID, delay: Duration, reason: Reason) {
        self.bucket = bucket
        self.delay = delay
        self.reason = reason
    }
}

/// Budget a ``RateLimitStore`` admitted; settled exactly once by the rate limiter.
public struct RateLimitReservation: Sendable, Hashable {
    /// An opaque id, unique within the store that made it.
    public struct ID: Sendable, Hashable {
        public let rawValue: UInt64
        public init(rawValue: UInt64) { self.rawValue = rawValue }
    }

    public var id: ID
    public var bucket: RateLimitBucketID
    /// What was charged at admission.
    public var cost: RateLimitCost
    /// When it was admitted, on the store's clock.
    public var admittedAt: Duration
    /// The store's running total of charges on this bucket set right after this admission, so that
    /// a store can tell which charges came after it. (A header correction must not subtract them
    /// from the provider's report: the provider may have counted them already; see
    /// ``RateLimitStore/sync(_:with:)``.)
    public var ledgerMark: RateLimitCost
    /// Whether the request had to queue before it was admitted (`false` when admitted at once).
    public var queued: Bool = false

    public init(id: ID, bucket: RateLimitBucketID, cost: RateLimitCost, admittedAt: Duration, ledgerMark: RateLimitCost) {
        self.id = id
        self.bucket = bucket
        self.cost = cost
        self.admittedAt = admittedAt
        self.ledgerMark = ledgerMark
    }
}

/// A bucket set's state, for status pages and tests.
public struct RateLimitBucketState: Sendable, Hashable {
    /// The units each limited dimension holds now (after refill); a dimension without a limit is absent.
    public var available: [RateLimitDimension: Double]
    /// The end of a cooldown in force (on the store's clock), if any.
    public var cooldownUntil: Duration?
    /// How many requests wait for admission.
    public var waiting: Int

    public init(available: [RateLimitDimension: Double], cooldownUntil: Duration?, waiting: Int) {
        self.available = available
        self.cooldownUntil = cooldownUntil
        self.waiting = waiting
    }
}
