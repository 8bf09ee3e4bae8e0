import Sluice
import SluiceTesting
import Synchronization
import Testing

/// A context for one call through the limiter.
func limiterContext(key: KeyID? = KeyID(rawValue: "key-a"), deadline: Duration? = nil) -> ClientContext {
    ClientContext(callID: 1, provider: .openAI, model: "m", operation: .chat, deadline: deadline, keyID: key)
}

/// A request whose URL names it, so the transport can record the order of arrival.
func limiterRequest(_ name: String) -> ClientRequest {
    ClientRequest(method: .post, url: "http://127.0.0.1:1/\(name)")
}

extension ConcurrencyLimitMiddleware {
    /// Sends `request` through this middleware to `transport`.
    func send(_ request: ClientRequest, context: ClientContext = limiterContext(), to transport: some ClientTransport)
        async throws -> ClientResponse
    {
        try await intercept(request, context: context) { request, _ in try await transport.send(request) }
    }
}

/// Yields until `condition` holds (other tasks make progress meanwhile); never sleeps.
func yieldUntil(_ what: Comment, _ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async {
    for _ in 0..<1_000_000 {
        if condition() { return }
        await Task.yield()
    }
    Issue.record("never happened: \(what)", sourceLocation: sourceLocation)
}

/// A body source that fails on its first read.
struct FailingBodySource: ResponseBodySource {
    struct Failure: Error {}
    func next() async throws -> [UInt8]? { throw Failure() }
    func cancel() {}
}

/// Counts, from the transport's side, the requests whose response body has not ended yet, and the
/// highest that count reached.
final class InFlightProbe: Sendable {
    private struct Counts { var active = 0; var peak = 0; var terminations: [String] = [] }
    private let counts = Mutex(Counts())

    var active: Int { counts.withLock { $0.active } }
    var peak: Int { counts.withLock { $0.peak } }
    /// How each body ended, in order.
    var terminations: [String] { counts.withLock { $0.terminations } }

    /// Counts `body` as in flight until it ends. Call before handing the response to the middleware,
    /// so this handler runs before the middleware's release.
    func track(_ body: ResponseBody) {
        counts.withLock {
            $0.active += 1
            $0.peak = max($0.peak, $0.active)
        }
        body.onTermination { [self] termination in
            let name: String =
                switch termination {
                case .finished: "finished"
                case .failed: "failed"
                case .cancelled: "cancelled"
                case .discarded: "discarded"
                }
            counts.withLock {
                $0.active -= 1
                $0.terminations.append(name)
            }
        }
    }
}
