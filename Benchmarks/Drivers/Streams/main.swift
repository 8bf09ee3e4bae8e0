// Streams: the memory N concurrent streams cost the client (issue 17: at most 32 KiB a stream with
// 1,000 open), in a process of its own so its resident memory is its own (`scripts/bench --streams`).
//
// Against `sluice mock-server --reply-tokens 50 --token-ms 60` on loopback (URL), N tasks each open
// one stream at once and read it to its end; a stream lasts about 3 s, so nearly all N are open
// together (`max_open` says how many were). `--contender` picks the path:
//
//   curl       CurlTransport.send of a streamed chat request, the body read chunk by chunk;
//   client     LLMClient.streamChat (default stack, OpenAI adapter), every event decoded.
//
// One JSON line on standard output: the resident memory (RSS) before the streams opened (after one
// warm-up stream), the peak while they ran (the kernel's high-water mark, reset before they open),
// (peak − baseline) / max_open — the "per stream" figure of Benchmarks/README.md — and the mallocs per
// stream (malloc-interposer, preloaded by the script; `null` when it is not), and the heap per stream
// while all N were open at once (`null` when they never were).
//
//   Streams --contender curl|client --url http://127.0.0.1:PORT [--streams 1000] [--seconds 60]
//           [--receive-buffer BYTES]   (CurlTransport.Configuration.receiveBuffer.streaming)
//           [--layers-off retry,timeouts,learning]   (client: those layers off, to see what each costs)
import Foundation
import MallocInterposerSwift
import Sluice
import Synchronization

struct UsageError: Error {
    var message: String
}

struct Options {
    var contender = ""
    var url = ""
    var streams = 1_000
    var seconds = 60.0
    /// CurlTransport.Configuration.receiveBuffer.streaming, when given.
    var receiveBuffer: Int?
    /// Client layers to turn off (`--layers-off retry,timeouts,learning`), to see what each costs.
    var layersOff: Set<String> = []

    static let usage = """
        usage: Streams --contender curl|client --url http://127.0.0.1:PORT [--streams N] [--seconds S]
                       [--receive-buffer BYTES] [--layers-off retry,timeouts,learning]
        """

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        func value(_ name: String) throws -> String {
            guard let value = iterator.next() else { throw UsageError(message: "\(name) needs a value") }
            return value
        }
        while let argument = iterator.next() {
            switch argument {
            case "--contender": contender = try value(argument)
            case "--url": url = try value(argument)
            case "--streams":
                guard let parsed = Int(try value(argument)), parsed >= 1, parsed <= 4_096 else {
                    throw UsageError(message: "--streams takes a number 1…4096")
                }
                streams = parsed
            case "--seconds":
                guard let parsed = Double(try value(argument)), parsed >= 0.1, parsed <= 600 else {
                    throw UsageError(message: "--seconds takes a number 0.1…600")
                }
                seconds = parsed
            case "--receive-buffer":
                guard let parsed = Int(try value(argument)) else { throw UsageError(message: "--receive-buffer takes a number") }
                receiveBuffer = parsed
            case "--layers-off":
                layersOff = Set(try value(argument).split(separator: ",").map(String.init))
                guard layersOff.isSubset(of: ["retry", "timeouts", "learning"]) else {
                    throw UsageError(message: "--layers-off takes retry, timeouts and learning, separated by commas")
                }
            default: throw UsageError(message: "unknown argument \(argument)")
            }
        }
        guard ["curl", "client"].contains(contender) else { throw UsageError(message: "--contender must be curl or client") }
        guard url.hasPrefix("http://") else { throw UsageError(message: "--url must be an http:// URL") }
        while url.hasSuffix("/") { url.removeLast() }
    }
}

/// A line of `/proc/self/status` in KiB (`VmRSS`, `VmHWM`), or `nil` where there is none.
func statusKiB(_ field: String) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
    }
    return nil
}

/// The bytes malloc-interposer saw allocated and not yet freed since it was hooked (0 when it is
/// not preloaded).
func heapInUse() -> Int {
    let statistics = MallocInterposerSwift.getStatistics()
    return statistics.mallocBytesCount - statistics.freeBytesCount
}

/// Resets the kernel's peak RSS (`VmHWM`) to the current RSS; `false` when it cannot.
func resetPeak() -> Bool {
    let descriptor = open("/proc/self/clear_refs", O_WRONLY)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    return write(descriptor, "5", 1) == 1
}

/// How many streams are open now and at most, and how many failed.
final class Gauge: Sendable {
    let open = Atomic<Int>(0)
    let maxOpen = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    let chunks = Atomic<Int>(0)

    func opened() {
        let now = open.add(1, ordering: .relaxed).newValue
        var seen = maxOpen.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, original) = maxOpen.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    func closed() { open.subtract(1, ordering: .relaxed) }
}

/// One stream, opened and read to its end; `true` when it succeeded.
typealias Stream = @Sendable (Gauge) async -> Bool

let apiKey = "bench-key"
let chatRequest = ChatRequest(model: "gpt-4o-mini", messages: [.user("Tell me about rivers.")])

func makeContender(_ options: Options) throws -> (stream: Stream, shutdown: () async -> Void) {
    if options.contender == "curl" {
        var configuration = CurlTransport.Configuration()
        configuration.httpVersion = .http1_1
        configuration.connections.maxTotal = options.streams
        if let size = options.receiveBuffer { configuration.receiveBuffer.streaming = size }
        let transport = try CurlTransport(configuration: configuration)
        let body = #"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Tell me about rivers."}]}"#
        let request = ClientRequest(
            method: .post, url: options.url + "/v1/chat/completions",
            headers: [
                "authorization": "Bearer \(apiKey)", "content-type": "application/json", "accept": "text/event-stream",
            ],
            body: Array(body.utf8))
        return (
            { gauge in
                do {
                    let response = try await transport.send(request)
                    gauge.opened()
                    defer { gauge.closed() }
                    var bytes = 0
                    for try await chunk in response.body {
                        bytes += chunk.count
                        gauge.chunks.add(1, ordering: .relaxed)
                    }
                    return response.status == 200 && bytes > 0
                } catch {
                    return false
                }
            },
            { await transport.shutdown() }
        )
    }
    var configuration = LLMClient.Configuration.openAI(apiKey: apiKey, baseURL: options.url + "/v1")
    configuration.transport.httpVersion = .http1_1
    configuration.transport.connections.maxTotal = options.streams
    if let size = options.receiveBuffer { configuration.transport.receiveBuffer.streaming = size }
    // What a layer costs a stream: the same run with that layer off.
    if options.layersOff.contains("retry") {
        configuration.retryPolicy = .disabled
        configuration.retryBudget = nil
    }
    if options.layersOff.contains("timeouts") { configuration.timeouts = .unlimited }
    if options.layersOff.contains("learning") { configuration.learnsLimitsFromHeaders = false }
    let client = try LLMClient(configuration)
    return (
        { gauge in
            do {
                let reply = try await client.streamChat(chatRequest) { stream in
                    gauge.opened()
                    defer { gauge.closed() }
                    for try await _ in stream { gauge.chunks.add(1, ordering: .relaxed) }
                    return stream.snapshot
                }
                return !reply.text.isEmpty
            } catch {
                return false
            }
        },
        { await client.shutdown() }
    )
}

/// Runs `count` streams at once, each in a task of its own, for at most `limit` (the rest are
/// cancelled then and count as failed).
func run(_ stream: @escaping Stream, count: Int, gauge: Gauge, limit: Duration) async {
    await withTaskGroup(of: Void.self) { group in
        group.addTask {
            try? await Task.sleep(for: limit)
        }
        group.addTask {
            await withTaskGroup(of: Void.self) { streams in
                for _ in 0..<count {
                    streams.addTask { if !(await stream(gauge)) { gauge.failures.add(1, ordering: .relaxed) } }
                }
            }
        }
        await group.next()
        group.cancelAll()
    }
}

func number(_ value: Double, _ digits: Int = 1) -> String {
    value.isFinite ? String(format: "%.\(digits)f", value) : "null"
}

let options: Options
do {
    options = try Options(Array(CommandLine.arguments.dropFirst()))
} catch let error as UsageError {
    FileHandle.standardError.write(Data("Streams: \(error.message)\n\(Options.usage)\n".utf8))
    exit(2)
}

do {
    let contender = try makeContender(options)
    // One stream first, so what any stream sets up once (libcurl's caches, the client's layers) is in
    // the baseline rather than charged to the N.
    let warmup = Gauge()
    await run(contender.stream, count: 1, gauge: warmup, limit: .seconds(10))
    guard warmup.failures.load(ordering: .relaxed) == 0 else {
        FileHandle.standardError.write(Data("Streams: the warm-up stream failed\n".utf8))
        exit(1)
    }
    let peakReset = resetPeak()
    let baseline = statusKiB("VmRSS") ?? 0
    let gauge = Gauge()
    // The heap the streams hold (bytes malloc'd and not yet freed while they run), sampled every
    // 20 ms: what the live objects take, apart from what the allocator keeps around them.
    MallocInterposerSwift.initialize()
    MallocInterposerSwift.hook()
    let heapBaseline = heapInUse()
    let heapPeak = Atomic<Int>(heapBaseline)
    // The most heap held while every stream was open (all reading, every head in): a stream's cost
    // once it is read, without the sending that the synchronized start piles up first.
    let heapAllOpen = Atomic<Int>(Int.min)
    let sampler = Task {
        while !Task.isCancelled {
            let now = heapInUse()
            if now > heapPeak.load(ordering: .relaxed) { heapPeak.store(now, ordering: .relaxed) }
            let allOpen = gauge.open.load(ordering: .relaxed) == options.streams
            if allOpen, now > heapAllOpen.load(ordering: .relaxed) { heapAllOpen.store(now, ordering: .relaxed) }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
    let start = ContinuousClock.now
    await run(contender.stream, count: options.streams, gauge: gauge, limit: .seconds(options.seconds))
    let elapsed = ContinuousClock.now - start
    sampler.cancel()
    await sampler.value
    MallocInterposerSwift.unhook()
    let statistics = MallocInterposerSwift.getStatistics()
    let peak = statusKiB("VmHWM") ?? 0
    let end = statusKiB("VmRSS") ?? 0
    await contender.shutdown()
    let streams = Double(options.streams)
    // Memory is divided by the most streams open at once, not by N: on a busy machine the first
    // streams can end before the last ones open, and the peak holds only those open together.
    let open = Double(max(1, gauge.maxOpen.load(ordering: .relaxed)))
    let allOpen = heapAllOpen.load(ordering: .relaxed)
    let allOpenPerStream = allOpen == Int.min ? "null" : number(Double(allOpen - heapBaseline) / 1024 / streams)
    let allocations = statistics.mallocCount > 0 ? number(Double(statistics.mallocCount) / streams) : "null"
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let fields = [
        "\"contender\":\"\(options.contender)\"", "\"streams\":\(options.streams)",
        "\"max_open\":\(gauge.maxOpen.load(ordering: .relaxed))", "\"failed\":\(gauge.failures.load(ordering: .relaxed))",
        "\"chunks_or_events\":\(gauge.chunks.load(ordering: .relaxed))", "\"seconds\":\(number(seconds, 3))",
        "\"baseline_rss_kib\":\(baseline)", "\"peak_rss_kib\":\(peak)", "\"end_rss_kib\":\(end)",
        "\"peak_reset\":\(peakReset)", "\"per_stream_kib\":\(number(Double(peak - baseline) / open))",
        "\"allocs_per_stream\":\(allocations)",
        "\"heap_per_stream_kib\":\(number(Double(heapPeak.load(ordering: .relaxed) - heapBaseline) / 1024 / open))",
        "\"heap_all_open_per_stream_kib\":\(allOpenPerStream)",
    ]
    print("{" + fields.joined(separator: ",") + "}")
    exit(gauge.failures.load(ordering: .relaxed) == 0 ? 0 : 1)
} catch {
    FileHandle.standardError.write(Data("Streams: \(error)\n".utf8))
    exit(1)
}
