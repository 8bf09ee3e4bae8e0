// Compare: one Swift contender of `scripts/bench --compare` (see Benchmarks/README.md, "Side by
// side"), in a process of its own so its CPU time, allocations and peak memory are its own.
//
// Every contender does the same request: a POST of a small chat JSON body to URL (nginx on loopback
// answering a fixed chat.completion), reading the whole reply. `--contender` picks the HTTP stack:
//
//   curl       CurlTransport.send directly, the body collected;
//   ahc        async-http-client's HTTPClient.execute, the body collected;
//   client     Sluice's full LLMClient.chat: retry, a retry budget, rate limits far away, a
//              concurrency limit, the default time limits and an event handler, decoding the reply;
//   client-anthropic
//              the same full client on the Anthropic provider: POST /v1/messages (nginx answering a
//              fixed Anthropic `message`), max_tokens 64, the reply decoded.
//
// For each concurrency level, that many tasks send requests until `--count` have been sent or
// `--seconds` have passed, after an unrecorded warm-up. One JSON line per level on standard output:
// requests, failures, seconds, requests per second, p50/p99 latency, CPU seconds (user + system, from
// getrusage) per 10,000 requests, mallocs per request (counted by malloc-interposer in the measured
// window, every thread of the process, libcurl's included) and the process's peak resident memory.
//
//   Compare --contender curl|ahc|client|client-anthropic --url http://127.0.0.1:8080 [--concurrency 1,64]
//           [--count 20000] [--seconds 10] [--warmup 200]
import AsyncHTTPClient
import Foundation
import MallocInterposerSwift
import NIOCore
import Sluice
import Synchronization

struct UsageError: Error {
    var message: String
}

struct Options {
    var contender = ""
    var url = ""
    var concurrency = [1, 64]
    var count = 20_000
    var seconds = 10.0
    var warmup = 200

    static let usage = """
        usage: Compare --contender curl|ahc|client|client-anthropic --url http://127.0.0.1:PORT [--concurrency 1,64]
                       [--count N] [--seconds S] [--warmup N]
        """

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        func value(_ name: String) throws -> String {
            guard let value = iterator.next() else { throw UsageError(message: "\(name) needs a value") }
            return value
        }
        func number<T: LosslessStringConvertible & Comparable>(_ name: String, _ type: T.Type, atLeast minimum: T)
            throws -> T
        {
            guard let parsed = T(try value(name)), parsed >= minimum else {
                throw UsageError(message: "\(name) needs a number ≥ \(minimum)")
            }
            return parsed
        }
        while let argument = iterator.next() {
            switch argument {
            case "--contender": contender = try value(argument)
            case "--url": url = try value(argument)
            case "--count": count = try number(argument, Int.self, atLeast: 1)
            case "--seconds": seconds = try number(argument, Double.self, atLeast: 0.01)
            case "--warmup": warmup = try number(argument, Int.self, atLeast: 0)
            case "--concurrency":
                let levels = try value(argument).split(separator: ",").map { Int($0) ?? 0 }
                guard !levels.isEmpty, levels.allSatisfy({ $0 >= 1 && $0 <= 4_096 }) else {
                    throw UsageError(message: "--concurrency takes numbers 1…4096 separated by commas")
                }
                concurrency = levels
            default: throw UsageError(message: "unknown argument \(argument)")
            }
        }
        guard ["curl", "ahc", "client", "client-anthropic"].contains(contender) else {
            throw UsageError(message: "--contender must be curl, ahc, client or client-anthropic")
        }
        guard url.hasPrefix("http://") else { throw UsageError(message: "--url must be an http:// URL") }
        while url.hasSuffix("/") { url.removeLast() }
    }
}

/// The request every contender sends (the client builds the same from `chatRequest`).
let model = "gpt-4o-mini"
let requestBody = Array(#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}"#.utf8)
let chatRequest = ChatRequest(model: model, messages: [.user("Hello")])
/// What `client-anthropic` sends: `{"model":"claude-haiku-4-5","max_tokens":64,"messages":[…"Hello"…]}`.
let anthropicRequest = ChatRequest(model: "claude-haiku-4-5", messages: [.user("Hello")], maxOutputTokens: 64)
let apiKey = "bench-key"

/// One request, start to end of the reply; `true` when it succeeded.
typealias Send = @Sendable () async -> Bool

/// An event handler that counts the events it sees, so dispatch is on and does a little work.
final class CountingHandler: ClientEventHandler {
    let events = Atomic<Int>(0)
    func handle(_ event: ClientEvent) { events.add(1, ordering: .relaxed) }
}

/// A contender ready to send at `concurrency`: its request and how to stop it.
struct Contender {
    var send: Send
    var shutdown: () async throws -> Void
}

func makeContender(_ name: String, url: String, concurrency: Int) throws -> Contender {
    let endpoint = url + "/v1/chat/completions"
    switch name {
    case "curl":
        var configuration = CurlTransport.Configuration()
        configuration.httpVersion = .http1_1
        configuration.connections.maxTotal = concurrency
        let transport = try CurlTransport(configuration: configuration)
        let request = ClientRequest(
            method: .post, url: endpoint,
            headers: ["authorization": "Bearer \(apiKey)", "content-type": "application/json"], body: requestBody)
        return Contender(
            send: {
                do {
                    let response = try await transport.send(request)
                    let body = try await response.body.collect(upTo: 1 << 20)
                    return response.status == 200 && !body.isEmpty
                } catch {
                    return false
                }
            },
            shutdown: { await transport.shutdown() })
    case "ahc":
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        configuration.httpVersion = .http1Only
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer \(apiKey)")
        request.headers.add(name: "content-type", value: "application/json")
        let body = ByteBuffer(bytes: requestBody)
        let ready = request
        return Contender(
            send: {
                var request = ready
                request.body = .bytes(body)
                do {
                    let response = try await client.execute(request, timeout: .seconds(30))
                    let body = try await response.body.collect(upTo: 1 << 20)
                    return response.status.code == 200 && body.readableBytes > 0
                } catch {
                    return false
                }
            },
            shutdown: { try await client.shutdown() })
    case "client-anthropic":
        return try fullClient(.anthropic(apiKey: apiKey, baseURL: url), anthropicRequest, concurrency: concurrency)
    default:
        return try fullClient(.openAI(apiKey: apiKey, baseURL: url + "/v1"), chatRequest, concurrency: concurrency)
    }
}

/// Sluice's full client on `configuration`'s provider, sending `request` with every layer on and none
/// of them in the way: default retry and retry budget, default time limits, rate limits and a
/// concurrency limit far above what the run asks for, and one event handler.
func fullClient(_ configuration: LLMClient.Configuration, _ request: ChatRequest, concurrency: Int) throws
    -> Contender
{
    var configuration = configuration
    configuration.transport.httpVersion = .http1_1
    configuration.transport.connections.maxTotal = concurrency
    configuration.limit(RateLimits(requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000_000))
    configuration.concurrency = ConcurrencyLimits(
        maxConcurrentRequests: 4 * concurrency, maxConcurrentRequestsPerKey: 4 * concurrency)
    configuration.eventHandlers = [CountingHandler()]
    let client = try LLMClient(configuration)
    return Contender(
        send: {
            do {
                let response = try await client.chat(request)
                return !response.text.isEmpty
            } catch {
                return false
            }
        },
        shutdown: { await client.shutdown() })
}

/// Hands out request numbers to the tasks of a level.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
}

func nanoseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
}

/// Sends up to `count` requests from `concurrency` tasks for at most `limit`; returns each request's
/// latency in nanoseconds (when `record`) and the number that failed.
func drive(_ send: @escaping Send, concurrency: Int, count: Int, limit: Duration, record: Bool) async -> (
    samples: [Int64], failures: Int, sent: Int
) {
    let counter = Counter()
    let deadline = ContinuousClock.now + limit
    let perTask = record ? count / concurrency + 2 : 0
    return await withTaskGroup(of: ([Int64], Int).self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                var samples: [Int64] = []
                samples.reserveCapacity(perTask)
                var sent = 0
                while true {
                    let start = ContinuousClock.now
                    guard start < deadline, counter.value.add(1, ordering: .relaxed).oldValue < count else { break }
                    let ok = await send()
                    if record { samples.append(nanoseconds(ContinuousClock.now - start)) }
                    if !ok { counter.failures.add(1, ordering: .relaxed) }
                    sent += 1
                }
                return (samples, sent)
            }
        }
        var samples: [Int64] = []
        samples.reserveCapacity(record ? count : 0)
        var sent = 0
        for await (taskSamples, taskSent) in group {
            samples += taskSamples
            sent += taskSent
        }
        return (samples, counter.failures.load(ordering: .relaxed), sent)
    }
}

/// User + system CPU seconds of this process so far, and its peak resident memory in KiB.
func usage() -> (cpu: Double, peakKiB: Int) {
    var usage = rusage()
    #if canImport(Glibc)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    let cpu =
        Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
    return (cpu, Int(usage.ru_maxrss))
}

func percentile(_ sorted: [Int64], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
    return Double(sorted[min(sorted.count - 1, max(0, rank))]) / 1_000
}

func number(_ value: Double, _ digits: Int = 3) -> String {
    value.isFinite ? String(format: "%.\(digits)f", value) : "null"
}

/// Runs one level and returns its JSON line.
func runLevel(_ options: Options, concurrency: Int) async throws -> String {
    let contender = try makeContender(options.contender, url: options.url, concurrency: concurrency)
    if options.warmup > 0 {
        _ = await drive(
            contender.send, concurrency: concurrency, count: max(options.warmup, concurrency), limit: .seconds(5),
            record: false)
    }
    MallocInterposerSwift.initialize()
    MallocInterposerSwift.hook()
    let before = usage()
    let start = ContinuousClock.now
    var (samples, failures, sent) = await drive(
        contender.send, concurrency: concurrency, count: options.count, limit: .seconds(options.seconds), record: true)
    let seconds = Double(nanoseconds(ContinuousClock.now - start)) / 1e9
    let after = usage()
    MallocInterposerSwift.unhook()
    let mallocs = MallocInterposerSwift.getStatistics().mallocCount
    try await contender.shutdown()
    samples.sort()
    let requests = max(1, sent)
    // No counts at all means the interposer was not in the allocation path: say so rather than 0.
    let allocations = mallocs > 0 ? number(Double(mallocs) / Double(requests), 1) : "null"
    let fields = [
        "\"contender\":\"\(options.contender)\"", "\"concurrency\":\(concurrency)", "\"requests\":\(sent)",
        "\"failed\":\(failures)", "\"seconds\":\(number(seconds))", "\"rps\":\(number(Double(sent) / seconds, 1))",
        "\"p50_us\":\(number(percentile(samples, 0.5), 1))", "\"p99_us\":\(number(percentile(samples, 0.99), 1))",
        "\"cpu_s_per_10k\":\(number((after.cpu - before.cpu) * 10_000 / Double(requests)))",
        "\"allocs_per_request\":\(allocations)", "\"peak_rss_kib\":\(after.peakKiB)",
    ]
    return "{" + fields.joined(separator: ",") + "}"
}

// MARK: Main

let options: Options
do {
    options = try Options(Array(CommandLine.arguments.dropFirst()))
} catch let error as UsageError {
    FileHandle.standardError.write(Data("Compare: \(error.message)\n\(Options.usage)\n".utf8))
    exit(2)
}

do {
    for concurrency in options.concurrency {
        print(try await runLevel(options, concurrency: concurrency))
    }
} catch {
    FileHandle.standardError.write(Data("Compare: \(error)\n".utf8))
    exit(1)
}
