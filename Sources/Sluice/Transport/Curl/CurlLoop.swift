import CCurl
import Synchronization

/// Calls `curl_global_init` once per process, before the first handle is made.
private let curlGlobalInitResult: Int32 = sluice_curl_global_init()

/// The one thread that drives a ``CurlTransport``'s `curl_multi` handle.
///
/// Other threads talk to it only through ``submit(_:)``: commands go into a mutex-protected queue, and
/// the thread is woken with `curl_multi_wakeup` only when it sleeps in `curl_multi_poll` (so a burst
/// of requests costs one wakeup). Each turn of the loop runs the queued commands, lets libcurl do its
/// work (`curl_multi_perform`, which runs the header and write callbacks), finishes the transfers that
/// are done, checks idle timeouts, and then resumes the tasks that can proceed — the whole pass's
/// results at once — before it sleeps again.
///
/// Every easy handle is touched only on this thread. The thread holds the loop strongly until it
/// exits, after a shutdown, having failed every transfer it still had and cleaned up every handle.
final class CurlLoop: @unchecked Sendable {
    enum Command {
        case add(CurlTransfer)
        case resume(CurlTransfer)
        case cancel(CurlTransfer)
    }

    private enum Phase {
        case running
        case stopping
        case stopped
    }

    private struct Queue {
        var commands: [Command] = []
        /// The loop is in (or about to enter) `curl_multi_poll` and must be woken for new commands.
        var sleeping = false
        var phase = Phase.running
        var shutdownWaiters: [UnsafeContinuation<Void, Never>] = []
    }

    static let shutdownError = SluiceError(.shutdown, "the transport was shut down")

    let plan: CurlOptionPlan
    let highWaterMark: Int
    let lowWaterMark: Int
    let maxBodyBytes: Int?
    private let idleTimeoutNanos: UInt64?
    private let idleScanIntervalNanos: UInt64
    private let handleCacheSize: Int
    private let multi: UnsafeMutableRawPointer
    private let queue = Mutex(Queue())
    /// Transfers accepted and not yet finished by the loop.
    let activeCount = Atomic<Int>(0)
    /// The URL parsed last: requests to the same URL (the usual case) reuse it instead of parsing again.
    private let lastURL = Mutex<CurlURL?>(nil)

    // MARK: Loop thread only

    private var active: [CurlTransfer] = []
    private var handles: [CurlEasyHandle] = []
    private var notifyList: [CurlTransfer] = []
    private var nextIdleScan: UInt64 = 0
    /// No active transfer waiting for its head has a deadline before this (it may be earlier than
    /// the real earliest one: a scan then finds nothing and moves it on).
    private var nextHeadDeadline: UInt64 = .max

    init(configuration: CurlTransport.Configuration) throws(SluiceError) {
        guard curlGlobalInitResult == 0 else {
            throw CurlError(CURLcode(UInt32(bitPattern: curlGlobalInitResult))).sluiceError()
        }
        plan = CurlOptionPlan(configuration)
        let marks = configuration.backPressure.effective
        highWaterMark = marks.high
        lowWaterMark = marks.low
        maxBodyBytes = configuration.maxResponseBodyBytes.map { max(0, $0) }
        if let idle = configuration.timeouts.idle {
            let nanos = UInt64(CurlOptionPlan.milliseconds(idle)) * 1_000_000
            idleTimeoutNanos = nanos
            idleScanIntervalNanos = min(max(nanos / 8, 5_000_000), 1_000_000_000)
        } else {
            idleTimeoutNanos = nil
            idleScanIntervalNanos = 1_000_000_000
        }
        handleCacheSize = max(0, configuration.connections.handleCacheSize)
        guard let multi = curl_multi_init() else {
            throw SluiceError(.transportFailure, "libcurl could not create a multi handle")
        }
        let result = plan.apply(toMulti: multi)
        guard result == CURLM_OK else {
            curl_multi_cleanup(multi)
            throw SluiceError(
                .transportFailure, "libcurl refused a connection setting", cause: CurlError(multi: result))
        }
        self.multi = multi
    }

    /// Starts the loop thread.
    func start() throws(SluiceError) {
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = sluice_thread_start(
            { context in
                guard let context else { return }
                Unmanaged<CurlLoop>.fromOpaque(context).takeRetainedValue().run()
            },
            context
        )
        if result != 0 {
            Unmanaged<CurlLoop>.fromOpaque(context).release()
            curl_multi_cleanup(multi)
            throw SluiceError(.transportFailure, "could not start the transport thread (error \(result))")
        }
    }

    // MARK: Any thread

    /// The parsed URL for `text`: the last one when it is the same URL, else a new parse (which becomes
    /// the last). Throws as ``CurlTransfer/parseURL(_:)`` does.
    func parsedURL(_ text: String) throws(SluiceError) -> CurlURL {
        if let last = lastURL.withLock({ $0 }), last.text == text { return last }
        let parsed = try CurlURL(text)
        lastURL.withLock { $0 = parsed }
        return parsed
    }

    /// Queues a command for the loop; returns `false` once the loop is shutting down.
    @discardableResult
    func submit(_ command: Command) -> Bool {
        queue.withLock { queue in
            guard queue.phase == .running else { return false }
            queue.commands.append(command)
            if case .add = command { activeCount.add(1, ordering: .relaxed) }
            if queue.sleeping {
                // Under the lock, so the multi handle cannot be cleaned up meanwhile.
                queue.sleeping = false
                curl_multi_wakeup(multi)
            }
            return true
        }
    }

    /// Asks the loop to shut down without waiting for it.
    func requestShutdown() {
        queue.withLock { queue in
            guard queue.phase == .running else { return }
            queue.phase = .stopping
            if queue.sleeping {
                queue.sleeping = false
                curl_multi_wakeup(multi)
            }
        }
    }

    /// Shuts the loop down and waits until its thread has failed every transfer, cleaned up every
    /// handle and is about to exit. Idempotent; concurrent callers all wait.
    func shutdown() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let done = queue.withLock { queue -> Bool in
                switch queue.phase {
                case .stopped:
                    return true
                case .running:
                    queue.phase = .stopping
                    if queue.sleeping {
                        queue.sleeping = false
                        curl_multi_wakeup(multi)
                    }
                case .stopping:
                    break
                }
                queue.shutdownWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    // MARK: Loop thread

    private func run() {
        sluice_block_sigpipe()
        sluice_set_thread_name("sluice-curl")
        var batch: [Command] = []
        var notifyScratch: [CurlTransfer] = []
        var running: Int32 = 0
        while true {
            let stopping = queue.withLock { queue -> Bool in
                swap(&queue.commands, &batch)
                queue.sleeping = false
                return queue.phase != .running
            }
            if stopping { break }
            for command in batch { handle(command) }
            batch.removeAll(keepingCapacity: batch.count <= 1024)

            curl_multi_perform(multi, &running)
            finishDoneTransfers()
            if idleTimeoutNanos != nil { checkIdleTransfers() }
            if nextHeadDeadline != .max { checkHeadDeadlines() }
            flushNotifications(&notifyScratch)

            let timeout = pollTimeoutMilliseconds()
            let maySleep = queue.withLock { queue -> Bool in
                guard queue.commands.isEmpty, queue.phase == .running else { return false }
                queue.sleeping = true
                return true
            }
            if maySleep { curl_multi_poll(multi, nil, 0, timeout, nil) }
        }
        finishShutdown(pending: batch, notifyScratch: &notifyScratch)
    }

    private func handle(_ command: Command) {
        switch command {
        case .add(let transfer):
            start(transfer)
        case .resume(let transfer):
            if transfer.easy != nil { transfer.unpause() }
        case .cancel(let transfer):
            if transfer.easy != nil { complete(transfer, error: CancellationError()) }
        }
    }

    private func start(_ transfer: CurlTransfer) {
        if transfer.isAbandoned {
            complete(transfer, error: CancellationError())
            return
        }
        guard let easy = handles.popLast() ?? CurlEasyHandle.make() else {
            complete(transfer, error: SluiceError(.transportFailure, "libcurl could not create a transfer handle"))
            return
        }
        let configured = transfer.configure(easy, plan: plan)
        guard configured == CURLE_OK else {
            recycle(easy)
            complete(
                transfer,
                error: SluiceError(
                    .transportFailure, "libcurl refused a transfer setting", cause: CurlError(configured))
            )
            return
        }
        let added = curl_multi_add_handle(multi, easy.raw)
        guard added == CURLM_OK else {
            recycle(easy)
            complete(
                transfer,
                error: SluiceError(
                    .transportFailure, "libcurl could not start the transfer", cause: CurlError(multi: added))
            )
            return
        }
        transfer.easy = easy
        transfer.slot = active.count
        active.append(transfer)
        nextHeadDeadline = min(nextHeadDeadline, transfer.headDeadline)
    }

    /// Ends a transfer on the loop: detaches and recycles its easy handle, frees its resources, records
    /// how it ended (unless the consumer already did), and queues the hand-over to whoever waits.
    /// Runs exactly once per accepted transfer.
    private func complete(_ transfer: CurlTransfer, error: (any Error)?) {
        guard !transfer.completed else { return }
        transfer.completed = true
        if let easy = transfer.easy {
            curl_multi_remove_handle(multi, easy.raw)
            let slot = transfer.slot
            let last = active.removeLast()
            if last !== transfer {
                active[slot] = last
                last.slot = slot
            }
            transfer.slot = -1
            transfer.easy = nil
            transfer.curlPaused = false
            recycle(easy)
        }
        transfer.releaseResources()
        transfer.shared.withLock { shared in
            if shared.end == nil { shared.end = error.map { .failed($0) } ?? .finished }
        }
        enqueueNotify(transfer)
        activeCount.subtract(1, ordering: .relaxed)
    }

    private func recycle(_ easy: CurlEasyHandle) {
        if handles.count < handleCacheSize {
            easy.recycle()
            handles.append(easy)
        } else {
            easy.destroy()
        }
    }

    private func finishDoneTransfers() {
        var easy: UnsafeMutableRawPointer?
        var result = CURLE_OK
        while sluice_multi_next_done(multi, &easy, &result) == 1 {
            guard let easy else { continue }
            var context: UnsafeMutableRawPointer?
            guard sluice_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &context) == CURLE_OK, let context else {
                continue
            }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            let error: SluiceError?
            if result != CURLE_OK {
                error = transfer.failure(for: result, plan: plan)
            } else if !transfer.headComplete {
                error = SluiceError(.connectionClosed, "the connection closed before the response head was complete")
            } else {
                error = nil
            }
            complete(transfer, error: error)
        }
    }

    /// Fails transfers whose server has sent nothing for the idle timeout. Runs at most once per scan
    /// interval; a transfer's idle clock starts when its request has gone out and stops while it is
    /// paused for back-pressure.
    private func checkIdleTransfers() {
        guard let limit = idleTimeoutNanos, !active.isEmpty else { return }
        let now = sluice_monotonic_ns()
        guard now >= nextIdleScan else { return }
        nextIdleScan = now + idleScanIntervalNanos
        var index = 0
        while index < active.count {
            let transfer = active[index]
            index += 1
            if transfer.sawActivity || transfer.curlPaused {
                transfer.sawActivity = false
                transfer.requestSent = true
                transfer.idleSince = now
                continue
            }
            if !transfer.requestSent {
                var requestSize = 0
                if let easy = transfer.easy,
                    sluice_easy_getinfo_long(easy.raw, CURLINFO_REQUEST_SIZE, &requestSize) == CURLE_OK, requestSize > 0
                {
                    transfer.requestSent = true
                    transfer.idleSince = now
                }
                continue
            }
            if now &- transfer.idleSince >= limit {
                let millis = limit / 1_000_000
                complete(
                    transfer,
                    error: SluiceError(
                        .timeout,
                        "the server sent nothing for \(millis) ms (idle timeout)",
                        status: transfer.headComplete ? transfer.status : nil
                    )
                )
                index -= 1  // the last transfer moved into this slot
            }
        }
    }

    /// Fails the transfers whose response head has not arrived by their ``ClientRequest/responseHeadTimeout``.
    /// Runs only once the earliest such deadline has passed; scans the active transfers then.
    private func checkHeadDeadlines() {
        let now = sluice_monotonic_ns()
        guard now >= nextHeadDeadline else { return }
        var earliest = UInt64.max
        var index = 0
        while index < active.count {
            let transfer = active[index]
            index += 1
            guard !transfer.headComplete, transfer.headDeadline != .max else { continue }
            if transfer.headDeadline <= now {
                let limit = transfer.headTimeout.map { "\($0)" } ?? "its limit"
                complete(
                    transfer,
                    error: SluiceError(.responseHeadTimeout, "no response head arrived within \(limit)"))
                index -= 1  // the last transfer moved into this slot
            } else {
                earliest = min(earliest, transfer.headDeadline)
            }
        }
        nextHeadDeadline = earliest
    }

    private func pollTimeoutMilliseconds() -> Int32 {
        guard !active.isEmpty else { return 1000 }
        let now = sluice_monotonic_ns()
        var wake = now + 1_000_000_000
        if idleTimeoutNanos != nil { wake = min(wake, nextIdleScan) }
        wake = min(wake, nextHeadDeadline)
        guard wake > now else { return 1 }
        return Int32(min(1000, max(1, (wake - now + 999_999) / 1_000_000)))
    }

    /// Called from curl callbacks and `complete`: the transfer has something to hand over.
    func enqueueNotify(_ transfer: CurlTransfer) {
        guard !transfer.notifyQueued else { return }
        transfer.notifyQueued = true
        notifyList.append(transfer)
    }

    private func flushNotifications(_ scratch: inout [CurlTransfer]) {
        while !notifyList.isEmpty {
            swap(&notifyList, &scratch)
            for transfer in scratch {
                transfer.notifyQueued = false
                transfer.deliver()
            }
            scratch.removeAll(keepingCapacity: scratch.count <= 1024)
        }
    }

    private func finishShutdown(pending: [Command], notifyScratch: inout [CurlTransfer]) {
        // Commands queued before the phase changed; none can be added any more.
        var commands = pending
        queue.withLock { queue in
            commands.append(contentsOf: queue.commands)
            queue.commands = []
        }
        for command in commands {
            if case .add(let transfer) = command { complete(transfer, error: Self.shutdownError) }
        }
        while let transfer = active.last { complete(transfer, error: Self.shutdownError) }
        flushNotifications(&notifyScratch)
        for easy in handles { easy.destroy() }
        handles = []
        let waiters = queue.withLock { queue -> [UnsafeContinuation<Void, Never>] in
            queue.phase = .stopped
            defer { queue.shutdownWaiters = [] }
            return queue.shutdownWaiters
        }
        curl_multi_cleanup(multi)
        for waiter in waiters { waiter.resume() }
    }
}
