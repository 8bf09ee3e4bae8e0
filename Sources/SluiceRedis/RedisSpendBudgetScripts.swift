/// The Lua scripts behind ``RedisSpendBudgetStore``: each runs atomically on the server, on the
/// server's clock (`TIME`, in milliseconds since the Unix epoch), so the clocks of the processes
/// sharing a budget never matter.
///
/// An account's window is one hash, named by the account's key and the window's index (the time
/// divided by the window's length; 0 for a budget of all time): `st` and `sc` (tokens and
/// nano-dollars spent), `rt` and `rc` (held by calls in flight), and per hold `h:<id>` =
/// `<tokens>:<cost>`; beside it a sorted set `<key>:h` of the holds by when their lease ends. A
/// hold whose lease ended (its process died, say) counts as spent at its worst case. A window's keys
/// expire a lease after the window ends.
enum RedisSpendBudgetScripts {
    private static let prelude = """
        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        -- Integers as Redis reads them (never `-0`, which HINCRBY refuses).
        local function num(x) if x == 0 then return '0' end return string.format('%.17g', x) end
        -- Ends hold `id` on `key`: released (reserved less its amounts) and `spent` counted, or its
        -- worst case counted when `spent` is nil. False when the hold was already ended.
        local function finish(key, id, spent_tokens, spent_cost)
          local held = redis.call('HGET', key, 'h:' .. id)
          redis.call('ZREM', key .. ':h', id)
          if not held then return false end
          local sep = string.find(held, ':', 1, true)
          local tokens = tonumber(string.sub(held, 1, sep - 1)) or 0
          local cost = tonumber(string.sub(held, sep + 1)) or 0
          redis.call('HDEL', key, 'h:' .. id)
          redis.call('HINCRBY', key, 'rt', num(-tokens))
          redis.call('HINCRBY', key, 'rc', num(-cost))
          redis.call('HINCRBY', key, 'st', num(spent_tokens or tokens))
          redis.call('HINCRBY', key, 'sc', num(spent_cost or cost))
          return true
        end
        local function window_of(now, length)
          if length > 0 then return math.floor(now / length) end
          return 0
        end
        """

    /// KEYS: each account's key. ARGV: the hold's id, its tokens, its cost, the lease (ms), then per
    /// account its window's length (ms; 0 for all time), most tokens and most cost (-1: no limit).
    /// Returns `{1, window…}` when held on every account, or `{0, account, spent tokens, spent cost,
    /// reserved tokens, reserved cost, window}` naming the first that refuses, holding nothing.
    static let reserve = prelude + """

        local now = now_ms()
        local id, tokens, cost, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        local names, windows, lengths = {}, {}, {}
        for i = 1, #KEYS do
          local at = 4 + (i - 1) * 3
          local length = tonumber(ARGV[at + 1])
          local window = window_of(now, length)
          local key = KEYS[i] .. ':' .. num(window)
          names[i], windows[i], lengths[i] = key, window, length
          local expired = redis.call('ZRANGEBYSCORE', key .. ':h', '-inf', num(now), 'LIMIT', 0, 100)
          for _, old in ipairs(expired) do finish(key, old, nil, nil) end
          local v = redis.call('HMGET', key, 'st', 'sc', 'rt', 'rc')
          local st, sc = tonumber(v[1]) or 0, tonumber(v[2]) or 0
          local rt, rc = math.max(0, tonumber(v[3]) or 0), math.max(0, tonumber(v[4]) or 0)
          local max_tokens, max_cost = tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3])
          if (max_tokens >= 0 and (tokens > max_tokens or st + rt + tokens > max_tokens))
            or (max_cost >= 0 and (cost > max_cost or sc + rc + cost > max_cost)) then
            return {0, i, st, sc, rt, rc, window}
          end
        end
        local reply = {1}
        for i = 1, #KEYS do
          local key = names[i]
          redis.call('HINCRBY', key, 'rt', num(tokens))
          redis.call('HINCRBY', key, 'rc', num(cost))
          redis.call('HSET', key, 'h:' .. id, num(tokens) .. ':' .. num(cost))
          redis.call('ZADD', key .. ':h', num(now + lease), id)
          if lengths[i] > 0 then
            local ttl = (windows[i] + 1) * lengths[i] - now + lease
            redis.call('PEXPIRE', key, num(ttl))
            redis.call('PEXPIRE', key .. ':h', num(ttl))
          end
          reply[i + 1] = windows[i]
        end
        return reply
        """

    /// KEYS: the hold's window key on each account. ARGV: the hold's id, the tokens and the cost
    /// spent. Ends the hold where it is still held (so a second run changes nothing). Returns 1.
    static let settle = prelude + """

        for i = 1, #KEYS do finish(KEYS[i], ARGV[1], tonumber(ARGV[2]) or 0, tonumber(ARGV[3]) or 0) end
        return 1
        """

    /// KEYS: each account's key. ARGV: per account its window's length (ms). Returns per account
    /// `spent tokens, spent cost, reserved tokens, reserved cost, window start (ms)` in one list.
    static let status = prelude + """

        local now = now_ms()
        local reply = {}
        for i = 1, #KEYS do
          local length = tonumber(ARGV[i])
          local window = window_of(now, length)
          local v = redis.call('HMGET', KEYS[i] .. ':' .. num(window), 'st', 'sc', 'rt', 'rc')
          for f = 1, 4 do reply[#reply + 1] = math.max(0, tonumber(v[f]) or 0) end
          reply[#reply + 1] = window * length
        end
        return reply
        """
}

extension RedisScript {
    // The scripts of RedisSpendBudgetStore (see RedisSpendBudgetScripts).
    static let budgetReserve = RedisScript(RedisSpendBudgetScripts.reserve)
    static let budgetSettle = RedisScript(RedisSpendBudgetScripts.settle)
    static let budgetStatus = RedisScript(RedisSpendBudgetScripts.status)
}
