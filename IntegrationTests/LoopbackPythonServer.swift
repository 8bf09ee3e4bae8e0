import Foundation

/// A Python program serving on 127.0.0.1, started for one test and killed after it: the part every
/// loopback test server shares. The program gets its arguments after the path of a file to write
/// its port to, and must write it (atomically) once it listens.
struct LoopbackPythonProcess: Sendable {
    let port: Int
    let process: SpawnedProcess

    /// Writes `script` (and `files`, named, next to it) to a fresh folder, runs
    /// `python3 SCRIPT PORTFILE ARGUMENTS…` (each argument may name one of `files`), and waits up to
    /// 10 s for the port.
    static func start(
        _ name: String, script: String, files: [String: Data] = [:], arguments: [String] = [],
        environment: [String: String]? = nil
    ) async throws -> LoopbackPythonProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let scriptURL = directory.appendingPathComponent("server.py")
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
        var paths: [String: String] = [:]
        for (file, contents) in files {
            let url = directory.appendingPathComponent(file)
            try contents.write(to: url)
            paths[file] = url.path
        }
        let portFile = directory.appendingPathComponent("port").path
        let process = try SpawnedProcess(
            "python3", [scriptURL.path, portFile] + arguments.map { paths[$0] ?? $0 }, environment: environment,
            standardError: .inherit)
        // Generous: a sanitizer build on a loaded machine starts Python slowly.
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) {
                return LoopbackPythonProcess(port: port, process: process)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.kill()
        throw CurlTestSetupError("the python3 \(name) test server did not start")
    }

    /// Kills the program (SIGKILL: the child may inherit a signal mask that blocks SIGTERM).
    func stop() {
        process.kill()
    }
}
