import Hummingbird
import NIOCore

/// Records every request in the journal: creates its entry (headers redacted, body kept up to the
/// journal's cap), runs the route with the entry as ``MockJournal/current`` so the engine can
/// annotate it, and notes the status and how the response body ended.
///
/// The body is read here once, up to one chunk past ``MockServerConfiguration/maxRequestBodySize``,
/// and handed on in memory; past the limit the route's read fails with 413 as it would have. Admin
/// requests (`/_mock/…` while the admin API is on) pass through unrecorded.
struct MockJournalMiddleware: RouterMiddleware {
    typealias Context = MockRequestContext

    let journal: MockJournal
    let maxRequestBodySize: Int
    let skipsAdminPaths: Bool

    /// Headers whose values are credentials.
    static let redactedHeaders: Set<String> = [
        "authorization", "x-api-key", "api-key", "proxy-authorization", "cookie", "set-cookie",
    ]
    static let redacted = "<redacted>"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if self.skipsAdminPaths && MockAdminRoutes.isAdminPath(request.uri.path) {
            return try await next(request, context)
        }
        var request = request
        // A declared length beyond the limit is answered from the head (MockBodyLimitMiddleware):
        // the body is not read, so a client that never sends it is not waited for.
        let declaredTooLong = MockBodyLimitMiddleware.declaresTooLong(request.headers, cap: self.maxRequestBodySize)
        let (received, readError) =
            declaredTooLong ? (ByteBuffer(), HTTPError(.contentTooLarge)) : await self.readBody(request.body)
        let now = MockHTTP.realTime().components
        let kept = received.getSlice(at: received.readerIndex, length: min(received.readableBytes, self.journal.maxBodyBytes))
        let handle = self.journal.append(
            MockJournalEntry(
                sequence: 0, time: Double(now.seconds) + Double(now.attoseconds) / 1e18,
                method: request.method.rawValue, path: request.uri.description,
                headers: request.headers.map { field in
                    let name = field.name.canonicalName
                    return .init(name: name, value: Self.redactedHeaders.contains(name) ? Self.redacted : field.value)
                },
                body: String(decoding: kept?.readableBytesView ?? ByteBuffer().readableBytesView, as: UTF8.self),
                bodyBytes: declaredTooLong ? Int(request.headers[.contentLength] ?? "") ?? Int.max : received.readableBytes,
                bodyTruncated: declaredTooLong || (kept?.readableBytes ?? 0) < received.readableBytes,
                key: nil, rule: nil, rateLimit: nil, outcome: .init(status: nil, fault: nil, end: .pending)))
        if received.readableBytes > self.maxRequestBodySize || readError != nil {
            // The route sees what it would have seen reading the body itself: 413 past the limit
            // (as Hummingbird's own body stream reports it), or the read error.
            let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
            continuation.finish(throwing: readError ?? HTTPError(.contentTooLarge))
            request.body = RequestBody(asyncSequence: stream)
        } else {
            request.body = RequestBody(buffer: received)
        }
        var response: Response
        do {
            response = try await MockJournal.$current.withValue(handle) { try await next(request, context) }
        } catch let error as HTTPError {
            handle.update {
                $0.outcome.status = Int(error.status.code)
                $0.outcome.end = .completed
            }
            throw error
        } catch {
            handle.update { $0.outcome.end = Self.end(after: error) }
            throw error
        }
        let status = Int(response.status.code)
        handle.update { $0.outcome.status = status }
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await MockJournal.$current.withValue(handle) { try await body.write(writer) }
            } catch {
                handle.update { $0.outcome.end = Self.end(after: error) }
                throw error
            }
            handle.update { $0.outcome.end = .completed }
        }
        return response
    }

    /// How a response that failed with `error` ended.
    static func end(after error: any Error) -> MockJournalEntry.End {
        if case MockResponseEnd.closedByFault = error { return .droppedByFault }
        return .clientDisconnected
    }

    /// Reads the body, stopping once it exceeds the server's limit; returns what was read and the
    /// read error, if any.
    private func readBody(_ body: RequestBody) async -> (ByteBuffer, (any Error)?) {
        var received = ByteBuffer()
        do {
            for try await chunk in body {
                if received.readableBytes == 0 {
                    received = chunk  // the usual single chunk: no copy
                } else {
                    received.writeImmutableBuffer(chunk)
                }
                if received.readableBytes > self.maxRequestBodySize { break }
            }
            return (received, nil)
        } catch {
            return (received, error)
        }
    }
}
