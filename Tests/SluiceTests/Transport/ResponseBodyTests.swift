import Sluice
import Synchronization
import Testing

/// Records every termination reason a body reports, so tests can check "exactly once".
private final class TerminationLog: Sendable {
    private let reasons = Mutex<[String]>([])

    func record(_ termination: BodyTermination) {
        let name: String
        switch termination {
        case .finished: name = "finished"
        case .failed: name = "failed"
        case .cancelled: name = "cancelled"
        case .discarded: name = "discarded"
        }
        reasons.withLock { $0.append(name) }
    }

    var all: [String] { reasons.withLock { $0 } }
}

/// A source that hands out scripted chunks, can fail, and can wait forever until cancelled.
private final class ScriptedSource: ResponseBodySource {
    enum Step: Sendable {
        case chunk([UInt8])
        case fail(SluiceError)
        case waitForCancel
    }

    private let steps: Mutex<ArraySlice<Step>>
    private let cancels = Mutex(0)

    init(_ steps: [Step]) { self.steps = Mutex(steps[...]) }

    var cancelCount: Int { cancels.withLock { $0 } }

    func next() async throws -> [UInt8]? {
        guard let step = steps.withLock({ $0.popFirst() }) else { return nil }
        switch step {
        case .chunk(let bytes): return bytes
        case .fail(let error): throw error
        case .waitForCancel:
            // Sleeps until the consuming task is cancelled; a real transport aborts the transfer then.
            try await Task.sleep(for: .seconds(3600))
            return nil
        }
    }

    func cancel() { cancels.withLock { $0 += 1 } }
}

@Suite("ResponseBody")
struct ResponseBodyTests {
    @Test("reading to the end yields every chunk in order and terminates once with .finished")
    func finishes() async throws {
        let log = TerminationLog()
        let body = ResponseBody(chunks: [[1, 2], [3], [4, 5, 6]])
        body.onTermination(log.record)
        var seen: [[UInt8]] = []
        for try await chunk in body { seen.append(chunk) }
        #expect(seen == [[1, 2], [3], [4, 5, 6]])
        #expect(log.all == ["finished"])
        body.discard()
        #expect(log.all == ["finished"])
    }

    @Test("a source error ends the body with .failed and reaches the reader unchanged")
    func fails() async throws {
        let log = TerminationLog()
        let source = ScriptedSource([.chunk([1]), .fail(SluiceError(.connectionClosed, "reset by peer"))])
        let body = ResponseBody(source: source)
        body.onTermination(log.record)
        var seen = 0
        await #expect(throws: SluiceError.self) {
            for try await _ in body { seen += 1 }
        }
        #expect(seen == 1)
        #expect(log.all == ["failed"])
        #expect(source.cancelCount == 0)
    }

    @Test("discard aborts the source and terminates once with .discarded")
    func discards() async throws {
        let log = TerminationLog()
        let source = ScriptedSource([.chunk([1])])
        let body = ResponseBody(source: source)
        body.onTermination(log.record)
        body.discard()
        body.discard()
        #expect(log.all == ["discarded"])
        #expect(source.cancelCount == 1)
        #expect(body.isTerminated)
    }

    @Test("releasing an unread body counts as a discard and aborts its source")
    func releasedWithoutReading() async throws {
        let log = TerminationLog()
        let source = ScriptedSource([.chunk([1])])
        do {
            let body = ResponseBody(source: source)
            body.onTermination(log.record)
        }
        #expect(log.all == ["discarded"])
        #expect(source.cancelCount == 1)
    }

    @Test("cancelling the consuming task terminates with .cancelled and aborts the source")
    func cancellation() async throws {
        let log = TerminationLog()
        let source = ScriptedSource([.chunk([1]), .waitForCancel])
        let body = ResponseBody(source: source)
        body.onTermination(log.record)
        let (firstChunk, firstChunkSeen) = AsyncStream.makeStream(of: Void.self)
        let reader = Task {
            var iterator = body.makeAsyncIterator()
            _ = try await iterator.next()
            firstChunkSeen.yield()
            _ = try await iterator.next()
        }
        for await _ in firstChunk { break }
        reader.cancel()
        await #expect(throws: CancellationError.self) { try await reader.value }
        #expect(log.all == ["cancelled"])
        #expect(source.cancelCount == 1)
    }

    @Test("a handler registered after the end runs at once with the same reason")
    func lateHandler() async throws {
        let log = TerminationLog()
        let body = ResponseBody(bytes: [1, 2, 3])
        _ = try await body.collect(upTo: 10)
        body.onTermination(log.record)
        #expect(log.all == ["finished"])
    }

    @Test("collect(upTo:) returns the bytes when they fit, exactly at the limit too")
    func collectFits() async throws {
        let body = ResponseBody(chunks: [[1, 2], [3, 4]])
        #expect(try await body.collect(upTo: 4) == [1, 2, 3, 4])
    }

    @Test(
        "collect(upTo:) joins a source's chunks in order, whether the announced length is right, short or absent",
        arguments: [Int?.some(6), 2, nil])
    func collectChunksFromSource(announced: Int?) async throws {
        let source = ScriptedSource([.chunk([1, 2]), .chunk([3]), .chunk([4, 5, 6])])
        let body = ResponseBody(source: source, expectedContentLength: announced)
        #expect(try await body.collect(upTo: 6) == [1, 2, 3, 4, 5, 6])
    }

    @Test("collect(upTo:) throws bodyTooLarge and aborts the source when chunks exceed the limit")
    func collectTooLarge() async throws {
        let log = TerminationLog()
        let source = ScriptedSource([.chunk([1, 2, 3]), .chunk([4, 5, 6]), .chunk([7])])
        let body = ResponseBody(source: source)
        body.onTermination(log.record)
        let error = await #expect(throws: SluiceError.self) { try await body.collect(upTo: 5) }
        #expect(error?.code == .bodyTooLarge)
        #expect(log.all == ["failed"])
        #expect(source.cancelCount == 1)
    }

    @Test("collect(upTo:) rejects a body whose announced length is over the limit without reading it")
    func collectAnnouncedTooLarge() async throws {
        let source = ScriptedSource([.chunk([1])])
        let body = ResponseBody(source: source, expectedContentLength: 1_000)
        let error = await #expect(throws: SluiceError.self) { try await body.collect(upTo: 10) }
        #expect(error?.code == .bodyTooLarge)
        #expect(source.cancelCount == 1)
    }

    @Test("a body can be read once; a second iterator throws bodyAlreadyConsumed")
    func singlePass() async throws {
        let body = ResponseBody(chunks: [[1]])
        _ = try await body.collect(upTo: 10)
        let error = await #expect(throws: SluiceError.self) {
            for try await _ in body {}
        }
        #expect(error?.code == .bodyAlreadyConsumed)
    }
}
