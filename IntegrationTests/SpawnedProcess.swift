import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process the integration tests start (redis-server, nginx, openssl, the Python servers),
/// with `posix_spawn` rather than Foundation's `Process`.
///
/// `Process.run()` in the Linux Foundation of Swift 6.3 lists `/proc/self/fd` to close the child's
/// descriptors and copies each directory entry's whole 256-byte name field; an entry at the end of
/// the directory buffer, before an unmapped page, makes that copy read past it and the test process
/// crashes (SIGSEGV in `memcpy` under `Process.run()`; swift-corelibs-foundation pull request 5472).
/// A test run starts hundreds of children, so it happened in CI. Here the child gets standard input
/// from `/dev/null`, standard output and error from `/dev/null` or the test process's, every other
/// descriptor closed (`posix_spawn_file_actions_addclosefrom_np`, glibc 2.34), no signal blocked and
/// every signal at its default action.
final class SpawnedProcess: Sendable {
    /// Where the child's standard output or error goes.
    enum Output {
        case null
        case inherit
    }

    let processIdentifier: pid_t
    /// The raw wait status, once the child has been reaped.
    private let reaped = Mutex<Int32?>(nil)

    /// Starts `executable` (a path, or a name looked up in `PATH` when it has no slash) with
    /// `arguments`, in `directory` (the test process's own when `nil`), with `environment` (the
    /// test process's when `nil`).
    init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
        standardOutput: Output = .null, standardError: Output = .null
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if standardOutput == .null { posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0) }
        if standardError == .null { posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0) }
        guard let closeFrom = Self.addCloseFrom, closeFrom(&actions, 3) == 0 else {
            throw CurlTestSetupError("posix_spawn_file_actions_addclosefrom_np is not available (glibc 2.34 or later)")
        }
        if let directory {
            guard let changeDirectory = Self.addChangeDirectory, changeDirectory(&actions, directory) == 0 else {
                throw CurlTestSetupError("posix_spawn_file_actions_addchdir_np is not available (glibc 2.29 or later)")
            }
        }
        // The child starts with no signal blocked and every signal at its default (the test
        // process's threads block some and it ignores SIGPIPE; both would be inherited).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) }
        defer { argv.forEach { free($0) } }
        let envp = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") }
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let result = (argv + [nil]).withUnsafeBufferPointer { argvBuffer in
            (envp + [nil]).withUnsafeBufferPointer { envpBuffer in
                posix_spawnp(&pid, executable, &actions, &attributes, argvBuffer.baseAddress!, envpBuffer.baseAddress!)
            }
        }
        guard result == 0 else {
            throw CurlTestSetupError("could not start \(executable): \(String(cString: strerror(result)))")
        }
        processIdentifier = pid
    }

    /// Whether the child has not exited yet (reaps it if it has).
    var isRunning: Bool {
        reaped.withLock { status in
            guard status == nil else { return false }
            var raw: Int32 = 0
            let result = waitpid(processIdentifier, &raw, WNOHANG)
            if result == 0 { return true }
            status = result == processIdentifier ? raw : 0
            return false
        }
    }

    /// Waits for the child to exit and reaps it.
    func waitUntilExit() {
        if reaped.withLock({ $0 != nil }) { return }
        var raw: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(processIdentifier, &raw, 0) } while result == -1 && errno == EINTR
        reaped.withLock { status in
            if status == nil { status = result == processIdentifier ? raw : 0 }
        }
    }

    /// The exit code after ``waitUntilExit()`` (128 plus the signal for a child a signal ended).
    var terminationStatus: Int32 {
        guard let raw = reaped.withLock({ $0 }) else { return -1 }
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    /// Sends SIGKILL (the child may inherit a signal mask that blocks SIGTERM) and reaps it.
    func kill() {
        if isRunning { Glibc.kill(processIdentifier, SIGKILL) }
        waitUntilExit()
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChangeDirectory =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    // Looked up at run time: Swift's Glibc module does not declare glibc's `_np` extensions.
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }
    private static let addChangeDirectory: AddChangeDirectory? = dlsym(nil, "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChangeDirectory.self) }
}
