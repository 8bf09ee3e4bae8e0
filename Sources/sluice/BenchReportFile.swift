#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The file `sluice bench --report` writes, checked before the run so that a path that cannot be
/// written fails at once rather than after the run.
///
/// The check opens the path for appending, which creates a missing file without truncating an
/// existing one; the page is written (truncating) only when the run is done. A run that ends
/// without a report (it failed, or was interrupted) leaves an existing file as it was and removes
/// the empty one the check created, so no empty or half-written report is left behind.
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
    /// The file as the check opened it (for appending), until the report is written.
    private var check: UnsafeMutablePointer<FILE>?
    /// Whether the check created the file (it did not exist before).
    private let created: Bool

    /// Checks that `path` can be written, creating it if it is missing (without truncating it).
    init(path: String) throws(WriteError) {
        self.path = path
        guard !path.isEmpty else { throw WriteError(path: "''", reason: "the path is empty") }
        let existed = access(path, F_OK) == 0
        guard let file = fopen(path, "a") else { throw WriteError(path: path, reason: Self.systemReason()) }
        self.check = file
        self.created = !existed
    }

    /// A report never written: an existing file is left as it was; an empty one the check created
    /// is removed.
    deinit {
        guard let check else { return }
        fclose(check)
        if created { unlink(path) }
    }

    /// Writes `text` in place of the file's contents and closes it.
    func write(_ text: String) throws(WriteError) {
        guard let check else { throw WriteError(path: path, reason: "already written") }
        self.check = nil
        fclose(check)
        guard let file = fopen(path, "w") else { throw WriteError(path: path, reason: Self.systemReason()) }
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
