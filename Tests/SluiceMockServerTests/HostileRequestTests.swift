import Foundation
import SluiceMockServer
import Testing

/// Requests a careless or hostile client sends: each gets the real API's status and error shape
/// (or the connection is refused at the HTTP layer), and the server keeps serving afterwards.
@Suite("Mock server: hostile requests")
struct HostileRequestTests {
    private static let chatBody = #"{"model":"gpt-test","messages":[{"role":"user","content":"Hello"}]}"#

    /// A normal chat still gets its 200 (the server survived what came before).
    private static func expectServing(_ server: MockLLMServer) async throws {
        let reply = try await RawHTTPClient.chat(port: server.port, Self.chatBody)
        #expect(reply.status == 200)
    }

    private static func raw(_ server: MockLLMServer, _ text: String) async throws -> String {
        let bytes = try await RawHTTPClient.exchange(port: server.port, text: text) { _ in false }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("a header value with a bare line break is refused with 400 before any route runs", arguments: ["\n", "\r"])
    func headerWithLineBreak(lineBreak: String) async throws {
        try await MockLLMServer.withRunning() { server in
            let text =
                "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + "Authorization: Bearer sk-test\r\nX-Injected: a\(lineBreak)Set-Cookie: b\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(Self.chatBody.utf8.count)\r\n\r\n" + Self.chatBody
            let answer = try await Self.raw(server, text)
            // llhttp rejects the request; NIO answers 400 or closes the connection.
            #expect(answer.isEmpty || answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(200))")
            #expect(server.stats.keys.isEmpty, "no route saw the request")
            try await Self.expectServing(server)
        }
    }

    @Test("a body beyond the cap gets 413 in each provider's error shape, and the server keeps serving")
    func bodyBeyondCap() async throws {
        var configuration = MockServerConfiguration()
        configuration.maxRequestBodySize = 1024
        try await MockLLMServer.withRunning(configuration) { server in
            let padding = String(repeating: "x", count: 4096)
            let openAI = try await RawHTTPClient.chat(
                port: server.port, #"{"model":"m","messages":[{"role":"user","content":"\#(padding)"}]}"#)
            #expect(openAI.status == 413)
            #expect((try openAI.json()["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")

            let anthropic = try await RawHTTPClient.request(
                port: server.port, path: "/v1/messages", bearer: nil,
                body: #"{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"\#(padding)"}]}"#,
                extraHeaders: ["x-api-key": "sk-test", "anthropic-version": "2023-06-01"])
            #expect(anthropic.status == 413)
            let body = try anthropic.json()
            #expect(body["type"] as? String == "error")
            #expect((body["error"] as? [String: Any])?["type"] as? String == "request_too_large")
            try await Self.expectServing(server)
        }
    }

    @Test("a declared length beyond the cap is answered without waiting for the bytes")
    func declaredLengthBeyondCap() async throws {
        var configuration = MockServerConfiguration()
        configuration.maxRequestBodySize = 1024
        try await MockLLMServer.withRunning(configuration) { server in
            // The head promises 10 GB and only the head is sent: the answer must not wait for the body.
            let text =
                "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-test\r\n"
                + "Content-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{"
            // Bounded: a server that waits for the promised bytes fails the test instead of hanging it.
            let answer = try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    let bytes = try await RawHTTPClient.exchange(port: server.port, text: text) { received in
                        String(decoding: received, as: UTF8.self).contains("\r\n\r\n")
                    }
                    return String(decoding: bytes, as: UTF8.self)
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            #expect(answer?.hasPrefix("HTTP/1.1 413") == true, "\(answer?.prefix(200) ?? "no answer within 10 s")")
            try await Self.expectServing(server)
        }
    }

    @Test("a body that is not UTF-8 or not JSON gets 400 in each provider's shape")
    func notJSON() async throws {
        try await MockLLMServer.withRunning() { server in
            for body in ["\u{FEFF}{", "[1,2]", #"{"model":"m","messages":"#, "null"] {
                let openAI = try await RawHTTPClient.chat(port: server.port, body)
                #expect(openAI.status == 400, "\(body)")
                #expect((try openAI.json()["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
                let anthropic = try await RawHTTPClient.request(
                    port: server.port, path: "/v1/messages", bearer: nil, body: body,
                    extraHeaders: ["x-api-key": "sk-test", "anthropic-version": "2023-06-01"])
                #expect(anthropic.status == 400, "\(body)")
                #expect((try anthropic.json()["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
            }
            try await Self.expectServing(server)
        }
    }
}
