import Sluice

/// Runs a `sluice bench`: `concurrency` workers share the `requests` calls (or keep making calls
/// until `duration` is up) through one client, a timer stops everything at `maxDuration`, the
/// process's RSS is sampled and progress is drawn meanwhile.
struct BenchRunner {
    let settings: BenchSettings
    let configuration: LLMClient.Configuration
    let showsProgress: Bool

    func run() async throws -> BenchReport {
        let recorder = BenchRecorder()
        let tracker = UsageTracker(prices: .default)
        var configuration = self.configuration
        configuration.eventHandlers = [recorder, tracker] + configuration.eventHandlers
        let settings = self.settings
        let clock = ContinuousClock()
        let start = clock.now
        let progress = BenchProgress(
            settings: settings, recorder: recorder, tracker: tracker, clock: clock, start: start)
        let showsProgress = self.showsProgress
        let memory = MemorySampler()
        // Workers start no call after this; without --duration, never (the count ends the run).
        let stopStarting = settings.duration.map { start + $0 }

        let (wall, hitCap) = try await withLLMClient(configuration) { client in
            memory.sample(at: .zero)
            let workFinished = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await withTaskGroup(of: Void.self) { workers in
                        for _ in 0..<min(settings.concurrency, settings.requests ?? settings.concurrency) {
                            workers.addTask {
                                while !Task.isCancelled, stopStarting.map({ clock.now < $0 }) ?? true,
                                    let index = recorder.claimNext(of: settings.requests)
                                {
                                    await Self.call(client, settings: settings, index: index, recorder: recorder) {
                                        clock.now - start
                                    }
                                }
                            }
                        }
                    }
                    return true
                }
                group.addTask {
                    try? await Task.sleep(for: settings.maxDuration)
                    return false
                }
                group.addTask {
                    await memory.run(clock: clock, start: start)
                    return false
                }
                if showsProgress {
                    group.addTask {
                        await progress.run()
                        return false
                    }
                }
                let first = await group.next() ?? true
                group.cancelAll()
                return first
            }
            let wall = clock.now - start
            memory.sample(at: wall)
            return (wall, !workFinished)
        }
        return BenchReport(
            settings: settings, state: recorder.snapshot(), usage: tracker.snapshot().totals, wall: wall,
            hitMaxDuration: hitCap, memory: memory.snapshot().summary(length: settings.duration ?? wall))
    }

    /// Makes the `index`th call and records how it ended.
    static func call(
        _ client: LLMClient, settings: BenchSettings, index: Int, recorder: BenchRecorder,
        elapsed: () -> Duration
    ) async {
        let request = settings.request(index)
        do {
            if settings.stream {
                _ = try await client.streamChat(request)
            } else {
                _ = try await client.chat(request)
            }
            recorder.recordSuccess(at: elapsed())
        } catch {
            if Task.isCancelled || error is CancellationError {
                recorder.recordCancellation()
            } else if let error = error as? SluiceError {
                if error.code == .cancelled {
                    recorder.recordCancellation()
                } else {
                    recorder.recordFailure(error.code.name, at: elapsed())
                }
            } else {
                recorder.recordFailure("unknown", at: elapsed())
            }
        }
    }
}
