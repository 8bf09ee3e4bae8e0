// RedisStoreBenchmark: how fast RedisRateLimitStore admits requests against one Redis server.
// `scripts/bench --redis` starts a redis-server on 127.0.0.1 and runs it; see Benchmarks/README.md.
//
// For each concurrency level (default 1 and 64), that many tasks of one process reserve on one key
// whose limits are far away (so nothing ever waits) and settle each reservation with a charge that
// differs from its cost, as a finished call does, so every reservation costs Redis two scripts: the
// reserve (awaited) and the settlement (sent without waiting). A level stops after `--count`
// reservations or `--seconds`, whichever comes first, after an unrecorded warm-up. Printed per level:
// reservations per second, the reserve round trip (the awaited `reserve`) at p50/p90/p99/max, and
// where the CPU went (this process; the Redis server and its time per script, from INFO, exact only
// when nobody else uses that server).
//
//   RedisStoreBenchmark [--url redis://127.0.0.1:6379/0] [--seconds 10] [--count 200000]
//                       [--concurrency 1,64] [--connections 2] [--warmup 2000] [--no-settle] [--json]
//
// The URL may also come from SLUICE_REDIS_URL. The store fails closed, so a Redis that cannot be
// reached stops the run instead of being measured as the local fallback.
import Foundation
import Sluice
import SluiceRedis
import Synchronization

struct Options {
    var url = ProcessInfo.processInfo.environment["SLUICE_REDIS_URL"]
    var seconds = 10.0
    var count = 200_000
    var concurrency = [1, 64]
    var connections = 2
    var warmup = 2_000
    var settle = true
    var json = false

    static let usage = """
        usage: RedisStoreBenchmark [--url redis://HOST:PORT/DB] [--seconds S] [--count N] [--concurrency 1,64]
                                   [--connections N] [--warmup N] [--no-settle] [--json]
        (the URL may also come from SLUICE_REDIS_URL)
        """

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        func value(_ name: String) throws -> String {
            guard let value = iterator.next() else { throw UsageError("\(name) needs a value") }
            return value
        }
        func number<T: LosslessStringConvertible & Comparable>(_ name: String, _ type: T.Type, atLeast minimum: T)
            throws -> T
        {
            guard let parsed = T(try value(name)), parsed >= minimum else {
                throw UsageError("\(name) needs a number ≥ \(minimum)")
            }
            return parsed
        }
        while let argument = iterator.next() {
            switch argument {
            case "--url": url = try value(argument)
            case "--seconds": seconds = try number(argument, Double.self, atLeast: 0.01)
            case "--count": count = try number(argument, Int.self, atLeast: 1)
            case "--connections": connections = try number(argument, Int.self, atLeast: 1)
            case "--warmup": warmup = try number(argument, Int.self, atLeast: 0)
            case "--concurrency":
                let levels = try value(argument).split(separator: ",").map { Int($0) }
                guard !levels.isEmpty, levels.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 10_000 }) else {
                    throw UsageError("--concurrency takes numbers 1…10000 separated by commas")
                }
                concurrency = levels.compactMap { $0 }
            case "--no-settle": settle = false
            case "--json": json = true
            case "-h", "--help": throw UsageError(nil)
            default:
                if url == nil, argument.hasPrefix("redis://") {
                    url = argument
                } else {
                    throw UsageError("unknown argument \(argument)")
                }
            }
        }
        if url == nil { throw UsageError("no Redis URL: pass --url or set SLUICE_REDIS_URL") }
    }
}

struct UsageError: Error {
    var message: String?
    init(_ message: String?) { self.message = message }
}

/// One level's figures.
struct LevelResult {
    var concurrency: Int
    var reservations: Int
    /// From the first reservation to the last reply.
    var seconds: Double
    /// From the end of the reservations until Redis had run every settlement sent.
    var drainSeconds: Double?
    /// Reserve round trips, in nanoseconds, sorted.
    var samples: [Int64]
    var waited: Int
    var droppedSettlements: Int
    var clientCPUSeconds: Double
    var serverCPUSeconds: Double?
    var scripts: Int?
    var scriptMicroseconds: Double?

    var perSecond: Double { Double(reservations) / seconds }
    var perSecondSettled: Double? { drainSeconds.map { Double(reservations) / (seconds + $0) } }

    func percentile(_ fraction: Double) -> Double {
        guard !samples.isEmpty else { return 0 }
        let rank = Int((fraction * Double(samples.count)).rounded(.up)) - 1
        return Double(samples[min(samples.count - 1, max(0, rank))]) / 1_000
    }
}

/// The server's counters, from INFO, read on a connection of our own.
struct ServerCounters {
    var evalshaCalls: Int
    var evalshaMicroseconds: Int
    var cpuSeconds: Double

    static func read(_ connection: RedisConnection) async throws -> ServerCounters {
        var fields: [Substring: Substring] = [:]
        for section in ["commandstats", "cpu"] {
            guard let text = try await connection.send(["INFO", section]).orThrow().string else { continue }
            for line in text.split(whereSeparator: \.isNewline) {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon]] = line[line.index(after: colon)...]
            }
        }
        // cmdstat_evalsha:calls=12,usec=345,usec_per_call=28.75,rejected_calls=0,failed_calls=0
        var calls = 0
        var microseconds = 0
        for pair in (fields["cmdstat_evalsha"] ?? "").split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            if parts[0] == "calls" { calls = Int(parts[1]) ?? 0 }
            if parts[0] == "usec" { microseconds = Int(parts[1]) ?? 0 }
        }
        let cpu = ["used_cpu_user", "used_cpu_sys"].reduce(0.0) {
            $0 + (fields[Substring($1)].flatMap { Double($0) } ?? 0)
        }
        return ServerCounters(evalshaCalls: calls, evalshaMicroseconds: microseconds, cpuSeconds: cpu)
    }
}

/// The 1-minute load average (Linux), to tell a quiet machine from a busy one.
func loadAverage() -> String? {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
    return text.split(separator: " ").first.map(String.init)
}

func processCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func nanoseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
}

/// Hands out reservation numbers to the tasks of a level.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// Runs up to `count` reservations (each settled unless `settle` is false) from `concurrency` tasks,
/// for at most `limit`; returns each task's round trips and how many reservations were queued.
func drive(
    _ store: RedisRateLimitStore, request: RateLimitReservationRequest, concurrency: Int, count: Int, limit: Duration,
    settle: Bool, record: Bool
) async throws -> (samples: [Int64], waited: Int) {
    let claimed = Counter()
    let deadline = ContinuousClock.now + limit
    let perTask = record ? count / concurrency + 1 : 0
    return try await withThrowingTaskGroup(of: ([Int64], Int).self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                var samples: [Int64] = []
                samples.reserveCapacity(perTask)
                var waited = 0
                while true {
                    let index = claimed.value.add(1, ordering: .relaxed).oldValue
                    let start = ContinuousClock.now
                    guard index < count, start < deadline else { break }
                    let reservation = try await store.reserve(request)
                    let end = ContinuousClock.now
                    if record { samples.append(nanoseconds(end - start)) }
                    if reservation.queued { waited += 1 }
                    // A charge that differs from the cost (and from the previous one), as a call's usage does.
                    if settle {
                        store.settle(reservation, charge: RateLimitCost(requests: 1, tokens: 200 + index % 601))
                    }
                }
                return (samples, waited)
            }
        }
        var samples: [Int64] = []
        var waited = 0
        for try await (taskSamples, taskWaited) in group {
            samples += taskSamples
            waited += taskWaited
        }
        return (samples, waited)
    }
}

func runLevel(
    _ store: RedisRateLimitStore, monitor: RedisConnection?, concurrency: Int, options: Options,
    request: RateLimitReservationRequest
) async throws -> LevelResult {
    if options.warmup > 0 {
        _ = try await drive(
            store, request: request, concurrency: concurrency, count: options.warmup, limit: .seconds(2),
            settle: options.settle, record: false)
        try await Task.sleep(for: .milliseconds(200))  // let the warm-up's settlements land
    }
    var before: ServerCounters?
    if let monitor { before = try await ServerCounters.read(monitor) }
    let droppedBefore = store.droppedSettlementCount
    let cpuBefore = processCPUSeconds()
    let start = ContinuousClock.now
    var (samples, waited) = try await drive(
        store, request: request, concurrency: concurrency, count: options.count, limit: .seconds(options.seconds),
        settle: options.settle, record: true)
    let end = ContinuousClock.now
    samples.sort()
    let reservations = samples.count
    let dropped = store.droppedSettlementCount - droppedBefore

    // Wait (at most 10 s) until Redis has run every script sent: the reservations and the settlements.
    var drain: Duration?
    var after = before
    if let monitor, let before {
        let expected = before.evalshaCalls + reservations + (options.settle ? reservations - dropped : 0)
        let limit = ContinuousClock.now + .seconds(10)
        while true {
            let now = ContinuousClock.now
            let counters = try await ServerCounters.read(monitor)
            after = counters
            if counters.evalshaCalls >= expected {
                drain = now - end
                break
            }
            if now > limit { break }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
    let cpuAfter = processCPUSeconds()
    var result = LevelResult(
        concurrency: concurrency, reservations: reservations, seconds: Double(nanoseconds(end - start)) / 1e9,
        drainSeconds: drain.map { Double(nanoseconds($0)) / 1e9 }, samples: samples, waited: waited,
        droppedSettlements: dropped, clientCPUSeconds: cpuAfter - cpuBefore)
    if let before, let after {
        result.serverCPUSeconds = after.cpuSeconds - before.cpuSeconds
        result.scripts = after.evalshaCalls - before.evalshaCalls
        if let scripts = result.scripts, scripts > 0 {
            result.scriptMicroseconds = Double(after.evalshaMicroseconds - before.evalshaMicroseconds) / Double(scripts)
        }
    }
    return result
}

func format(_ value: Double, _ digits: Int = 0) -> String {
    String(format: "%.\(digits)f", value)
}

func grouped(_ value: Double) -> String {
    let whole = String(Int(value.rounded()))
    var out = ""
    for (offset, character) in whole.reversed().enumerated() {
        if offset > 0, offset % 3 == 0 { out.append(",") }
        out.append(character)
    }
    return String(out.reversed())
}

func json(_ options: Options, redis: RedisConfiguration, prefix: String, results: [LevelResult], load: [String?])
    -> String
{
    func number(_ value: Double?) -> String { value.map { $0.isFinite ? format($0, 3) : "null" } ?? "null" }
    let levels = results.map { level in
        [
            "\"concurrency\":\(level.concurrency)", "\"reservations\":\(level.reservations)",
            "\"seconds\":\(number(level.seconds))", "\"per_second\":\(number(level.perSecond))",
            "\"drain_seconds\":\(number(level.drainSeconds))",
            "\"per_second_settled\":\(number(level.perSecondSettled))",
            "\"p50_us\":\(number(level.percentile(0.5)))", "\"p90_us\":\(number(level.percentile(0.9)))",
            "\"p99_us\":\(number(level.percentile(0.99)))", "\"max_us\":\(number(level.percentile(1)))",
            "\"waited\":\(level.waited)", "\"dropped_settlements\":\(level.droppedSettlements)",
            "\"client_cpu_us_per_reservation\":\(number(level.clientCPUSeconds * 1e6 / Double(max(1, level.reservations))))",
            "\"server_cpu_us_per_reservation\":\(number(level.serverCPUSeconds.map { $0 * 1e6 / Double(max(1, level.reservations)) }))",
            "\"scripts\":\(level.scripts.map(String.init) ?? "null")",
            "\"server_us_per_script\":\(number(level.scriptMicroseconds))",
        ].joined(separator: ",")
    }
    let head = [
        "\"redis\":\"\(redis.description)\"", "\"key_prefix\":\"\(prefix)\"", "\"connections\":\(options.connections)",
        "\"max_count\":\(options.count)", "\"max_seconds\":\(number(options.seconds))", "\"settle\":\(options.settle)",
        "\"load_average\":[" + load.map { $0 ?? "null" }.joined(separator: ",") + "]",
    ].joined(separator: ",")
    return "{\(head),\"levels\":[" + levels.map { "{\($0)}" }.joined(separator: ",") + "]}"
}

// MARK: Main

let options: Options
do {
    options = try Options(Array(CommandLine.arguments.dropFirst()))
} catch let error as UsageError {
    if let message = error.message { FileHandle.standardError.write(Data("RedisStoreBenchmark: \(message)\n".utf8)) }
    FileHandle.standardError.write(Data((Options.usage + "\n").utf8))
    exit(error.message == nil ? 0 : 2)
}

do {
    let redis = try RedisConfiguration(url: options.url ?? "")
    let prefix = "sluice:bench:" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
    var configuration = RedisRateLimitStore.Configuration(redis: redis)
    configuration.keyPrefix = prefix
    configuration.connections = options.connections
    configuration.failurePolicy = .failClosed
    let store = RedisRateLimitStore(configuration: configuration)
    let monitor = try await RedisConnection.connect(to: redis)

    // One key, limits far away: a billion requests and a trillion tokens a minute.
    let limits = RateLimits(requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000_000)
    let request = RateLimitReservationRequest(
        candidates: [RateLimitCandidate(bucket: RateLimitBucketID(keyID: KeyID(rawValue: "bench")), limits: limits)],
        cost: RateLimitCost(requests: 1, tokens: 1_000))

    let loadBefore = loadAverage()
    if !options.json {
        print(
            "RedisRateLimitStore against \(redis): \(options.connections) connections, key prefix \(prefix),"
                + " at most \(grouped(Double(options.count))) reservations or \(format(options.seconds, 1)) s per level,"
                + (options.settle ? " each settled with another charge" : " not settled")
                + (loadBefore.map { "; load average \($0)" } ?? ""))
        print(
            "concurrency  reservations  seconds  reservations/s  p50 µs  p90 µs  p99 µs   max µs  settled in  "
                + "CPU µs/res: here  redis  script µs")
    }
    var results: [LevelResult] = []
    for concurrency in options.concurrency {
        let level = try await runLevel(
            store, monitor: monitor, concurrency: concurrency, options: options, request: request)
        results.append(level)
        if !options.json {
            let perReservation = { (seconds: Double) in format(seconds * 1e6 / Double(max(1, level.reservations)), 1) }
            let columns: [(String, Int)] = [
                (String(concurrency), 11), (grouped(Double(level.reservations)), 12), (format(level.seconds, 2), 7),
                (grouped(level.perSecond), 14), (format(level.percentile(0.5)), 6), (format(level.percentile(0.9)), 6),
                (format(level.percentile(0.99)), 6), (format(level.percentile(1)), 7),
                (level.drainSeconds.map { format($0 * 1e3, 1) + " ms" } ?? "?", 10),
                (perReservation(level.clientCPUSeconds), 16), (level.serverCPUSeconds.map(perReservation) ?? "?", 5),
                (level.scriptMicroseconds.map { format($0, 1) } ?? "?", 9),
            ]
            print(columns.map { String(repeating: " ", count: max(0, $1 - $0.count)) + $0 }.joined(separator: "  "))
            if level.waited > 0 || level.droppedSettlements > 0 {
                print("  (\(level.waited) reservations waited, \(level.droppedSettlements) settlements dropped)")
            }
        }
    }
    let loadAfter = loadAverage()
    if options.json {
        print(json(options, redis: redis, prefix: prefix, results: results, load: [loadBefore, loadAfter]))
    } else {
        let verdicts = results.map { level in
            let p99 = level.percentile(0.99)
            return
                "concurrency \(level.concurrency): \(grouped(level.perSecond))/s \(level.perSecond >= 20_000 ? "yes" : "no"),"
                + " p99 \(grouped(p99)) µs \(p99 <= 1_000 ? "yes" : "no")"
        }
        print(
            "goals (≥ 20,000 reservations/s per process, p99 ≤ 1 ms): " + verdicts.joined(separator: "; ")
                + (loadAfter.map { "; load average \($0) at the end" } ?? ""))
    }
    await monitor.close()
    await store.close()
} catch {
    FileHandle.standardError.write(Data("RedisStoreBenchmark: \(error)\n".utf8))
    exit(1)
}
