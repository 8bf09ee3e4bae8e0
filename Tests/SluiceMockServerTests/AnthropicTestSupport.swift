import Foundation

/// One server-sent event: its `event:` name and `data:` payload.
struct NamedEvent: Sendable, Equatable {
    var name: String?
    var data: String

    func json() throws -> [String: Any] {
        try RawHTTPResponse.object(self.data)
    }
}

extension RawHTTPResponse {
    /// The events of an event stream, with their names (blank-line separated blocks).
    var namedEvents: [NamedEvent] {
        self.body.components(separatedBy: "\n\n").compactMap { block in
            var name: String?
            var data: [String] = []
            for line in block.components(separatedBy: "\n") {
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
            }
            return data.isEmpty ? nil : NamedEvent(name: name, data: data.joined(separator: "\n"))
        }
    }
}

extension RawHTTPClient {
    /// `POST /v1/messages` with `x-api-key` and `anthropic-version` (each left out when `nil`).
    static func messages(
        port: Int, apiKey: String? = "sk-ant-test", version: String? = "2023-06-01", _ body: String
    ) async throws -> RawHTTPResponse {
        var headers: [String: String] = [:]
        if let apiKey { headers["x-api-key"] = apiKey }
        if let version { headers["anthropic-version"] = version }
        return try await self.request(port: port, path: "/v1/messages", bearer: nil, body: body, extraHeaders: headers)
    }
}

/// A messages body: `max_tokens` (left out when `nil`), optional system, stream flag and extra JSON members.
func messagesBody(
    _ text: String = "Hello there", maxTokens: Int? = 256, system: String? = nil, stream: Bool = false,
    extra: String = ""
) -> String {
    var members = [#""model":"claude-test""#]
    if let maxTokens { members.append(#""max_tokens":\#(maxTokens)"#) }
    if let system { members.append(#""system":"\#(system)""#) }
    if stream { members.append(#""stream":true"#) }
    if !extra.isEmpty { members.append(extra) }
    members.append(#""messages":[{"role":"user","content":"\#(text)"}]"#)
    return "{" + members.joined(separator: ",") + "}"
}
