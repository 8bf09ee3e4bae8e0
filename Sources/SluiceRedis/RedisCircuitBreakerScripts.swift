/// The Lua script behind ``RedisCircuitBreakerStore``: one deployment's circuit in one hash, moved
/// atomically on the server's clock (`TIME`, milliseconds).
///
/// Fields: `s` (0 closed, 1 open, 2 half-open), `ro` (when an open circuit lets probes through), `cf`
/// (failures in a row), `g` (how many times the circuit turned half-open), `pi` and `ps` (probes in
/// flight and probes that succeeded, in the current half-open turn), `pe` (when the last probe was
/// let through: probes out for longer than the probe lease are taken as lost), and ten slots of the
/// window, `i<k>` (the slot's index), `o<k>` (successes) and `f<k>` (failures).
enum RedisCircuitBreakerScripts {
    /// KEYS[1]: the circuit. ARGV: [1] `admit` or `record`; the policy: [2] window (ms), [3] fewest
    /// calls, [4] failure ratio, [5] failures in a row (-1: none), [6] open duration (ms), [7] probes,
    /// [8] probe lease (ms); for `record`: [9] outcome (1 success, 2 failure, 0 ignored), [10] the
    /// probe's generation (-1: a call let through a closed circuit).
    ///
    /// `admit` returns `{admitted, state, turned half-open, generation (-1: not a probe), wait (ms)}`;
    /// `record` returns `{moved, state}`.
    static let circuit = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        -- Integers as Redis reads them (never `-0`, which HINCRBY refuses).
        local function num(x) if x == 0 then return '0' end return string.format('%.17g', x) end
        local key = KEYS[1]
        local window, minimum, ratio = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        local in_a_row, open_for, probes, lease = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
        local h = redis.call('HMGET', key, 's', 'ro', 'cf', 'g', 'pi', 'ps', 'pe')
        local state, reopens, failures_in_a_row = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0
        local generation, probing, probed, probed_at = tonumber(h[4]) or 0, tonumber(h[5]) or 0, tonumber(h[6]) or 0, tonumber(h[7]) or 0
        local ttl = num(2 * (window + open_for + lease))
        local function save(...)
          redis.call('HSET', key, ...)
          redis.call('PEXPIRE', key, ttl)
        end
        local function open()
          save('s', 1, 'ro', num(now + open_for), 'pi', 0, 'ps', 0)
        end
        if ARGV[1] == 'admit' then
          local turned = 0
          if state == 1 then
            if now < reopens then return {0, 1, 0, -1, reopens - now} end
            state, generation, probing, probed, turned = 2, generation + 1, 0, 0, 1
            save('s', 2, 'g', num(generation), 'pi', 0, 'ps', 0)
          end
          if state == 0 then return {1, 0, turned, -1, 0} end
          if probing >= probes and now - probed_at > lease then probing = 0 end
          if probing >= probes then return {0, 2, turned, -1, 0} end
          save('pi', probing + 1, 'pe', num(now))
          return {1, 2, turned, generation, 0}
        end
        local outcome, probe = tonumber(ARGV[9]), tonumber(ARGV[10])
        if probe < 0 then
          if state ~= 0 or outcome == 0 then return {0, state} end
          local length = math.max(1, math.floor(window / 10))
          local index = math.floor(now / length)
          local slot = tostring(index % 10)
          if tonumber(redis.call('HGET', key, 'i' .. slot)) ~= index then
            redis.call('HSET', key, 'i' .. slot, num(index), 'o' .. slot, 0, 'f' .. slot, 0)
          end
          local failed = outcome == 2
          redis.call('HINCRBY', key, (failed and 'f' or 'o') .. slot, 1)
          failures_in_a_row = failed and failures_in_a_row + 1 or 0
          save('cf', failures_in_a_row)
          if not failed then return {0, 0} end
          local trip = in_a_row >= 0 and failures_in_a_row >= in_a_row
          if not trip then
            local calls, failures = 0, 0
            for k = 0, 9 do
              local v = redis.call('HMGET', key, 'i' .. k, 'o' .. k, 'f' .. k)
              local at = tonumber(v[1])
              if at and at > index - 10 and at <= index then
                calls = calls + (tonumber(v[2]) or 0) + (tonumber(v[3]) or 0)
                failures = failures + (tonumber(v[3]) or 0)
              end
            end
            trip = calls >= minimum and failures >= ratio * calls
          end
          if not trip then return {0, 0} end
          open()
          return {1, 1}
        end
        if state ~= 2 or probe ~= generation then return {0, state} end
        probing = math.max(0, probing - 1)
        if outcome == 0 then
          save('pi', probing)
          return {0, 2}
        end
        if outcome == 2 then
          open()
          return {1, 1}
        end
        probed = probed + 1
        if probed < probes then
          save('pi', probing, 'ps', probed)
          return {0, 2}
        end
        for k = 0, 9 do redis.call('HDEL', key, 'i' .. k, 'o' .. k, 'f' .. k) end
        save('s', 0, 'cf', 0, 'pi', 0, 'ps', 0)
        return {1, 0}
        """
}

extension RedisScript {
    // The script of RedisCircuitBreakerStore (see RedisCircuitBreakerScripts).
    static let circuit = RedisScript(RedisCircuitBreakerScripts.circuit)
}
