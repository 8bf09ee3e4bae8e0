import Foundation
import SluiceRedis

/// A `redis-server` on 127.0.0.1 started for one test and killed after it: no persistence, a
/// password, a free port. scripts/setup installs redis-server; a machine without it fails the test
/// with that message rather than skipping it.
final class RedisTestServer: Sendable {
    static let executable: String? = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    static let password = "redis-test-password-marker"

    let port: Int
    private let process: Process

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    /// A configuration for this server: the default user with the password, database 0.
    var configuration: RedisConfiguration {
        RedisConfiguration(host: "127.0.0.1", port: port, password: Self.password)
    }

    static func start(port requested: Int? = nil) async throws -> RedisTestServer {
        guard let executable else { throw CurlTestSetupError("redis-server is not installed (scripts/setup installs it)") }
        let port = try requested ?? curlUnusedPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--requirepass", password, "--daemonize", "no", "--loglevel", "warning",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = RedisTestServer(port: port, process: process)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, process.isRunning {
            if let connection = try? await RedisConnection.connect(to: server.configuration) {
                await connection.close()
                return server
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        server.stop()
        throw CurlTestSetupError("redis-server did not start")
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Runs `body` with a fresh server, stopping it afterwards.
    static func with<T>(_ body: (RedisTestServer) async throws -> T) async throws -> T {
        let server = try await start()
        defer { server.stop() }
        return try await body(server)
    }
}
