import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("sluice mock-server machine-readable start")
struct MockServerStartLineTests {
    /// The `sluice` executable built next to the test bundle.
    static var executable: URL? {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [directory, directory.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("sluice")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    @Test("--port 0 prints one JSON line on stdout whose port answers; prose goes to stderr; the token never shows")
    func startLine() async throws {
        let executable = try #require(Self.executable, "the sluice executable is built with the tests")
        let token = "adm-cli-token-5521"
        let process = Process()
        process.executableURL = executable
        process.arguments = ["mock-server", "--port", "0", "--journal-capacity", "5"]
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_MOCK_ADMIN_TOKEN"] = token
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Bounded: a server that never prints is stopped, which ends the read below.
        let pid = process.processIdentifier
        let timeout = DispatchWorkItem { kill(pid, SIGTERM) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: timeout)
        defer { timeout.cancel() }
        let firstLine = await Self.readLine(stdout.fileHandleForReading.fileDescriptor)
        defer { if process.isRunning { process.terminate() } }

        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(firstLine.utf8)) as? [String: Any], "\(firstLine)")
        let port = try #require(object["port"] as? Int)
        #expect(port > 0)
        #expect(object["host"] as? String == "127.0.0.1")
        #expect(object["url"] as? String == "http://127.0.0.1:\(port)")
        #expect(object["openai_base_url"] as? String == "http://127.0.0.1:\(port)/v1")
        #expect(object["anthropic_base_url"] as? String == "http://127.0.0.1:\(port)")
        #expect(object["admin"] as? Bool == true)

        let health = try Self.get(port: port, path: "/_mock/health", bearer: token)
        #expect(health.hasPrefix("HTTP/1.1 200"), "\(health)")
        #expect(health.contains(#"{"status":"ok"}"#))
        let refused = try Self.get(port: port, path: "/_mock/stats", bearer: "wrong")
        #expect(refused.hasPrefix("HTTP/1.1 401"))

        process.interrupt()
        process.waitUntilExit()
        let rest = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let prose = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(rest.isEmpty, "stdout holds only the JSON line, got more: \(rest)")
        #expect(prose.contains("Mock LLM server listening on http://127.0.0.1:\(port)"))
        #expect(prose.contains("Received SIGINT"))
        #expect(!firstLine.contains(token) && !rest.contains(token) && !prose.contains(token))
    }

    /// Reads up to the first newline (or the end of the stream) off the calling task's threads.
    static func readLine(_ descriptor: Int32) async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                var byte: UInt8 = 0
                while read(descriptor, &byte, 1) == 1, byte != UInt8(ascii: "\n") {
                    bytes.append(byte)
                }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    /// A plain HTTP/1.1 GET over a loopback socket; returns the whole response text.
    static func get(port: Int, path: String, bearer: String) throws -> String {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(connected == 0)
        let request = Array(
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(bearer)\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: response, as: UTF8.self)
    }
}
