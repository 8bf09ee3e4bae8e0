import Sluice
import SluiceTesting
import Synchronization
import Testing

/// Helpers shared by the rate-limit tests.
enum RL {
    static let request = ClientRequest(method: .post, url: "https://api.example.com/v1/chat/completions")

    static func context(
        provider: Provider = .openAI, model: String = "m", input: Int = 100, maxOutput: Int = 200,
        deadline: Duration? = nil, options: CallOptions = CallOptions(), callID: UInt64 = 1,
        events recorder: EventRecorder? = nil, clock: TestClock? = nil
    ) -> ClientContext {
        ClientContext(
            callID: callID, provider: provider, model: model, operation: .chat,
            tokenEstimate: TokenEstimate(input: input, maxOutput: maxOutput), deadline: deadline, options: options,
            events: recorder.map { EventEmitter(handlers: [$0], clock: clock ?? TestClock()) } ?? .none)
    }

    static func request(_ keyID: String, limits: RateLimits, cost: RateLimitCost, deadline: Duration? = nil, maxWait: Duration? = nil)
        -> RateLimitReservationRequest
    {
        RateLimitReservationRequest(
            candidates: [RateLimitCandidate(bucket: bucket(keyID), limits: limits)], cost: cost, deadline: deadline,
            maxWait: maxWait, safetyMargin: .none)
    }

    static func bucket(_ keyID: String, model: String? = nil) -> RateLimitBucketID {
        RateLimitBucketID(keyID: KeyID(rawValue: keyID), model: model)
    }

    static func requests(_ n: Int) -> RateLimitCost { RateLimitCost(requests: n) }
    static func tokens(_ n: Int) -> RateLimitCost { RateLimitCost(requests: 1, tokens: n, inputTokens: n) }

    /// Yields until `condition` holds (other tasks getting to their waits); fails after many tries.
    static func eventually(_ what: String = "condition", _ condition: () async -> Bool) async {
        for _ in 0..<10_000 {
            if await condition() { return }
            await Task.yield()
        }
        Issue.record("timed out waiting for \(what)")
    }

    static func waiting(_ store: some RateLimitStore, _ bucket: RateLimitBucketID) async -> Int {
        await store.state(of: bucket)?.waiting ?? 0
    }

    static func available(_ store: any RateLimitStore, _ bucket: RateLimitBucketID, _ dimension: RateLimitDimension) async -> Double {
        await store.state(of: bucket)?.available[dimension] ?? -1
    }

    /// A response with these headers and body.
    static func response(_ status: Int, _ headers: HTTPHeaders = [:], body: String = "") -> ClientResponse {
        ClientResponse(status: status, headers: headers, body: ResponseBody(bytes: Array(body.utf8)))
    }

    /// Sends through `middleware` to `transport`, recording the context the transport saw.
    static func send(
        _ middleware: RateLimitMiddleware, _ transport: InMemoryTransport, context: ClientContext,
        seen: Recorder<ClientContext>? = nil
    ) async throws -> ClientResponse {
        try await middleware.intercept(request, context: context) { request, context in
            seen?.append(context)
            return try await transport.send(request)
        }
    }

    static func authorization(_ request: ClientRequest) -> String? { request.headers["authorization"] }
}

/// Collects values from concurrent tasks, in order.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}
