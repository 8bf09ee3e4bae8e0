// The ThreadSanitizer canary (scripts/tsan-canary): proves that a TSan build sees a real race and
// stays silent on state guarded by the pthread-backed `Mutex` that `SLUICE_TSAN` builds use.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

nonisolated(unsafe) var unguarded = 0

/// Runs `work` on `count` threads of its own at once and waits for them.
func onThreads(_ count: Int, _ work: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
        let work: @Sendable () -> Void
        init(_ work: @escaping @Sendable () -> Void) { self.work = work }
    }
    var threads: [pthread_t] = []
    for _ in 0..<count {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(work)).toOpaque()
        let created = pthread_create(&thread, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            box.work()
            return nil
        }, box)
        precondition(created == 0, "pthread_create failed")
        threads.append(thread)
    }
    for thread in threads { pthread_join(thread, nil) }
}

@main
struct Canary {
    static func main() {
        switch CommandLine.arguments.dropFirst().first {
        case "race":
            // Two threads, no lock: TSan must report a data race here.
            // Ten rounds: in one round the first thread may finish before the second starts.
            for _ in 0..<10 {
                onThreads(2) {
                    for _ in 0..<100_000 { unguarded += 1 }
                }
            }
            print("race ran")
        case "locked":
            // 8 threads × 1,000 increments under the lock: no report, and the right count.
            let counter = Mutex(0)
            onThreads(8) {
                for _ in 0..<1_000 { counter.withLock { $0 += 1 } }
            }
            let total = counter.withLock { $0 }
            print("locked: \(total)")
            if total != 8_000 { fatalError("lost increments: \(total)") }
        default:
            fatalError("usage: canary race|locked")
        }
    }
}
