#if SLUICE_TSAN
    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Musl)
        import Musl
    #elseif canImport(Darwin)
        import Darwin
    #endif

    /// ThreadSanitizer builds only (`scripts/test --sanitize thread` defines `SLUICE_TSAN`): a lock
    /// with the part of `Synchronization.Mutex`'s API this module uses, over a pthread mutex.
    ///
    /// `Synchronization.Mutex` waits on a futex, which ThreadSanitizer does not see: it reports every
    /// pair of accesses made under the lock from two threads as a race. This type shadows `Mutex`
    /// inside the module in such builds, so TSan sees each acquire and release and reports only the
    /// races that are real. Ordinary builds use `Synchronization.Mutex` and never compile this.
    ///
    /// Every other target that locks with `Mutex` (the mock server, the testing helpers, the command
    /// and the test targets) compiles this same file through a symbolic link, so that it shadows
    /// `Mutex` there too.
    final class Mutex<Value>: @unchecked Sendable {
        private var value: Value
        private let lock: UnsafeMutablePointer<pthread_mutex_t>

        init(_ initialValue: consuming Value) {
            value = initialValue
            lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
            pthread_mutex_init(lock, nil)
        }

        deinit {
            pthread_mutex_destroy(lock)
            lock.deallocate()
        }

        func withLock<Result, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
            pthread_mutex_lock(lock)
            defer { pthread_mutex_unlock(lock) }
            return try body(&value)
        }
    }
#endif
