import Sluice
import SluiceTesting
import Testing

/// The first-token and idle limits hold for a streamed Responses API reply as for a chat stream:
/// lifecycle events are not content, text deltas are.
extension StreamPacingTests {
    static let responsesRequest = ResponsesRequest(model: "m", input: "hi")
    static let created =
        "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r\",\"status\":\"in_progress\"}}\n\n"
    static let messageAdded =
        "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\",\"output_index\":0,"
        + "\"item\":{\"type\":\"message\",\"id\":\"m\",\"content\":[]}}\n\n"
    static func textDelta(_ text: String) -> String {
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"output_index\":0,"
            + "\"content_index\":0,\"delta\":\"\(text)\"}\n\n"
    }

    @Test("a Responses stream with lifecycle events but no text fails with firstTokenTimeout")
    func responsesFirstToken() async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let client = Self.client(
            Self.limits(firstToken: .seconds(10), idle: .seconds(60)), clock: clock, source: source)
        let call = Task { try await client.streamResponse(Self.responsesRequest) }
        await source.waitUntilPending()
        await Self.send(source, Self.created + Self.messageAdded)
        await Self.advance(clock, seconds: 11)
        let error = await #expect(throws: SluiceError.self) { try await Self.outcome(call, clock) }
        #expect(error?.code == .firstTokenTimeout)
    }

    @Test("after a text delta, a quiet Responses stream fails with idleTimeout keeping the text")
    func responsesIdle() async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let client = Self.client(
            Self.limits(firstToken: .seconds(30), idle: .seconds(10)), clock: clock, source: source)
        let call = Task { try await client.streamResponse(Self.responsesRequest) }
        await source.waitUntilPending()
        await Self.send(source, Self.created + Self.messageAdded + Self.textDelta("Hi"))
        await Self.advance(clock, seconds: 11)
        let error = await #expect(throws: SluiceError.self) { try await Self.outcome(call, clock) }
        #expect(error?.code == .idleTimeout)
        #expect(error?.partialResponse?.text == "Hi")
    }
}
