import Sluice
import SluiceRedis
import Testing

/// `RedisConnection` against a real redis-server on loopback.
@Suite("Redis connection against redis-server")
struct RedisConnectionTests {
    @Test("commands get their own replies in order, pipelined from many tasks; scripts run; errors are typed")
    func commands() async throws {
        try await RedisTestServer.with { server in
            let connection = try await RedisConnection.connect(to: server.configuration)
            #expect(try await connection.send(["PING"]) == .simpleString("PONG"))
            #expect(try await connection.send(["SET", "greeting", "hello\r\nworld"]) == .simpleString("OK"))
            #expect(try await connection.send(["GET", "greeting"]).string == "hello\r\nworld")
            #expect(try await connection.send(["GET", "missing"]) == .bulkString(nil))
            let replies = try await withThrowingTaskGroup(of: (Int, Int64?).self) { group in
                for index in 0..<200 {
                    group.addTask { (index, try await connection.send(["INCRBY", "counter-\(index % 7)", String(index)]).integer) }
                }
                var replies: [Int: Int64?] = [:]
                for try await (index, value) in group { replies[index] = value }
                return replies
            }
            #expect(replies.count == 200)
            let total = try await (0..<7).asyncSum { try await connection.send(["GET", "counter-\($0)"]).integer ?? 0 }
            #expect(total == Int64((0..<200).reduce(0, +)))
            let script = try await connection.send(["EVAL", "return {KEYS[1], tonumber(ARGV[1]) * 2}", "1", "k", "21"])
            #expect(script == .array([.bulkString(Array("k".utf8)), .integer(42)]))
            let refused = await #expect(throws: RedisError.self) { try await connection.send(["NOSUCHCOMMAND"]).orThrow() }
            #expect(refused?.code == .serverError)
            #expect(refused?.serverErrorPrefix == "ERR")
            #expect(try await connection.send(["PING"]) == .simpleString("PONG"))
            await connection.close()
            let closed = await #expect(throws: RedisError.self) { try await connection.send(["PING"]) }
            #expect(closed?.code == .connectionFailed)
        }
    }

    @Test("a wrong password fails to connect with the server's error, never showing the password")
    func authentication() async throws {
        try await RedisTestServer.with { server in
            var configuration = server.configuration
            configuration.password = "wrong-password-marker"
            let error = await #expect(throws: RedisError.self) { try await RedisConnection.connect(to: configuration) }
            #expect(error?.code == .serverError)
            #expect(error.map { !"\($0)".contains("wrong-password-marker") } == true)
            configuration.password = nil
            let unauthenticated = try await RedisConnection.connect(to: configuration)
            let refused = await #expect(throws: RedisError.self) { try await unauthenticated.send(["GET", "x"]).orThrow() }
            #expect(refused?.serverErrorPrefix == "NOAUTH")
            await unauthenticated.close()
        }
    }

    @Test("a command without an answer times out and closes the connection; a database number is selected")
    func timeoutAndDatabase() async throws {
        try await RedisTestServer.with { server in
            var configuration = server.configuration
            configuration.database = 3
            // Long enough for AUTH and SELECT on a loaded machine, far shorter than the BLPOP below.
            configuration.commandTimeout = .seconds(4)
            let connection = try await RedisConnection.connect(to: configuration)
            _ = try await connection.send(["SET", "where", "three"]).orThrow()
            let other = try await RedisConnection.connect(to: server.configuration)
            #expect(try await other.send(["GET", "where"]) == .bulkString(nil))  // database 0
            // BLPOP on an empty list waits 20 s on the server: far longer than the command timeout.
            let start = ContinuousClock.now
            let error = await #expect(throws: RedisError.self) { try await connection.send(["BLPOP", "empty", "20"]) }
            #expect(error?.code == .timedOut)
            #expect(ContinuousClock.now - start < .seconds(15))
            // The timeout closed the connection (its close runs on the event loop, before any later
            // write): the next command fails instead of reading the BLPOP's late reply.
            let after = await #expect(throws: RedisError.self) { try await connection.send(["PING"]) }
            #expect(after?.code == .connectionFailed)
            await other.close()
        }
    }
}

extension RedisConnectionTests {
    @Test("arguments of any length and number reach the server intact, as text and as bytes")
    func encoding() async throws {
        try await RedisTestServer.with { server in
            let connection = try await RedisConnection.connect(to: server.configuration)
            for length in [0, 1, 9, 10, 11, 99, 100, 101, 999, 1_000, 12_345] {
                // Two-byte characters and a one-byte one: `length` bytes of UTF-8.
                let text = String(repeating: "é", count: length / 2) + String(repeating: "x", count: length % 2)
                #expect(try await connection.send(["ECHO", text]).string == text)
                let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
                #expect(try await connection.send([Array("ECHO".utf8), bytes]) == .bulkString(bytes))
            }
            let items = (0..<120).map { "item-\($0)" }
            _ = try await connection.send(["RPUSH", "list"] + items).orThrow()
            #expect(try await connection.send(["LRANGE", "list", "0", "-1"]).array?.compactMap(\.string) == items)
            _ = try await connection.send([Array("DEL".utf8), Array("list".utf8)]).orThrow()
            let bytes = [Array("RPUSH".utf8), Array("list".utf8)] + items.map { Array($0.utf8) }
            _ = try await connection.send(bytes).orThrow()
            #expect(try await connection.send(["LLEN", "list"]) == .integer(120))
            await connection.close()
        }
    }
}

extension Sequence {
    fileprivate func asyncSum(_ transform: (Element) async throws -> Int64) async rethrows -> Int64 {
        var total: Int64 = 0
        for element in self { total += try await transform(element) }
        return total
    }
}

@Suite("Redis over TLS against redis-server")
struct RedisTLSTests {
    @Test("rediss: a server whose certificate chains to the given CA and names the host is used; the shared store works over it")
    func verified() async throws {
        try await RedisTestServer.with(tls: true) { server in
            let connection = try await RedisConnection.connect(to: server.configuration)
            #expect(try await connection.send(["PING"]) == .simpleString("PONG"))
            await connection.close()
            var configuration = RedisRateLimitStore.Configuration(redis: server.configuration)
            configuration.failurePolicy = .failClosed
            let store = RedisRateLimitStore(configuration: configuration)
            let reservation = try await store.reserve(
                RateLimitReservationRequest(
                    candidates: [RateLimitCandidate(bucket: RateLimitBucketID(keyID: KeyID(rawValue: "tls")), limits: RateLimits(requestsPerMinute: 60))],
                    cost: RateLimitCost(requests: 1)))
            #expect(!reservation.queued)
            await store.close()
        }
    }

    @Test("rediss: an untrusted certificate, plain TCP to a TLS port, or a missing CA file fail with typed errors")
    func refused() async throws {
        try await RedisTestServer.with(tls: true) { server in
            var untrusted = server.configuration
            untrusted.tls = RedisConfiguration.TLS()  // the system's authorities do not know the test CA
            let notTrusted = await #expect(throws: RedisError.self) { try await RedisConnection.connect(to: untrusted) }
            #expect(notTrusted?.code == .connectionFailed)

            var plain = server.configuration
            plain.tls = nil
            plain.commandTimeout = .milliseconds(500)
            let refused = await #expect(throws: RedisError.self) { try await RedisConnection.connect(to: plain) }
            #expect(refused.map { [.connectionFailed, .timedOut, .protocolError].contains($0.code) } == true)

            var missingFile = server.configuration
            missingFile.tls?.caCertificateFile = "/nonexistent/ca.pem"
            let badSettings = await #expect(throws: RedisError.self) { try await RedisConnection.connect(to: missingFile) }
            #expect(badSettings?.code == .invalidConfiguration)
        }
    }
}
