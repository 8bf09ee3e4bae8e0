/// A Lua script that ``RedisClient`` runs by its SHA-1: a long-lived value (usually a `static let`)
/// that a client finds its SHA-1 under by identity, so that running the script costs no hashing of
/// its text on every call.
final class RedisScript: Sendable {
    let source: String

    init(_ source: String) {
        self.source = source
    }
}

extension RedisScript {
    // The scripts of RedisRateLimitStore (see RedisRateLimitScripts).
    static let reserve = RedisScript(RedisRateLimitScripts.reserve)
    static let settle = RedisScript(RedisRateLimitScripts.settle)
    static let sync = RedisScript(RedisRateLimitScripts.sync)
    static let cooldown = RedisScript(RedisRateLimitScripts.cooldown)
    static let state = RedisScript(RedisRateLimitScripts.state)
}
