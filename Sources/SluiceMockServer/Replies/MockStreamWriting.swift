import Hummingbird

/// Writing a stream's events: what every provider's stream writer does the same way.
extension MockPacer {
    /// Writes `text`, unless the client left; a failed write is the client leaving.
    func send(_ text: String, to writer: inout any ResponseBodyWriter) async throws {
        try self.checkConnected()
        do {
            try await writer.write(ByteBuffer(string: text))
        } catch {
            if Task.isCancelled { throw error }
            throw MockResponseEnd.clientDisconnected
        }
    }

    /// Ends the body; a failure is the client leaving.
    func finish(_ writer: inout any ResponseBodyWriter) async throws {
        do {
            try await writer.finish(nil)
        } catch {
            if Task.isCancelled { throw error }
            throw MockResponseEnd.clientDisconnected
        }
    }

    /// Acts on `fault` mid-stream: a stall or a dropped connection ends the body by throwing, a
    /// malformed fault writes `malformed` and goes on, an error-event fault writes `errorEvent` and
    /// ends the body. Returns whether the stream ended.
    func inject(
        _ fault: MockFault, malformed: String, errorEvent: String, to writer: inout any ResponseBodyWriter
    ) async throws -> Bool {
        switch fault.backing {
        case .stall(_, let duration):
            try await self.pause(duration)
            throw MockResponseEnd.closedByFault
        case .dropConnection:
            try self.checkConnected()
            throw MockResponseEnd.closedByFault
        case .malformedSSE, .malformedJSON:
            try await self.send(malformed, to: &writer)
            return false
        case .errorEvent:
            try await self.send(errorEvent, to: &writer)
            try await self.finish(&writer)
            return true
        case .httpError, .headDelay, .firstTokenDelay, .tokenDelay:
            return false
        }
    }
}
