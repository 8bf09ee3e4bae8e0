import Foundation
import NIOCore
import NIOPosix

/// A parsed HTTP/1.1 response read off a raw socket.
struct RawHTTPResponse: Sendable {
    var status: Int
    /// Header values by lowercased name.
    var headers: [String: String]
    var body: String
    /// Whether the body ended properly (terminating chunk, or `content-length` bytes).
    var isComplete: Bool

    subscript(header name: String) -> String? { self.headers[name.lowercased()] }

    /// The payloads of the `data:` lines of an event stream.
    var events: [String] {
        self.body.components(separatedBy: "\n").compactMap { line in
            line.hasPrefix("data: ") ? String(line.dropFirst(6)) : nil
        }
    }

    func json() throws -> [String: Any] {
        try RawHTTPResponse.object(self.body)
    }

    static func object(_ text: String) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        guard let object = value as? [String: Any] else { throw RawHTTPError.notAnObject(text) }
        return object
    }
}

enum RawHTTPError: Error {
    case notAnObject(String)
    case malformedResponse(String)
}

/// A minimal HTTP/1.1 client over NIO sockets, so tests control exactly when they read and close.
enum RawHTTPClient {
    static func request(
        port: Int,
        method: String = "POST",
        path: String,
        bearer: String? = "sk-test",
        body: String? = nil,
        extraHeaders: [String: String] = [:]
    ) async throws -> RawHTTPResponse {
        let bytes = try await self.exchange(
            port: port,
            text: self.requestText(method: method, path: path, bearer: bearer, body: body, extraHeaders: extraHeaders)
        ) { _ in false }
        return try self.parse(bytes)
    }

    /// Sends a request and reads until `stop` returns true for the bytes received so far (or the
    /// server closes), then closes the connection. Returns the raw bytes as text.
    static func readPartially(
        port: Int,
        path: String,
        bearer: String? = "sk-test",
        body: String,
        until stop: @escaping @Sendable (String) -> Bool
    ) async throws -> String {
        let bytes = try await self.exchange(
            port: port,
            text: self.requestText(method: "POST", path: path, bearer: bearer, body: body, extraHeaders: [:])
        ) { received in
            stop(String(decoding: received, as: UTF8.self))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Sends a request, waits (polling, bounded to 5 s) until `ready` is true, then closes the connection.
    static func sendThenClose(port: Int, path: String, body: String, ready: @escaping @Sendable () -> Bool) async throws
    {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { _, outbound in
            try await outbound.write(
                ByteBuffer(
                    string: self.requestText(
                        method: "POST", path: path, bearer: "sk-test", body: body, extraHeaders: [:])))
            let start = ContinuousClock.now
            while !ready(), start.duration(to: .now) < .seconds(5) {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    static func chat(port: Int, bearer: String? = "sk-test", _ body: String) async throws -> RawHTTPResponse {
        try await self.request(port: port, path: "/v1/chat/completions", bearer: bearer, body: body)
    }

    private static func requestText(
        method: String, path: String, bearer: String?, body: String?, extraHeaders: [String: String]
    ) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let bearer { text += "Authorization: Bearer \(bearer)\r\n" }
        for (name, value) in extraHeaders { text += "\(name): \(value)\r\n" }
        if let body {
            text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        } else {
            text += "\r\n"
        }
        return text
    }

    static func exchange(port: Int, text: String, stop: @escaping @Sendable ([UInt8]) -> Bool) async throws
        -> [UInt8]
    {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: text))
            var received: [UInt8] = []
            do {
                for try await buffer in inbound {
                    received.append(contentsOf: buffer.readableBytesView)
                    if stop(received) { break }
                }
            } catch {
                // A reset ends the exchange like a close: the caller judges the bytes.
            }
            return received
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> RawHTTPResponse {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { throw RawHTTPError.malformedResponse(text) }
        let headLines = text[..<headEnd.lowerBound].components(separatedBy: "\r\n")
        let statusParts = headLines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw RawHTTPError.malformedResponse(text)
        }
        var headers: [String: String] = [:]
        for line in headLines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let rawBody = Array(text[headEnd.upperBound...].utf8)
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            var body: [UInt8] = []
            var index = 0
            var complete = false
            while index < rawBody.count {
                guard let lineEnd = self.find([13, 10], in: rawBody, from: index) else { break }
                let sizeText = String(decoding: rawBody[index..<lineEnd], as: UTF8.self)
                guard let size = Int(sizeText, radix: 16) else { break }
                if size == 0 { complete = true; break }
                let start = lineEnd + 2
                let end = min(start + size, rawBody.count)
                body.append(contentsOf: rawBody[start..<end])
                if start + size + 2 > rawBody.count { break }
                index = start + size + 2
            }
            return RawHTTPResponse(
                status: status, headers: headers, body: String(decoding: body, as: UTF8.self), isComplete: complete)
        }
        let length = headers["content-length"].flatMap { Int($0) } ?? rawBody.count
        return RawHTTPResponse(
            status: status, headers: headers,
            body: String(decoding: rawBody.prefix(length), as: UTF8.self),
            isComplete: rawBody.count >= length
        )
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            if Array(haystack[index..<index + needle.count]) == needle { return index }
            index += 1
        }
        return nil
    }
}
