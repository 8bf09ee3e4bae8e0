import Synchronization

/// The bounded record of the requests a server received (see ``MockJournalEntry``).
///
/// Keeps at most `capacity` entries in a ring, dropping (and counting) the oldest; a request's
/// entry is created when it arrives and annotated while it is answered, through the task-local
/// ``MockJournal/current`` that the journal middleware sets around the route handler.
final class MockJournal: Sendable {
    /// The entry of the request the current task answers, if it is journaled.
    @TaskLocal static var current: Handle?

    /// Refers to one entry; annotating an entry that has been dropped or cleared does nothing.
    struct Handle: Sendable {
        let journal: MockJournal
        let sequence: Int

        func update(_ change: (inout MockJournalEntry) -> Void) {
            self.journal.update(sequence: self.sequence, change)
        }
    }

    private struct State: Sendable {
        /// A ring of `capacity` slots; the entry with sequence `s` lives at `(s - 1) % capacity`.
        var slots: [MockJournalEntry?]
        /// The sequence of the oldest entry kept (`nextSequence` when empty).
        var oldest = 1
        var nextSequence = 1
        var dropped = 0
    }

    let capacity: Int
    let maxBodyBytes: Int
    private let state: Mutex<State>

    init(capacity: Int, maxBodyBytes: Int) {
        self.capacity = max(1, capacity)
        self.maxBodyBytes = max(0, maxBodyBytes)
        self.state = Mutex(State(slots: Array(repeating: nil, count: max(1, capacity))))
    }

    /// Adds an entry (its sequence is assigned here) and returns its handle.
    func append(_ entry: MockJournalEntry) -> Handle {
        let sequence = self.state.withLock { state -> Int in
            let sequence = state.nextSequence
            state.nextSequence += 1
            if sequence - state.oldest >= self.capacity {
                state.oldest += 1
                state.dropped += 1
            }
            var entry = entry
            entry.sequence = sequence
            state.slots[(sequence - 1) % self.capacity] = entry
            return sequence
        }
        return Handle(journal: self, sequence: sequence)
    }

    func update(sequence: Int, _ change: (inout MockJournalEntry) -> Void) {
        self.state.withLock { state in
            guard sequence >= state.oldest, sequence < state.nextSequence else { return }
            let index = (sequence - 1) % self.capacity
            guard var entry = state.slots[index] else { return }
            change(&entry)
            state.slots[index] = entry
        }
    }

    /// A page of the journal.
    struct Page: Sendable {
        var entries: [MockJournalEntry]
        /// Entries dropped to keep within capacity since the server started or was reset.
        var dropped: Int
        /// The sequence the next request will get.
        var nextSequence: Int
    }

    /// Entries with a sequence above `since`, oldest first, at most `limit` of them.
    func page(since: Int = 0, limit: Int = .max) -> Page {
        self.state.withLock { state in
            let first = since >= state.nextSequence ? state.nextSequence : max(state.oldest, since + 1)
            var entries: [MockJournalEntry] = []
            var sequence = first
            while sequence < state.nextSequence, entries.count < limit {
                if let entry = state.slots[(sequence - 1) % self.capacity] { entries.append(entry) }
                sequence += 1
            }
            return Page(entries: entries, dropped: state.dropped, nextSequence: state.nextSequence)
        }
    }

    /// Removes every entry and returns how many there were; sequences go on from where they were.
    @discardableResult
    func clear() -> Int {
        self.state.withLock { state in
            let count = state.nextSequence - state.oldest
            state.slots = Array(repeating: nil, count: self.capacity)
            state.oldest = state.nextSequence
            state.dropped = 0
            return count
        }
    }
}
