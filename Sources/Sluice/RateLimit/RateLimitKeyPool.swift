import Synchronization

/// The API keys a rate limiter sends with, and which of them are still usable.
///
/// A request goes to the key that can admit it soonest (on a tie, the one with the most headroom).
/// A key the provider answers with 401 or `insufficient_quota` leaves the pool and is reported in
/// ``removedKeys`` (and as a `key_removed` ``ClientEvent``); when every key is
/// gone, calls fail with ``SluiceError/Code/noUsableKeys``. Put a key back with ``restore(_:)``
/// once it works again (a topped-up account, say).
///
/// ```swift
/// let limiter = RateLimitMiddleware(configuration: configuration, adapter: OpenAIAdapter(), clock: SystemClock.shared)
/// for removed in limiter.pool.removedKeys { logger.warning("key \(removed.id) removed: \(removed.reason)") }
/// ```
///
/// - Important: Safe to read from any task. Status, description and mirror (`dump`) show
///   ``KeyID``s and labels, never secrets.
public final class RateLimitKeyPool: Sendable, CustomStringConvertible, CustomReflectable {
    /// One key's standing.
    public struct KeyStatus: Sendable, Hashable {
        public var id: KeyID
        public var label: String?
        /// Why the key left the pool, or `nil` while it is in use.
        public var removalReason: SluiceError.Code?
        public var isActive: Bool { removalReason == nil }

        public init(id: KeyID, label: String?, removalReason: SluiceError.Code?) {
            self.id = id
            self.label = label
            self.removalReason = removalReason
        }
    }

    /// A key that left the pool.
    public struct RemovedKey: Sendable, Hashable {
        public var id: KeyID
        public var reason: SluiceError.Code

        public init(id: KeyID, reason: SluiceError.Code) {
            self.id = id
            self.reason = reason
        }
    }

    /// The keys, in the order configured, ids made unique.
    public let keys: [APIKey]
    private let removed = Mutex<[KeyID: SluiceError.Code]>([:])
    private let anyRemoved = Atomic<Bool>(false)
    /// The candidates of a pool of one key without per-model limits (the same for every model).
    private let singleKeyCandidates: [RateLimitCandidate]?

    init(keys: [APIKey]) {
        var seen: Set<KeyID> = []
        var unique: [APIKey] = []
        for key in keys {
            var key = key
            if seen.contains(key.id) {
                var suffix = 2
                while seen.contains(KeyID(rawValue: "\(key.id.rawValue)#\(suffix)")) { suffix += 1 }
                key = APIKey(key.secret, label: "\(key.id.rawValue)#\(suffix)", limits: key.limits, modelLimits: key.modelLimits)
            }
            seen.insert(key.id)
            unique.append(key)
        }
        self.keys = unique
        // One key with no per-model limits: every model gets the same candidate, built once.
        if unique.count == 1, unique[0].modelLimits.isEmpty {
            singleKeyCandidates = [Self.candidate(unique[0], model: "")]
        } else {
            singleKeyCandidates = nil
        }
    }

    public var description: String {
        "RateLimitKeyPool(" + status.map { "\($0.id)\($0.isActive ? "" : " removed")" }.joined(separator: ", ") + ")"
    }

    /// Every key (its id and limits, never its secret) and its standing.
    public var customMirror: Mirror {
        Mirror(self, children: ["keys": keys, "status": status], displayStyle: .class)
    }

    /// Every key's standing, in configured order.
    public var status: [KeyStatus] {
        let removed = removed.withLock { $0 }
        return keys.map { KeyStatus(id: $0.id, label: $0.label, removalReason: removed[$0.id]) }
    }

    /// The keys that left the pool, in configured order.
    public var removedKeys: [RemovedKey] {
        let removed = removed.withLock { $0 }
        return keys.compactMap { key in removed[key.id].map { RemovedKey(id: key.id, reason: $0) } }
    }

    /// The ids of the keys in use.
    public var activeKeyIDs: [KeyID] { status.filter(\.isActive).map(\.id) }

    /// Puts a removed key back into use. Returns `false` if it was not removed.
    @discardableResult
    public func restore(_ id: KeyID) -> Bool {
        removed.withLock { removed in
            let was = removed.removeValue(forKey: id) != nil
            anyRemoved.store(!removed.isEmpty, ordering: .relaxed)
            return was
        }
    }

    /// Takes a key out of use. Returns `false` if it already was.
    func remove(_ id: KeyID, reason: SluiceError.Code) -> Bool {
        removed.withLock { removed in
            guard removed[id] == nil, keys.contains(where: { $0.id == id }) else { return false }
            removed[id] = reason
            anyRemoved.store(true, ordering: .relaxed)
            return true
        }
    }

    /// The usable keys' bucket sets for a request to `model`.
    func candidates(for model: String) -> [RateLimitCandidate] {
        if keys.count == 1, !anyRemoved.load(ordering: .relaxed) {
            if let shared = singleKeyCandidates { return shared }
            return [Self.candidate(keys[0], model: model)]
        }
        let removed: [KeyID: SluiceError.Code] = anyRemoved.load(ordering: .relaxed) ? self.removed.withLock { $0 } : [:]
        var candidates: [RateLimitCandidate] = []
        candidates.reserveCapacity(keys.count)
        for key in keys where removed[key.id] == nil { candidates.append(Self.candidate(key, model: model)) }
        return candidates
    }

    /// The key with this id while it is in use.
    func activeKey(_ id: KeyID) -> APIKey? {
        guard let key = keys.first(where: { $0.id == id }) else { return nil }
        if anyRemoved.load(ordering: .relaxed), removed.withLock({ $0[id] != nil }) { return nil }
        return key
    }

    private static func candidate(_ key: APIKey, model: String) -> RateLimitCandidate {
        let (limits, perModel) = key.limits(for: model)
        return RateLimitCandidate(bucket: RateLimitBucketID(keyID: key.id, model: perModel ? model : nil), limits: limits)
    }
}
