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
    /// The authority that signed the server's certificate, when it speaks TLS only.
    let authority: CurlTestCertificateAuthority?
    private let process: SpawnedProcess

    private init(port: Int, process: SpawnedProcess, authority: CurlTestCertificateAuthority?) {
        self.port = port
        self.process = process
        self.authority = authority
    }

    /// A configuration for this server: the default user with the password, database 0, and TLS
    /// trusting the test authority when the server speaks TLS.
    var configuration: RedisConfiguration {
        var configuration = RedisConfiguration(host: "127.0.0.1", port: port, password: Self.password)
        if let authority { configuration.tls = RedisConfiguration.TLS(caCertificateFile: authority.caPath) }
        return configuration
    }

    /// Starts a server; with `tls`, one that speaks TLS only (a certificate for 127.0.0.1 and
    /// localhost from a test authority made with openssl).
    static func start(port requested: Int? = nil, tls: Bool = false) async throws -> RedisTestServer {
        guard let executable else { throw CurlTestSetupError("redis-server is not installed (scripts/setup installs it)") }
        let port = try requested ?? curlUnusedPort()
        let authority = tls ? try CurlTestCertificateAuthority() : nil
        var arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--requirepass", password, "--daemonize", "no", "--loglevel", "warning",
        ]
        if let authority {
            arguments = [
                "--port", "0", "--tls-port", String(port), "--tls-cert-file", authority.serverCertificatePath,
                "--tls-key-file", authority.serverKeyPath, "--tls-ca-cert-file", authority.caPath, "--tls-auth-clients", "no",
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", password, "--daemonize", "no",
                "--loglevel", "warning",
            ]
        }
        let process = try SpawnedProcess(executable, arguments)
        let server = RedisTestServer(port: port, process: process, authority: authority)
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
        process.kill()
        authority?.remove()
    }

    /// Runs `body` with a fresh server, stopping it afterwards.
    static func with<T>(tls: Bool = false, _ body: (RedisTestServer) async throws -> T) async throws -> T {
        let server = try await start(tls: tls)
        defer { server.stop() }
        return try await body(server)
    }
}
