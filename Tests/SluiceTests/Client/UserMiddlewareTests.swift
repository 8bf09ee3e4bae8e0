import Sluice
import SluiceTesting
import Synchronization
import Testing

/// Records what a middleware saw, in order.
private final class Seen: Sendable {
    private let entries = Mutex<[String]>([])
    func add(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}

/// A middleware spelled with `Next`, run on the caller's executor.
private struct Stamp: ClientMiddleware {
    let name: String
    let seen: Seen

    func intercept(_ request: ClientRequest, context: ClientContext, next: Next) async throws -> ClientResponse {
        seen.add("\(name) attempt \(context.attempt)")
        var request = request
        request.headers.add(name: "x-stamp", value: name)
        return try await next(request, context)
    }
}

/// A middleware written as a plain `async` function with `@concurrent`: it conforms and runs on the
/// global executor.
private struct ConcurrentStamp: ClientMiddleware {
    let seen: Seen

    @concurrent func intercept(
        _ request: ClientRequest, context: ClientContext, next: ClientMiddleware.Next
    ) async throws -> ClientResponse {
        seen.add("concurrent attempt \(context.attempt)")
        return try await next(request, context)
    }
}

@Suite("User middleware and key authorization through LLMClient")
struct UserMiddlewareTests {
    static func configuration() throws -> LLMClient.Configuration {
        var configuration = LLMClient.Configuration(
            adapter: TestAdapter(), baseURL: "http://127.0.0.1:9/v1/", apiKey: "KEY-OWN")
        configuration.retryPolicy = try RetryPolicy(maxAttempts: 3, initialBackoff: .nanoseconds(1), maxBackoff: .nanoseconds(1))
        configuration.retryBudget = nil
        return configuration
    }

    @Test("outer middleware runs once per call, attempt middleware once per attempt, both reach the transport")
    func slots() async throws {
        let seen = Seen()
        let answers = Mutex(0)
        let transport = InMemoryTransport { request in
            let answer = answers.withLock { count in
                count += 1
                return count
            }
            if answer == 1 { return ClientResponse(status: 503, body: ResponseBody(bytes: Array("{}".utf8))) }
            return ClientResponse(status: 200, body: ResponseBody(bytes: Array("ok".utf8)))
        }
        var configuration = try Self.configuration()
        configuration.outerMiddleware = [Stamp(name: "outer", seen: seen)]
        configuration.attemptMiddleware = [Stamp(name: "attempt", seen: seen), ConcurrentStamp(seen: seen)]
        let client = LLMClient(configuration, transport: transport)

        let reply = try await client.chat("hi")
        #expect(reply.text == "ok")
        #expect(
            seen.all == [
                "outer attempt 1",
                "attempt attempt 1", "concurrent attempt 1",
                "attempt attempt 2", "concurrent attempt 2",
            ])
        #expect(transport.requests.count == 2)
        for request in transport.requests {
            #expect(request.headers.values(for: "x-stamp") == ["outer", "attempt"])
        }
    }

    @Test("with a key pool, each request carries the key the limiter chose, the client's own or another")
    func poolAuthorization() async throws {
        let transport = InMemoryTransport { _ in ClientResponse(status: 200, body: ResponseBody(bytes: Array("ok".utf8))) }
        var configuration = try Self.configuration()
        // One request per minute on each key: the first call takes the client's own key, the second
        // the other one (it admits sooner).
        configuration.rateLimits = RateLimitMiddleware.Configuration(keys: [
            APIKey("KEY-OWN", limits: RateLimits(requestsPerMinute: 1)),
            APIKey("KEY-OTHER", limits: RateLimits(requestsPerMinute: 1)),
        ])
        let client = LLMClient(configuration, transport: transport)
        _ = try await client.chat("one")
        _ = try await client.chat("two")
        let keys = transport.requests.map { $0.headers["authorization"] }
        #expect(keys == ["Bearer KEY-OWN", "Bearer KEY-OTHER"])
        #expect(transport.requests.allSatisfy { $0.headers.values(for: "authorization").count == 1 })
    }
}
