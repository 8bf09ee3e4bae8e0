import Synchronization

/// Why a ``ResponseBody`` ended. Passed to every ``ResponseBody/onTermination(_:)`` handler.
public enum BodyTermination: Sendable {
    /// The consumer read the body to its end, or found the end of what it reads (a stream's end
    /// marker) and let the rest go.
    case finished
    /// Reading failed with this error (a transport error, or a size limit in `collect(upTo:)`).
    case failed(any Error)
    /// The task consuming the body was cancelled.
    case cancelled
    /// The body was discarded with ``ResponseBody/discard()`` or released without being read.
    case discarded
}

/// The streaming body of a ``ClientResponse``: an `AsyncSequence` of byte chunks that can be read once.
///
/// Read it chunk by chunk, collect it with a size limit, or discard it:
///
/// ```swift
/// for try await chunk in response.body { try parser.parse(chunk) { print($0.data) } }
/// let bytes = try await response.body.collect(upTo: 1 << 20)
/// response.body.discard()
/// ```
///
/// Layers that hold something for the life of the body (a concurrency permit, a token reservation, an
/// attempt timer) register an ``onTermination(_:)`` handler.
///
/// - Important: The termination handlers run exactly once, with the first of these to happen: the
///   consumer reads to the end (`.finished`); reading throws (`.failed`); the consuming task is
///   cancelled (`.cancelled`); ``discard()`` is called, or the last copy of the body is released
///   without being read to the end (`.discarded`). They run synchronously on the task that caused the
///   termination, so they must be cheap and must not block. A handler registered after termination
///   runs at once. A body can be iterated once; a second iterator throws
///   ``SluiceError/Code/bodyAlreadyConsumed``.
public struct ResponseBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    let storage: Storage

    /// The length the server announced (`Content-Length`), when it did.
    public var expectedContentLength: Int? { storage.expectedContentLength }

    /// A body produced by a source, such as a transport's transfer.
    public init(source: some ResponseBodySource, expectedContentLength: Int? = nil) {
        storage = Storage(source: source, expectedContentLength: expectedContentLength)
    }

    /// A body held in memory, served as one chunk.
    public init(bytes: [UInt8]) {
        // Held by the body's own storage: one object in all, no source and no array of chunks.
        storage = Storage(memory: bytes.isEmpty ? .none : .one(bytes), expectedContentLength: bytes.count)
    }

    /// A body held in memory, served as these chunks.
    public init(chunks: [[UInt8]]) {
        let total = chunks.reduce(0) { $0 + $1.count }
        storage = Storage(memory: chunks.isEmpty ? .none : .many(chunks[...]), expectedContentLength: total)
    }

    /// A body with no bytes.
    public static var empty: ResponseBody { ResponseBody(chunks: []) }

    /// Registers a handler that runs exactly once when the body ends, whatever ends it.
    /// Runs at once if the body has already ended.
    public func onTermination(_ handler: @escaping @Sendable (BodyTermination) -> Void) {
        storage.addHandler(handler)
    }

    /// Whether the body has ended (finished, failed, cancelled or discarded).
    public var isTerminated: Bool { storage.isTerminated }

    /// Stops the body without reading it: aborts the transfer and runs the termination handlers with
    /// `.discarded`. Does nothing if the body has already ended.
    public func discard() {
        storage.terminate(.discarded, cancelSource: true)
    }

    /// Ends the body as read to its end although the source may have more: the consumer found the end
    /// of what it reads (a stream's end marker) before the source ended. Runs the termination handlers
    /// with `.finished` and cancels the source, which releases what it holds: a transfer that has
    /// already ended keeps its connection for reuse; one still running is aborted. Does nothing if the
    /// body has already ended; a later read returns `nil`.
    func finishEarly() {
        storage.terminate(.finished, cancelSource: true)
    }

    /// Reads the whole body into memory.
    ///
    /// - Parameter maxBytes: the most bytes to accept. A body that announces or delivers more is
    ///   aborted and the call throws ``SluiceError/Code/bodyTooLarge``; nothing more is read.
    public nonisolated(nonsending) func collect(upTo maxBytes: Int) async throws -> [UInt8] {
        if let expected = expectedContentLength, expected > maxBytes {
            let error = Self.tooLarge(maxBytes)
            storage.terminate(.failed(error), cancelSource: true)
            throw error
        }
        // A body held in memory is taken whole: no chunk-by-chunk reads, and a single chunk is
        // returned as it is (shared, not copied).
        if storage.isInMemory, let chunks = storage.takeAll() {
            return try collectInMemory(chunks, upTo: maxBytes)
        }
        var result: [UInt8] = []
        for try await chunk in self {
            guard chunk.count <= maxBytes - result.count else {
                let error = Self.tooLarge(maxBytes)
                storage.terminate(.failed(error), cancelSource: true)
                throw error
            }
            if result.isEmpty {
                // The first chunk is taken as it is: a body in one chunk costs no copy.
                result = chunk
            } else {
                // Room for the announced length (at most maxBytes, checked above) once a second chunk
                // comes, rather than growing chunk by chunk.
                if let expected = expectedContentLength, result.capacity < expected {
                    result.reserveCapacity(expected)
                }
                result.append(contentsOf: chunk)
            }
        }
        return result
    }

    private func collectInMemory(_ chunks: MemoryChunks, upTo maxBytes: Int) throws -> [UInt8] {
        guard chunks.byteCount <= maxBytes else {
            let error = Self.tooLarge(maxBytes)
            storage.terminate(.failed(error), cancelSource: false)
            throw error
        }
        storage.terminate(.finished, cancelSource: false)
        return chunks.joined()
    }

    static func tooLarge(_ maxBytes: Int) -> SluiceError {
        SluiceError(.bodyTooLarge, "the response body is larger than the limit of \(maxBytes) bytes")
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(storage: storage)
    }

    /// Reads chunks in order; see ``ResponseBody`` for the termination rules.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private enum Phase { case fresh, reading, done }

        private let storage: Storage
        private var phase = Phase.fresh

        init(storage: Storage) { self.storage = storage }

        public mutating func next() async throws -> [UInt8]? {
            try await nextChunk()
        }

        /// Runs on the consumer's executor (what `for try await` in an isolated context calls).
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> [UInt8]? {
            try await nextChunk()
        }

        /// The read itself; everything around it is out of line (`startRead()`,
        /// `Storage.readFailed(_:)`), so that this frame, on the consumer's task for every chunk
        /// (twice for a timed body), stays small: a task keeps the memory its deepest frames took for
        /// as long as it runs.
        private nonisolated(nonsending) mutating func nextChunk() async throws -> [UInt8]? {
            guard try startRead() else { return nil }
            do {
                // A body held in memory has no source: its chunks are served from the storage.
                let chunk = if let source = storage.source { try await source.next() } else { storage.nextInMemory() }
                if let chunk {
                    return chunk
                }
                phase = .done
                storage.terminate(.finished, cancelSource: false)
                return nil
            } catch {
                phase = .done
                throw storage.readFailed(error)
            }
        }

        /// Whether to read from the source: `false` at the end; throws what ended the body otherwise
        /// (already read, failed, cancelled, discarded).
        @inline(never)
        private mutating func startRead() throws -> Bool {
            switch phase {
            case .done:
                return false
            case .fresh:
                guard storage.claim() else {
                    phase = .done
                    throw SluiceError(.bodyAlreadyConsumed, "the response body was already read")
                }
                phase = .reading
            case .reading:
                break
            }
            if let termination = storage.termination {
                phase = .done
                switch termination {
                case .finished: return false
                case .failed(let error): throw error
                case .cancelled: throw CancellationError()
                case .discarded: throw SluiceError(.bodyAlreadyConsumed, "the response body was discarded")
                }
            }
            if Task.isCancelled {
                phase = .done
                storage.terminate(.cancelled, cancelSource: true)
                throw CancellationError()
            }
            return true
        }
    }

    final class Storage: Sendable {
        private struct State {
            var claimed = false
            var termination: BodyTermination?
            var handlers = CallbackList<TerminationHandler>()
            /// A body held in memory: the chunks not yet served (dropped when the body ends).
            var memory = MemoryChunks.none
        }

        /// What produces the chunks; `nil` for a body held in memory (its chunks are in the state).
        let source: (any ResponseBodySource)?
        let expectedContentLength: Int?
        private let state: Mutex<State>

        init(source: any ResponseBodySource, expectedContentLength: Int?) {
            self.source = source
            self.expectedContentLength = expectedContentLength
            state = Mutex(State())
        }

        init(memory: MemoryChunks, expectedContentLength: Int) {
            source = nil
            self.expectedContentLength = expectedContentLength
            state = Mutex(State(memory: memory))
        }

        /// The body is held in memory: reads never wait.
        var isInMemory: Bool { source == nil }

        deinit {
            terminate(.discarded, cancelSource: true)
        }

        var termination: BodyTermination? { state.withLock { $0.termination } }
        var isTerminated: Bool { termination != nil }

        /// Claims a body held in memory and takes all its chunks at once, or `nil` if the body was
        /// already claimed or has ended (the iterator then reports why).
        func takeAll() -> MemoryChunks? {
            state.withLock { state in
                if state.claimed || state.termination != nil { return nil }
                state.claimed = true
                return state.memory.take()
            }
        }

        /// The next chunk of a body held in memory, or `nil` at its end.
        func nextInMemory() -> [UInt8]? {
            state.withLock { $0.memory.popFirst() }
        }

        func claim() -> Bool {
            state.withLock { state in
                if state.claimed { return false }
                state.claimed = true
                return true
            }
        }

        func addHandler(_ handler: @escaping @Sendable (BodyTermination) -> Void) {
            let ended: BodyTermination? = state.withLock { state in
                if let termination = state.termination { return termination }
                state.handlers.append(TerminationHandler(body: handler))
                return nil
            }
            if let ended { handler(ended) }
        }

        /// Ends the body after its source failed with `error`, and returns what the read throws.
        @inline(never)
        func readFailed(_ error: any Error) -> any Error {
            if error is CancellationError || Task.isCancelled {
                terminate(.cancelled, cancelSource: true)
                return CancellationError()
            }
            // A discard from another task makes the pending read fail; report it as such.
            if case .discarded? = termination {
                return SluiceError(.bodyAlreadyConsumed, "the response body was discarded")
            }
            terminate(.failed(error), cancelSource: false)
            return error
        }

        @inline(never)
        func terminate(_ reason: BodyTermination, cancelSource: Bool) {
            let handlers: CallbackList<TerminationHandler>? = state.withLock { state in
                guard state.termination == nil else { return nil }
                state.termination = reason
                if cancelSource { state.memory = .none }
                return state.handlers.take()
            }
            guard let handlers else { return }
            if cancelSource { source?.cancel() }
            handlers.run(reason)
        }
    }
}

/// The chunks of a body held in memory: none, one (the usual case, with no array around it), or
/// several.
enum MemoryChunks: Sendable {
    case none
    case one([UInt8])
    case many(ArraySlice<[UInt8]>)

    var byteCount: Int {
        switch self {
        case .none: 0
        case .one(let bytes): bytes.count
        case .many(let chunks): chunks.reduce(0) { $0 + $1.count }
        }
    }

    /// Every byte in one array; a single chunk is returned as it is (shared, not copied).
    func joined() -> [UInt8] {
        switch self {
        case .none: return []
        case .one(let bytes): return bytes
        case .many(let chunks):
            if chunks.count == 1 { return chunks[chunks.startIndex] }
            var result: [UInt8] = []
            result.reserveCapacity(byteCount)
            for chunk in chunks { result.append(contentsOf: chunk) }
            return result
        }
    }

    /// Removes and returns the first chunk, or `nil` when none is left.
    mutating func popFirst() -> [UInt8]? {
        switch self {
        case .none:
            return nil
        case .one(let bytes):
            self = .none
            return bytes
        case .many(var chunks):
            self = .none
            let first = chunks.popFirst()
            if !chunks.isEmpty { self = .many(chunks) }
            return first
        }
    }

    /// Returns the chunks and leaves none.
    mutating func take() -> MemoryChunks {
        defer { self = .none }
        return self
    }
}
