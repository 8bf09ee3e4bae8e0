import Hummingbird

/// Provider-neutral steps of answering an admitted request: timing, waiting before the head, and
/// a buffered answer with its fault applied. The provider routes supply the bodies.
enum MockResponseSteps {
    /// The outcome's timing (or the default), with a delay fault applied.
    static func latency(for outcome: MockOutcome, default defaultLatency: MockLatency) -> MockLatency {
        var latency = outcome.latency ?? defaultLatency
        switch outcome.fault?.backing {
        case .headDelay(let duration): latency.head = duration
        case .firstTokenDelay(let duration): latency.firstToken = duration
        case .tokenDelay(let duration): latency.perToken = duration
        default: break
        }
        return latency
    }

    /// A `text/event-stream` answer whose body `write` writes; the ticket is released when it ends.
    static func eventStream(
        headers: HTTPFields, ticket: InFlightTicket,
        _ write: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void
    ) -> Response {
        var headers = headers
        headers[.contentType] = MockHTTP.eventStreamContentType
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                defer { ticket.release() }
                try await write(&writer)
            })
    }

    /// The error answer that replaces the whole response, after the head latency: a scripted
    /// reply's status (with its headers and message), else an injected HTTP error fault (with its
    /// retry headers); `nil` when there is neither. `body` writes the provider's error body for a
    /// status and a message (`nil`: the provider's usual one).
    static func errorAnswer(
        scripted: MockReply?, fault: MockFault?, headers: HTTPFields, latency: MockLatency, pacer: MockPacer,
        key: ResolvedKey, engine: MockServerEngine, body: (_ status: Int, _ message: String?) -> String
    ) async throws -> Response? {
        var headers = headers
        let code: Int
        let message: String?
        if let scripted, let status = scripted.status {
            (code, message) = (status, scripted.errorMessage)
            MockHTTP.addScriptedHeaders(scripted.headers, to: &headers)
        } else if let fault, case .httpError(let status, let retryAfter, let shouldRetry) = fault.backing {
            (code, message) = (status, nil)
            MockHTTP.addRetryHeaders(retryAfter, shouldRetry: shouldRetry, to: &headers)
        } else {
            return nil
        }
        try await Self.waitBeforeHead(latency.head, pacer: pacer, engine: engine)
        if code == 429 { engine.recordTooManyRequests(key: key) }
        return MockHTTP.json(HTTPResponse.Status(code: code), body(code, message), headers: headers)
    }

    /// Waits before sending the head; a client leaving meanwhile is counted and ends the request.
    static func waitBeforeHead(_ duration: Duration, pacer: MockPacer, engine: MockServerEngine) async throws {
        do {
            try await pacer.pause(duration)
        } catch MockResponseEnd.clientDisconnected {
            engine.recordDisconnect()
            throw MockResponseEnd.clientDisconnected
        }
    }

    /// A complete JSON answer, or the fault that replaces it: a stall, a dropped connection, a
    /// truncated body, or for ``MockFault/errorEvent(afterTokens:)`` the provider's
    /// `errorEventAnswer`. Completion tokens are counted when the body is delivered whole or
    /// truncated; `reservation` (output tokens) is settled with them, or with 0 for the others.
    static func bufferedAnswer(
        _ body: String, fault: MockFault?, headers: HTTPFields, completionTokens: Int, key: ResolvedKey,
        engine: MockServerEngine, pacer: MockPacer, ticket: InFlightTicket, reservation: OutputTokenReservation? = nil,
        errorEventAnswer: () -> Response
    ) -> Response {
        var headers = headers
        headers[.contentType] = MockHTTP.jsonContentType
        let bytes = ByteBuffer(string: body)
        switch fault?.backing {
        case .stall(_, let duration):
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(contentLength: bytes.readableBytes) { _ in
                    defer {
                        reservation?.settle(used: 0)
                        ticket.release()
                    }
                    do {
                        try await pacer.pause(duration)
                    } catch MockResponseEnd.clientDisconnected {
                        engine.recordDisconnect()
                        throw MockResponseEnd.clientDisconnected
                    }
                    throw MockResponseEnd.closedByFault
                })
        case .dropConnection:
            let half = bytes.getSlice(at: bytes.readerIndex, length: bytes.readableBytes / 2) ?? ByteBuffer()
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(contentLength: bytes.readableBytes) { writer in
                    defer {
                        reservation?.settle(used: 0)
                        ticket.release()
                    }
                    try await writer.write(half)
                    throw MockResponseEnd.closedByFault
                })
        case .malformedJSON, .malformedSSE:
            engine.recordCompletionTokens(completionTokens, key: key)
            reservation?.settle(used: completionTokens)
            let half = bytes.getSlice(at: bytes.readerIndex, length: bytes.readableBytes / 2) ?? ByteBuffer()
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: half))
        case .errorEvent:
            reservation?.settle(used: 0)
            return errorEventAnswer()
        case .none, .httpError, .headDelay, .firstTokenDelay, .tokenDelay:
            engine.recordCompletionTokens(completionTokens, key: key)
            reservation?.settle(used: completionTokens)
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: bytes))
        }
    }
}
