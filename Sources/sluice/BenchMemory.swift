import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The resident memory (RSS) of this process, as the kernel counts it.
enum ResidentMemory {
    /// The resident set in bytes, from `/proc/self/statm`; `nil` where there is no `/proc`
    /// (macOS) or it cannot be read.
    static func currentBytes() -> Int? {
        guard let text = readProcFile("/proc/self/statm") else { return nil }
        return bytes(statm: text, pageSize: Int(sysconf(Int32(_SC_PAGESIZE))))
    }

    /// The resident bytes in a `statm` line (`size resident shared text lib data dt`, in pages):
    /// its second field times `pageSize`; `nil` when the line or the page size makes no sense.
    static func bytes(statm: String, pageSize: Int) -> Int? {
        let fields = statm.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard pageSize > 0, fields.count >= 2, let pages = Int(fields[1]), pages >= 0 else { return nil }
        let (product, overflow) = pages.multipliedReportingOverflow(by: pageSize)
        return overflow ? nil : product
    }

    /// A small `/proc` file (their size reads as 0, so they are read until the end), at most 4 KiB.
    private static func readProcFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while text.count < 4_096 {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            text += buffer[0..<count]
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// The RSS samples of a run: every sample's time and size while there are fewer than ``limit``,
/// then every other one is dropped each time the list is full (so a run of any length keeps a
/// bounded list); the peak is exact.
struct MemoryTrace: Sendable, Equatable {
    struct Sample: Sendable, Equatable {
        /// Since the run began.
        var time: Duration
        var bytes: Int
    }

    /// The most samples kept (at the default 5 s interval, 512 samples cover 42 minutes before
    /// the first thinning).
    let limit: Int
    private(set) var samples: [Sample] = []
    /// The largest sample taken, kept or not.
    private(set) var peak: Sample?
    /// How many samples were taken, kept or not.
    private(set) var taken = 0

    init(limit: Int = 512) {
        self.limit = max(2, limit)
    }

    mutating func record(_ bytes: Int, at time: Duration) {
        taken += 1
        if peak.map({ bytes > $0.bytes }) ?? true { peak = Sample(time: time, bytes: bytes) }
        if samples.count >= limit {
            // Keep the first, the third, …: the oldest sample stays, the spacing doubles.
            samples = samples.indices.filter { $0 % 2 == 0 }.map { samples[$0] }
        }
        samples.append(Sample(time: time, bytes: bytes))
    }

    /// The end of the warm-up of a run of `length`: its first fifth, at most 60 s.
    static func warmUp(of length: Duration) -> Duration { min(length / 5, .seconds(60)) }

    /// The figures of a run of `length` (the planned `--duration`, or the wall time), or `nil`
    /// before any sample.
    func summary(length: Duration) -> MemorySummary? {
        guard let final = samples.last, let peak else { return nil }
        let warmUp = Self.warmUp(of: length)
        let afterWarmUp = samples.first { $0.time >= warmUp } ?? final
        return MemorySummary(
            warmUp: warmUp, afterWarmUp: afterWarmUp, final: final, peak: peak, samples: taken)
    }
}

/// What `sluice bench` reports of its own RSS: the size after warm-up, at the end, at its peak,
/// and the growth from the first to the second.
struct MemorySummary: Sendable, Equatable {
    /// The end of the warm-up (since the run began).
    var warmUp: Duration
    /// The first sample taken at or after ``warmUp`` (the final one when none was earlier).
    var afterWarmUp: MemoryTrace.Sample
    /// The last sample, taken when the last call had ended.
    var final: MemoryTrace.Sample
    var peak: MemoryTrace.Sample
    /// How many samples were taken.
    var samples: Int

    /// The growth from the sample after warm-up to the final one, in percent of the former;
    /// `nil` when they are the same sample (a run too short to have a warm-up sample of its own).
    var growthPercent: Double? {
        guard afterWarmUp.time < final.time, afterWarmUp.bytes > 0 else { return nil }
        return Double(final.bytes - afterWarmUp.bytes) / Double(afterWarmUp.bytes) * 100
    }
}

/// Samples the process's RSS every ``interval`` while a `sluice bench` run lasts.
final class MemorySampler: Sendable {
    /// How often ``run(clock:start:)`` samples.
    let interval: Duration
    private let measure: @Sendable () -> Int?
    private let trace = Mutex(MemoryTrace())

    init(
        interval: Duration = .seconds(5),
        measure: @escaping @Sendable () -> Int? = { ResidentMemory.currentBytes() }
    ) {
        self.interval = interval
        self.measure = measure
    }

    /// Takes one sample now (nothing when the RSS cannot be read).
    func sample(at time: Duration) {
        guard let bytes = measure() else { return }
        trace.withLock { $0.record(bytes, at: time) }
    }

    /// Samples every ``interval`` until the task is cancelled.
    func run(clock: ContinuousClock, start: ContinuousClock.Instant) async {
        while true {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            sample(at: clock.now - start)
        }
    }

    func snapshot() -> MemoryTrace { trace.withLock { $0 } }
}
