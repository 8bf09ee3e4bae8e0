import Testing

@testable import SluiceRedis

@Suite("RESP parser")
struct RESPParserTests {
    private func parse(_ text: String, limits: RESPParser.Limits = RESPParser.Limits()) throws -> [RESPValue] {
        var parser = RESPParser(limits: limits)
        parser.append(Array(text.utf8))
        var values: [RESPValue] = []
        while let value = try parser.next() { values.append(value) }
        return values
    }

    @Test("every RESP2 reply kind, null bulk strings and arrays, nested arrays")
    func kinds() throws {
        let values = try parse("+OK\r\n-ERR no\r\n:-42\r\n$5\r\nhe\r\no\r\n$-1\r\n*-1\r\n*2\r\n:1\r\n*1\r\n$0\r\n\r\n")
        #expect(
            values == [
                .simpleString("OK"), .error("ERR no"), .integer(-42), .bulkString(Array("he\r\no".utf8)), .bulkString(nil),
                .array(nil), .array([.integer(1), .array([.bulkString([])])]),
            ])
    }

    @Test("a reply split at every byte comes out whole, once")
    func splitAnywhere() throws {
        let text = Array("*3\r\n$3\r\nfoo\r\n:7\r\n+PONG\r\n".utf8)
        for split in 0...text.count {
            var parser = RESPParser()
            parser.append(text[..<split])
            var values: [RESPValue] = []
            while let value = try parser.next() { values.append(value) }
            parser.append(text[split...])
            while let value = try parser.next() { values.append(value) }
            #expect(values == [.array([.bulkString(Array("foo".utf8)), .integer(7), .simpleString("PONG")])], "split at \(split)")
            #expect(parser.buffered == 0)
        }
    }

    @Test(
        "hostile replies are typed errors, never a trap",
        arguments: [
            "?what\r\n", ":12a\r\n", ":99999999999999999999999\r\n", "$-2\r\n", "$99999999999999999999\r\n",
            "$3\r\nabcde\r\n", "*-5\r\n", "+OK\rX", "$999999999\r\n",
        ])
    func hostile(_ text: String) {
        #expect(throws: RedisError.self) { _ = try parse(text, limits: RESPParser.Limits(maxBulkLength: 1 << 20)) }
    }

    @Test("limits: a bulk string, an array or a nesting beyond them is refused before it is buffered")
    func limits() {
        let limits = RESPParser.Limits(maxBulkLength: 4, maxArrayCount: 2, maxDepth: 3, maxLineLength: 16)
        #expect(throws: RedisError.self) { _ = try parse("$5\r\n", limits: limits) }
        #expect(throws: RedisError.self) { _ = try parse("*3\r\n", limits: limits) }
        #expect(throws: RedisError.self) { _ = try parse("*1\r\n*1\r\n*1\r\n:1\r\n", limits: limits) }
        #expect(throws: RedisError.self) { _ = try parse("+" + String(repeating: "a", count: 40), limits: limits) }
        #expect((try? parse("*2\r\n*1\r\n:1\r\n$4\r\nabcd\r\n", limits: limits)) != nil)
    }
}

@Suite("Redis configuration")
struct RedisConfigurationTests {
    @Test("redis:// and rediss:// URLs: host, port, user, password, database, IPv6, percent escapes, TLS")
    func urls() throws {
        let full = try RedisConfiguration(url: "redis://app:s%40cret@10.0.0.5:6380/3")
        #expect(full.host == "10.0.0.5" && full.port == 6380 && full.user == "app" && full.password == "s@cret" && full.database == 3)
        let bare = try RedisConfiguration(url: "redis://localhost")
        #expect(bare.port == 6379 && bare.password == nil && bare.database == 0)
        let passwordOnly = try RedisConfiguration(url: "redis://:pw@[::1]:7000")
        #expect(passwordOnly.host == "::1" && passwordOnly.port == 7000 && passwordOnly.user == nil && passwordOnly.password == "pw")
        let secure = try RedisConfiguration(url: "rediss://app:pw@cache.internal:6380/1")
        #expect(secure.tls == RedisConfiguration.TLS() && secure.host == "cache.internal" && secure.port == 6380)
        #expect(secure.description == "rediss://app:<redacted>@cache.internal:6380/1")
        #expect(full.tls == nil)
        for bad in ["http://x", "redis://", "redis://h:0", "redis://h:99999", "redis://h/abc", "redisx://h", "redis://:%zz@h"] {
            #expect(throws: RedisError.self, "\(bad)") { _ = try RedisConfiguration(url: bad) }
        }
    }

    @Test("the password never shows in the description, the mirror or an error")
    func redaction() throws {
        let configuration = try RedisConfiguration(url: "redis://app:hunter2-secret@127.0.0.1:6379/1")
        var dumped = ""
        dump(configuration, to: &dumped)
        #expect(!configuration.description.contains("hunter2"))
        #expect(!dumped.contains("hunter2"))
        #expect(configuration.description == "redis://app:<redacted>@127.0.0.1:6379/1")
    }
}
