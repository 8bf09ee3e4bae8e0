/// One item's outcome in a batch: its position in the input and its reply or typed error.
public struct BatchResult<Response: Sendable>: Sendable {
    /// The item's index in the input array.
    public var index: Int
    public var result: Result<Response, SluiceError>
}

extension LLMClient {
    /// Runs many chat requests with at most `maxConcurrency` in flight and returns one result per
    /// request, in input order. One failure never loses the others: each item has its reply or its
    /// typed error. Cancelling the calling task cancels the items not yet done (they report
    /// ``SluiceError/Code/cancelled``).
    ///
    /// ```swift
    /// let results = await client.chatBatch(documents.map { ChatRequest(model: m, messages: [.user($0)]) })
    /// for case .success(let reply) in results { print(reply.text) }
    /// ```
    public func chatBatch(_ requests: [ChatRequest], maxConcurrency: Int = 8) async -> [Result<ChatResponse, SluiceError>] {
        var results = [Result<ChatResponse, SluiceError>?](repeating: nil, count: requests.count)
        await forEachCompleted(requests, maxConcurrency: maxConcurrency) { item in
            results[item.index] = item.result
        }
        return results.map { $0 ?? .failure(SluiceError(.cancelled, "the batch was cancelled")) }
    }

    /// Runs many chat requests with at most `maxConcurrency` in flight and yields each result as it
    /// completes, tagged with its input index. Stopping the iteration early cancels the rest.
    ///
    /// ```swift
    /// for await item in client.chatBatchResults(requests, maxConcurrency: 16) {
    ///     print(item.index, (try? item.result.get().text) ?? "failed")
    /// }
    /// ```
    public func chatBatchResults(_ requests: [ChatRequest], maxConcurrency: Int = 8) -> AsyncStream<BatchResult<ChatResponse>> {
        let (stream, continuation) = AsyncStream.makeStream(of: BatchResult<ChatResponse>.self)
        let work = Task {
            await forEachCompleted(requests, maxConcurrency: maxConcurrency) { continuation.yield($0) }
            continuation.finish()
        }
        continuation.onTermination = { _ in work.cancel() }
        return stream
    }

    /// Runs the requests through a sliding window of `maxConcurrency` tasks, handing each result to
    /// `handle` on the calling task as it completes.
    private func forEachCompleted(
        _ requests: [ChatRequest],
        maxConcurrency: Int,
        _ handle: (BatchResult<ChatResponse>) -> Void
    ) async {
        let width = max(1, maxConcurrency)
        await withTaskGroup(of: BatchResult<ChatResponse>.self) { group in
            var nextIndex = 0
            func startNext() {
                guard nextIndex < requests.count else { return }
                let index = nextIndex
                let request = requests[index]
                nextIndex += 1
                group.addTask {
                    do {
                        return BatchResult(index: index, result: .success(try await self.chat(request)))
                    } catch {
                        return BatchResult(index: index, result: .failure(SluiceError.wrapping(error)))
                    }
                }
            }
            for _ in 0..<min(width, requests.count) { startNext() }
            while let item = await group.next() {
                handle(item)
                startNext()
            }
        }
    }
}

extension SluiceError {
    /// `error` as a `SluiceError`: unchanged if it is one, ``Code/cancelled`` for a cancellation,
    /// otherwise ``Code/transportFailure`` with the error as its cause.
    public static func wrapping(_ error: any Error) -> SluiceError {
        if let error = error as? SluiceError { return error }
        if error is CancellationError { return SluiceError(.cancelled, "the call was cancelled") }
        return SluiceError(.transportFailure, "unexpected error: \(type(of: error))", cause: error)
    }
}
