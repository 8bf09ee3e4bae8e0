/// The Lua scripts behind ``RedisRateLimitStore``: each runs atomically on the server, on the
/// server's clock (`TIME`), so the clocks of the processes sharing a key never matter.
///
/// One hash holds a bucket set: `u` (when the levels were last brought up to date, in microseconds
/// of the server's clock), `c` (the end of a cooldown), `a` (the latest admission granted), and per
/// dimension `d` (1 requests, 2 tokens, 3 input tokens, 4 output tokens) its level `l<d>`, refill
/// per second `r<d>` and capacity `k<d>`. Admission charges a request when it is reserved, even when
/// it is admitted later: the level may go below zero, and the next request's wait is measured from
/// there, so reservations queue in arrival order across every process without anyone polling.
/// Numbers are written with `%.17g` (Lua's own `tostring` keeps 14 digits and would round the clock).
enum RedisRateLimitScripts {
    /// Helpers every script starts with.
    private static let prelude = """
        local function now_us()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000000 + tonumber(t[2])
        end
        local function num(x) return string.format('%.17g', x) end
        -- Reads a bucket set and refills it to `now`. `limits` (rate, capacity per dimension) replaces
        -- the stored ones when given; a dimension never stored starts at `fresh` of its capacity.
        -- `stored[d]` tells that the hash already holds this rate and capacity (save skips them).
        local function load(key, now, fresh, limits)
          local h = redis.call('HMGET', key, 'u', 'c', 'a', 'l1', 'l2', 'l3', 'l4', 'r1', 'r2', 'r3', 'r4', 'k1', 'k2', 'k3', 'k4')
          local s = {c = tonumber(h[2]) or 0, a = tonumber(h[3]) or 0, l = {}, r = {}, k = {}, stored = {}}
          local updated = tonumber(h[1])
          for d = 1, 4 do
            local rate, cap
            local stored_rate, stored_cap = tonumber(h[7 + d]), tonumber(h[11 + d])
            if limits then rate, cap = limits[d][1], limits[d][2] else rate, cap = stored_rate or 0, stored_cap or 0 end
            s.r[d], s.k[d] = rate, cap
            s.stored[d] = stored_rate == rate and stored_cap == cap
            if cap > 0 and rate > 0 then
              local level = tonumber(h[3 + d])
              if level == nil or updated == nil then
                level = cap * fresh
              else
                level = math.min(cap, level + math.max(0, now - updated) * rate / 1000000)
              end
              s.l[d] = level
            else
              s.k[d] = 0
            end
          end
          return s
        end
        -- Writes a bucket set back, to expire once every bucket would be full again and any cooldown over.
        -- A rate and capacity the hash holds already are not written again (numbers read back from
        -- '%.17g' are the same numbers, so the hash ends up as if they were).
        local function save(key, s, now)
          local fields = {'u', num(now), 'c', num(s.c), 'a', num(s.a)}
          local ttl = 60000
          for d = 1, 4 do
            if s.k[d] > 0 then
              table.insert(fields, 'l' .. d); table.insert(fields, num(s.l[d]))
              if not s.stored[d] then
                table.insert(fields, 'r' .. d); table.insert(fields, num(s.r[d]))
                table.insert(fields, 'k' .. d); table.insert(fields, num(s.k[d]))
              end
              ttl = math.max(ttl, (s.k[d] - s.l[d]) / s.r[d] * 1000 + 60000)
            end
          end
          ttl = math.max(ttl, (s.c - now) / 1000 + 60000, (s.a - now) / 1000 + 60000)
          redis.call('HSET', key, unpack(fields))
          redis.call('PEXPIRE', key, math.ceil(ttl))
        end

        """

    /// Reserves a request on the candidate that admits it soonest.
    ///
    /// KEYS: the candidates' hashes, then the epoch key. ARGV: the cost in requests, tokens, input
    /// and output tokens; the longest wait accepted in microseconds (-1: any); `1` if the caller has
    /// used this Redis before; the safety margin (fraction of capacity, seconds of refill); how long
    /// after a detected data loss new buckets start empty (µs); then per candidate, per dimension,
    /// its refill per second and capacity (0: not limited).
    ///
    /// Returns `{1, candidate, wait µs, reason}` when reserved (charged now, to be sent after the
    /// wait), `{0, candidate, wait µs, reason}` when the wait is longer than accepted (nothing
    /// charged), `{-1, candidate, dimension, capacity}` when the cost exceeds a capacity on every
    /// candidate, `{-2}` when there is no candidate. Reasons: 1–4 a dimension, 5 a cooldown.
    static let reserve = prelude + """
        local now = now_us()
        local cost = {tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])}
        local accept = tonumber(ARGV[5])
        local fraction, refill = tonumber(ARGV[7]), tonumber(ARGV[8])
        -- The epoch key is missing after a restart that lost the data (or before first use). A
        -- caller that has used this Redis before knows which: then buckets Redis no longer has start
        -- empty for the grace period, since the provider still counts what was spent before.
        local candidates = #KEYS - 1
        local epoch = tonumber(redis.call('GET', KEYS[#KEYS]))
        if epoch == nil then
          epoch = 0
          if ARGV[6] == '1' then epoch = now end
          redis.call('SET', KEYS[#KEYS], num(epoch))
        end
        local fresh = 1
        if epoch > 0 and now - epoch < tonumber(ARGV[9]) then fresh = 0 end
        local best, best_at, best_room, best_reason, best_state, large
        for k = 1, candidates do
          local base = 9 + (k - 1) * 8
          local limits = {}
          for d = 1, 4 do limits[d] = {tonumber(ARGV[base + 2 * d - 1]), tonumber(ARGV[base + 2 * d])} end
          local s = load(KEYS[k], now, fresh, limits)
          local at, reason = now, 0
          if s.c > now then at, reason = s.c, 5 end
          local fits, room = true, 1
          for d = 1, 4 do
            local cap = s.k[d]
            if cap > 0 then
              room = math.min(room, s.l[d] / cap)
              if cost[d] > cap + 0.000001 then
                fits = false
                if not large then large = {k, d, cap} end
              elseif cost[d] > 0 then
                local need = math.min(cost[d] + math.max(cap * fraction, s.r[d] * refill), cap)
                local missing = need - s.l[d]
                if missing > 0.000001 then
                  local ready = now + missing / s.r[d] * 1000000
                  if ready > at then at, reason = ready, d end
                end
              end
            end
          end
          if fits and (best == nil or at < best_at or (at == best_at and room > best_room)) then
            best, best_at, best_room, best_reason, best_state = k, at, room, reason, s
          end
        end
        if best == nil then
          if large then return {-1, large[1], large[2], math.floor(large[3])} end
          return {-2}
        end
        local wait = math.ceil(best_at - now)
        if accept >= 0 and wait > accept then return {0, best, wait, best_reason} end
        for d = 1, 4 do
          if best_state.k[d] > 0 then best_state.l[d] = best_state.l[d] - cost[d] end
        end
        best_state.a = math.max(best_state.a, best_at)
        save(KEYS[best], best_state, now)
        return {1, best, wait, best_reason}
        """

    /// Settles a reservation once: KEYS the hash and the reservation's marker; ARGV the charge minus
    /// the reserved cost per dimension (positive takes more, negative gives back up to capacity) and
    /// how long the marker lives (ms). Returns 1 when applied, 0 when this reservation was settled
    /// before.
    static let settle = prelude + """
        if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[5]) then return 0 end
        if redis.call('EXISTS', KEYS[1]) == 0 then return 1 end
        local now = now_us()
        local s = load(KEYS[1], now, 1, nil)
        for d = 1, 4 do
          local delta = tonumber(ARGV[d])
          if s.k[d] > 0 and delta ~= 0 then s.l[d] = math.min(s.k[d], s.l[d] - delta) end
        end
        save(KEYS[1], s, now)
        return 1
        """

    /// Lowers the buckets to what a reply reported: KEYS the hash; ARGV the time since the request
    /// was admitted (µs) and the reported remaining per dimension (-1: not reported). A bucket
    /// goes down to the report plus the refill since admission, never lower. While requests are
    /// scheduled ahead (their charges are in the levels already, and the report does not count them
    /// yet) nothing is lowered. Returns 1 when something was lowered.
    static let sync = prelude + """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        local now = now_us()
        local s = load(KEYS[1], now, 1, nil)
        if s.a > now then return 0 end
        local elapsed = math.max(0, tonumber(ARGV[1])) / 1000000
        local lowered = 0
        for d = 1, 4 do
          local reported = tonumber(ARGV[1 + d])
          if s.k[d] > 0 and reported >= 0 then
            local corrected = reported + elapsed * s.r[d]
            if corrected < s.l[d] - 0.000001 then
              s.l[d] = math.max(0, corrected)
              lowered = 1
            end
          end
        end
        if lowered == 1 then save(KEYS[1], s, now) end
        return lowered
        """

    /// Cools a bucket set: KEYS the hash; ARGV the cooldown's length (µs; 0 only reads). Extends,
    /// never shortens. Returns the microseconds the cooldown still runs.
    static let cooldown = prelude + """
        local now = now_us()
        local length = math.max(0, tonumber(ARGV[1]))
        local target = now + length
        local current = tonumber(redis.call('HGET', KEYS[1], 'c')) or 0
        if length > 0 and target > current then
          redis.call('HSET', KEYS[1], 'c', num(target))
          local need = math.ceil((target - now) / 1000) + 60000
          if redis.call('PTTL', KEYS[1]) < need then redis.call('PEXPIRE', KEYS[1], need) end
          current = target
        end
        return math.floor(math.max(0, current - now))
        """

    /// Reads a bucket set: KEYS the hash. Returns `{exists, cooldown left µs, scheduled ahead µs,
    /// level 1, level 2, level 3, level 4}` with levels as text ('' when not limited).
    static let state = prelude + """
        if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0, 0, '', '', '', ''} end
        local now = now_us()
        local s = load(KEYS[1], now, 1, nil)
        local reply = {1, math.floor(math.max(0, s.c - now)), math.floor(math.max(0, s.a - now))}
        for d = 1, 4 do
          if s.k[d] > 0 then table.insert(reply, num(s.l[d])) else table.insert(reply, '') end
        end
        return reply
        """
}
