#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The file `sluice bench --report` writes, opened before the run so that a path that cannot be
/// written fails at once rather than after the run.
final class BenchReportFile {
    /// The exit code when the report cannot be written (EX_CANTCREAT in sysexits.h).
    static let exitCode: Int32 = 73

    /// Why the report could not be written: the path and the system's reason.
    struct WriteError: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "cannot write the report to \(path): \(reason)" }
    }

    let path: String
    private var file: UnsafeMutablePointer<FILE>?

    /// Opens (creates or truncates) `path` for writing.
    init(path: String) throws(WriteError) {
        self.path = path
        guard !path.isEmpty else { throw WriteError(path: "''", reason: "the path is empty") }
        guard let file = fopen(path, "w") else { throw WriteError(path: path, reason: Self.systemReason()) }
        self.file = file
    }

    deinit { if let file { fclose(file) } }

    /// Writes `text` and closes the file.
    func write(_ text: String) throws(WriteError) {
        guard let file else { throw WriteError(path: path, reason: "already written") }
        self.file = nil
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBufferPointer { buffer in
            buffer.isEmpty ? 0 : fwrite(buffer.baseAddress, 1, buffer.count, file)
        }
        let failedWrite = written != bytes.count
        let reason = failedWrite ? Self.systemReason() : ""
        let failedClose = fclose(file) != 0
        if failedWrite || failedClose {
            throw WriteError(path: path, reason: failedWrite ? reason : Self.systemReason())
        }
    }

    private static func systemReason() -> String {
        guard let message = strerror(errno) else { return "error \(errno)" }
        return String(cString: message)
    }
}
