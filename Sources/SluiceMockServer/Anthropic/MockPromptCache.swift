import Synchronization

/// The mock server's Anthropic prompt cache: which prompt prefixes were written, per key and model,
/// until when. It keeps 64-bit hashes of the prefixes, never their text, and at most
/// ``MockServerConfiguration/PromptCaching/maxEntries`` entries (expired entries go first, then the
/// least recently used).
///
/// A request's breakpoints (`cache_control` on a tool, a system block or a message block) are looked
/// up in order with ``lookUp(_:key:model:promptTokens:now:)``: the longest prefix that is cached and
/// alive is read (`cache_read_input_tokens`), the prompt from there to the last breakpoint is written
/// (`cache_creation_input_tokens`), the rest is `input_tokens`. A prefix shorter than
/// ``MockServerConfiguration/PromptCaching/minimumTokens`` is neither read nor written, as Anthropic
/// does below a model's minimum. The entries are stored by ``commit(_:now:)`` once the request is
/// admitted, so a rejected request caches nothing.
final class MockPromptCache: Sendable {
    /// One breakpoint of a request: the hash of the prompt up to it, its token count and lifetime.
    struct Breakpoint: Sendable, Hashable {
        var prefixHash: UInt64
        var prefixTokens: Int
        var lifetime: Duration
    }

    /// What a request's breakpoints found, and the entries to write once it is admitted.
    struct Outcome: Sendable {
        /// Input tokens neither read nor written (Anthropic's `input_tokens`).
        var inputTokens: Int
        var cacheCreationInputTokens: Int = 0
        var cacheReadInputTokens: Int = 0
        /// Entries to store (written) or refresh (read), with their lifetimes.
        fileprivate var entries: [(EntryKey, Duration)] = []

        /// What Anthropic's input-tokens-per-minute limit counts: input plus cache writes.
        var limitedInputTokens: Int { inputTokens + cacheCreationInputTokens }
    }

    fileprivate struct EntryKey: Sendable, Hashable {
        var keyName: String
        var model: String
        var prefixHash: UInt64
    }

    private struct Entry {
        var expiresAt: Duration
        var lastUse: UInt64
    }

    private struct State {
        var entries: [EntryKey: Entry] = [:]
        var uses: UInt64 = 0
    }

    let settings: MockServerConfiguration.PromptCaching
    private let state = Mutex(State())

    init(settings: MockServerConfiguration.PromptCaching) {
        self.settings = settings
    }

    /// The number of cached prefixes (expired ones not yet evicted included).
    var count: Int { state.withLock { $0.entries.count } }

    /// How the prompt of `promptTokens` tokens with `breakpoints` (in prompt order) is served now.
    /// Reads nothing into the cache; ``commit(_:now:)`` does.
    func lookUp(_ breakpoints: [Breakpoint], key: String, model: String, promptTokens: Int, now: Duration) -> Outcome {
        let total = max(0, promptTokens)
        let eligible = breakpoints.filter { $0.prefixTokens >= settings.minimumTokens && $0.prefixTokens <= total }
        guard !eligible.isEmpty else { return Outcome(inputTokens: total) }
        let keys = eligible.map { EntryKey(keyName: key, model: model, prefixHash: $0.prefixHash) }
        let hit: Int? = state.withLock { state in
            keys.indices.last { index in (state.entries[keys[index]]?.expiresAt ?? .zero) > now }
        }
        var outcome = Outcome(inputTokens: total)
        var entries: [(EntryKey, Duration)] = []
        if let hit {
            outcome.cacheReadInputTokens = eligible[hit].prefixTokens
            entries.append((keys[hit], eligible[hit].lifetime))
        }
        let firstNew = hit.map { $0 + 1 } ?? 0
        if firstNew < eligible.count {
            let written = eligible[eligible.count - 1].prefixTokens - outcome.cacheReadInputTokens
            outcome.cacheCreationInputTokens = max(0, written)
            for index in firstNew..<eligible.count { entries.append((keys[index], eligible[index].lifetime)) }
        }
        outcome.inputTokens = max(0, total - outcome.cacheReadInputTokens - outcome.cacheCreationInputTokens)
        outcome.entries = entries
        return outcome
    }

    /// Stores the entries an admitted request wrote and refreshes the one it read.
    func commit(_ outcome: Outcome, now: Duration) {
        guard !outcome.entries.isEmpty else { return }
        state.withLock { state in
            for (key, lifetime) in outcome.entries {
                state.uses &+= 1
                let expiresAt = max(state.entries[key]?.expiresAt ?? .zero, now + lifetime)
                state.entries[key] = Entry(expiresAt: expiresAt, lastUse: state.uses)
            }
            if state.entries.count > settings.maxEntries { Self.evict(&state, now: now, keeping: settings.maxEntries) }
        }
    }

    /// Forgets every entry.
    func removeAll() {
        state.withLock { $0.entries.removeAll() }
    }

    /// Drops expired entries, then the least recently used down to seven eighths of `limit`, so
    /// that eviction runs once per many writes.
    private static func evict(_ state: inout State, now: Duration, keeping limit: Int) {
        state.entries = state.entries.filter { $0.value.expiresAt > now }
        guard state.entries.count > limit else { return }
        let target = max(0, limit - limit / 8)
        let byAge = state.entries.sorted { $0.value.lastUse < $1.value.lastUse }
        for (key, _) in byAge.prefix(state.entries.count - target) { state.entries[key] = nil }
    }
}

/// A 64-bit FNV-1a hash built as the prompt is walked; a snapshot at each breakpoint names the prefix.
struct MockPrefixHasher: Sendable {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Adds a tagged, length-prefixed piece, so that piece boundaries are part of the hash.
    mutating func add(_ tag: String, _ text: String) {
        for byte in tag.utf8 { mix(byte) }
        var length = UInt64(text.utf8.count)
        for _ in 0..<8 {
            mix(UInt8(truncatingIfNeeded: length))
            length >>= 8
        }
        for byte in text.utf8 { mix(byte) }
    }

    private mutating func mix(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
}
