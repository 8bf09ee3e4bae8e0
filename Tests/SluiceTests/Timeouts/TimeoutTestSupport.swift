import Sluice
import SluiceTesting
import Synchronization

/// Records every termination reason a body reports, so tests can check "exactly once".
final class BodyTerminations: Sendable {
    private let reasons = Mutex<[String]>([])

    func record(_ termination: BodyTermination) {
        let name: String
        switch termination {
        case .finished: name = "finished"
        case .failed: name = "failed"
        case .cancelled: name = "cancelled"
        case .discarded: name = "discarded"
        }
        reasons.withLock { $0.append(name) }
    }

    var all: [String] { reasons.withLock { $0 } }
}

/// A body source the test feeds by hand: chunks, an end or an error, and a reader that waits until
/// then. A cancel (the body discarded) makes a pending read fail at once, as a transport's does.
final class ControlledSource: ResponseBodySource {
    private struct State {
        var queued: [Result<[UInt8]?, any Error>] = []
        var reader: CheckedContinuation<[UInt8]?, any Error>?
        var pendingWaiters: [CheckedContinuation<Void, Never>] = []
        var cancels = 0
    }

    private let state = Mutex(State())

    var cancelCount: Int { state.withLock { $0.cancels } }

    func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                let (ready, waiters): (Result<[UInt8]?, any Error>?, [CheckedContinuation<Void, Never>]) =
                    state.withLock { state in
                        if state.cancels > 0 { return (.failure(SluiceError(.connectionClosed, "aborted")), []) }
                        if !state.queued.isEmpty { return (state.queued.removeFirst(), []) }
                        state.reader = continuation
                        defer { state.pendingWaiters = [] }
                        return (nil, state.pendingWaiters)
                    }
                for waiter in waiters { waiter.resume() }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let reader = state.withLock { $0.reader.take() }
            reader?.resume(throwing: CancellationError())
        }
    }

    func cancel() {
        let reader = state.withLock { state in
            state.cancels += 1
            return state.reader.take()
        }
        reader?.resume(throwing: SluiceError(.connectionClosed, "aborted"))
    }

    /// Returns once a reader waits for the next chunk.
    func waitUntilPending() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let pending = state.withLock { state in
                if state.reader != nil { return true }
                state.pendingWaiters.append(continuation)
                return false
            }
            if pending { continuation.resume() }
        }
    }

    func send(_ chunk: [UInt8]) { deliver(.success(chunk)) }
    func finish() { deliver(.success(nil)) }
    func fail(_ error: any Error) { deliver(.failure(error)) }

    private func deliver(_ result: Result<[UInt8]?, any Error>) {
        let reader = state.withLock { state in
            if let reader = state.reader.take() { return Optional(reader) }
            state.queued.append(result)
            return nil
        }
        reader?.resume(with: result)
    }
}

extension Optional {
    mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}

/// A transport answer that never comes: waits on a clock nobody advances, until cancelled.
final class Stall: Sendable {
    let clock = TestClock()
    let cancelled = Mutex(false)

    func wait() async throws -> ClientResponse {
        do {
            try await clock.sleep(for: .seconds(1_000_000))
        } catch {
            cancelled.withLock { $0 = true }
            throw error
        }
        return ClientResponse(status: 200)
    }
}

enum TestCalls {
    static let request = ClientRequest(method: .post, url: "https://api.example.com/v1/chat/completions")

    static func context(
        _ operation: ClientContext.Operation = .chat,
        deadline: Duration? = nil,
        options: CallOptions = CallOptions()
    ) -> ClientContext {
        ClientContext(
            callID: 1, provider: .openAI, model: "test-model", operation: operation, deadline: deadline,
            keyID: KeyID(rawValue: "key-test"), options: options)
    }

    /// Runs `middleware` over a closure transport.
    static func send(
        _ middleware: some ClientMiddleware,
        _ operation: ClientContext.Operation = .chat,
        context: ClientContext? = nil,
        transport: @escaping @Sendable (ClientRequest, ClientContext) async throws -> ClientResponse
    ) async throws -> ClientResponse {
        try await middleware.intercept(request, context: context ?? Self.context(operation), next: transport)
    }

    /// Reads a body to its end, returning the chunks.
    static func read(_ body: ResponseBody) async throws -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        for try await chunk in body { chunks.append(chunk) }
        return chunks
    }
}
