import CCurl
import Synchronization

/// One request's transfer: the request turned into libcurl's terms, the state its curl callbacks build
/// on the loop thread, and the state shared with the tasks waiting for its head and body.
///
/// Three kinds of state, each with one owner:
/// - set at creation on the calling task (URL handle, header list and body copy, in one block), freed once the loop is
///   done with them or at `deinit` when the loop never saw the transfer;
/// - loop-thread only (the easy handle, the head being parsed, counters, flags for the idle check);
/// - ``Shared``, behind a mutex: the waiting continuations, the buffered body chunks and how the
///   transfer ended. Every continuation is taken out of it under the lock before it is resumed, so each
///   is resumed exactly once.
final class CurlTransfer: @unchecked Sendable {
    enum End {
        case finished
        case failed(any Error)
    }

    /// What the consumer side and the loop share.
    struct Shared {
        var headWaiter: UnsafeContinuation<CurlResponseHead, any Error>?
        /// The head waiter was resumed (with the head or an error) or never will be.
        var headResolved = false
        /// The consumer cancelled or discarded the transfer.
        var consumerGone = false
        var bodyWaiter: UnsafeContinuation<[UInt8]?, any Error>?
        var chunks = ChunkQueue()
        var buffered = 0
        var end: End?
        /// The write callback paused the transfer because the buffer reached the high-water mark.
        var paused = false
        /// A resume has been requested and not yet carried out.
        var resumeRequested = false

        enum Poll {
            case chunk([UInt8], requestResume: Bool)
            case end(Result<[UInt8]?, any Error>)
            case wait
        }

        /// Takes the next chunk, or the end once the buffer is empty.
        mutating func poll(lowWaterMark: Int) -> Poll {
            if let chunk = chunks.popFirst() {
                buffered -= chunk.count
                let requestResume = paused && !resumeRequested && buffered <= lowWaterMark
                if requestResume { resumeRequested = true }
                return .chunk(chunk, requestResume: requestResume)
            }
            switch end {
            case .finished?: return .end(.success(nil))
            case .failed(let error)?: return .end(.failure(error))
            case nil: return .wait
            }
        }
    }

    let loop: CurlLoop
    let shared = Mutex(Shared())

    // MARK: Set at creation

    let method: HTTPMethod
    let isHeadRequest: Bool
    /// Whether the URL is `https` (checked by `parseURL`, which accepts only http and https).
    let isSecure: Bool
    private var url: CurlURL?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// The body's copy, inside the header list's block (freed with it).
    private var body: UnsafeMutableRawBufferPointer?
    private let bodyCount: Int
    /// The request's ``ClientRequest/responseHeadTimeout`` and when it passes (monotonic ns).
    let headTimeout: Duration?
    let headDeadline: UInt64
    /// `CURLOPT_BUFFERSIZE` for this request (streamed or not), or `nil` for libcurl's default.
    let receiveBufferSize: Int?

    // MARK: Loop thread only

    var easy: CurlEasyHandle?
    /// Index in the loop's list of active transfers, while active.
    var slot = -1
    /// Whether the loop has finished with the transfer (its count and resources are released).
    var completed = false
    var status = 0
    var headerBlock: [UInt8] = []
    var headComplete = false
    var receivedBodyBytes = 0
    /// The transport's own reason for stopping the transfer from a callback.
    var abortError: SluiceError?
    var notifyQueued = false
    var sawActivity = false
    var requestSent = false
    var idleSince: UInt64 = 0
    var curlPaused = false

    /// Validates the request and converts it for libcurl. Throws before anything is sent.
    init(request: ClientRequest, loop: CurlLoop) throws(SluiceError) {
        self.loop = loop
        method = request.method
        isHeadRequest = request.method == .head
        isSecure = request.url.utf8.count > 6 && request.url.prefix(6).lowercased() == "https:"
        headTimeout = request.responseHeadTimeout
        receiveBufferSize = loop.plan.receiveBufferSize(for: request.headers)
        // In whole milliseconds, as the idle timeout is (bounded, so no overflow when added).
        headDeadline =
            request.responseHeadTimeout.map { sluice_monotonic_ns() + UInt64(CurlOptionPlan.milliseconds($0)) * 1_000_000 }
            ?? .max
        try Self.validateMethod(request.method)
        url = try loop.parsedURL(request.url)
        (headerList, body) = try Self.makeHeaderList(request.headers, body: request.body)
        bodyCount = request.body?.count ?? 0
    }

    deinit {
        releaseResources()
    }


    /// Lets go of the URL handle, frees the header list and the body copy in its block. Called on the
    /// loop thread once the easy handle no longer uses them (or from `deinit`).
    func releaseResources() {
        url = nil
        body = nil
        if let headerList {
            Self.freeHeaderList(headerList)
            self.headerList = nil
        }
    }

    // MARK: Validation

    static func validateMethod(_ method: HTTPMethod) throws(SluiceError) {
        let token = method.rawValue.utf8
        let valid =
            !token.isEmpty && token.count <= 64
            && token.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                default:
                    "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
        guard valid else { throw SluiceError(.invalidRequest, "the request method is not a valid HTTP token") }
    }

    /// Parses the URL with libcurl's own parser (the one the transfer uses) and checks that the scheme
    /// is http or https and that there is a host. The URL is never repeated in the error: its query may
    /// hold a credential.
    static func parseURL(_ text: String) throws(SluiceError) -> OpaquePointer {
        guard !text.utf8.contains(0) else { throw SluiceError(.invalidURL, "the URL contains a NUL byte") }
        guard let handle = curl_url() else {
            throw SluiceError(.transportFailure, "libcurl could not allocate a URL handle")
        }
        let result = curl_url_set(handle, CURLUPART_URL, text, 0)
        guard result == CURLUE_OK else {
            curl_url_cleanup(handle)
            throw SluiceError(.invalidURL, "the URL could not be parsed: \(String(cString: curl_url_strerror(result)))")
        }
        var scheme: UnsafeMutablePointer<CChar>?
        guard curl_url_get(handle, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK, let scheme else {
            curl_url_cleanup(handle)
            throw SluiceError(.invalidURL, "the URL has no scheme")
        }
        let schemeText = String(cString: scheme)
        curl_free(scheme)
        guard schemeText == "http" || schemeText == "https" else {
            curl_url_cleanup(handle)
            throw SluiceError(.invalidURL, "the URL's scheme \"\(schemeText.prefix(16))\" is not http or https")
        }
        var host: UnsafeMutablePointer<CChar>?
        guard curl_url_get(handle, CURLUPART_HOST, &host, 0) == CURLUE_OK, let host else {
            curl_url_cleanup(handle)
            throw SluiceError(.invalidURL, "the URL has no host")
        }
        let hostIsEmpty = host.pointee == 0
        curl_free(host)
        guard !hostIsEmpty else {
            curl_url_cleanup(handle)
            throw SluiceError(.invalidURL, "the URL has no host")
        }
        return handle
    }

    /// The header lines libcurl sends, validated. An empty value is written `Name;` (libcurl's way to
    /// send an empty header; `Name:` would remove it). `Expect:` is suppressed unless given (no
    /// 100-continue round trip for large bodies), and so is libcurl's form `Content-Type` for a body
    /// sent without one.
    ///
    /// The list is one allocation: its nodes first, then the NUL-terminated lines they point to (libcurl
    /// only reads the list), then a copy of `body` (returned, pointing into the block; at least one
    /// byte is reserved, so an empty body has an address too). Free it with ``freeHeaderList(_:)``,
    /// never `curl_slist_free_all`; the body copy goes with it.
    static func makeHeaderList(_ headers: HTTPHeaders, body: [UInt8]?) throws(SluiceError) -> (
        list: UnsafeMutablePointer<curl_slist>, body: UnsafeMutableRawBufferPointer?
    ) {
        let hasBody = body != nil
        var hasExpect = false
        var hasContentType = false
        var lineCount = 0
        var textBytes = 0
        for field in headers {
            try HTTPHeaders.validate(field)
            if HTTPHeaders.namesEqual(field.name, "expect") { hasExpect = true }
            if HTTPHeaders.namesEqual(field.name, "content-type") { hasContentType = true }
            lineCount += 1
            // `Name;` or `Name: value`, and the NUL.
            textBytes += field.name.utf8.count + (field.value.isEmpty ? 2 : 3 + field.value.utf8.count)
        }
        let addsExpect = !hasExpect
        let addsContentType = hasBody && !hasContentType
        if addsExpect {
            lineCount += 1
            textBytes += expectLine.utf8.count + 1
        }
        if addsContentType {
            lineCount += 1
            textBytes += contentTypeLine.utf8.count + 1
        }
        // Never empty: `Expect:` is there, given or added.
        let nodeBytes = lineCount * MemoryLayout<curl_slist>.stride
        let bodyBytes = body.map { max(1, $0.count) } ?? 0
        let block = UnsafeMutableRawPointer.allocate(
            byteCount: nodeBytes + textBytes + bodyBytes, alignment: MemoryLayout<curl_slist>.alignment)
        let nodes = block.bindMemory(to: curl_slist.self, capacity: lineCount)
        let text = (block + nodeBytes).bindMemory(to: UInt8.self, capacity: textBytes)
        var node = 0
        var offset = 0
        var lineStart = 0
        func put(_ part: String) {
            for byte in part.utf8 {
                text[offset] = byte
                offset += 1
            }
        }
        func endLine() {
            text[offset] = 0
            offset += 1
            let data = UnsafeMutableRawPointer(text + lineStart).assumingMemoryBound(to: CChar.self)
            (nodes + node).initialize(to: curl_slist(data: data, next: node + 1 < lineCount ? nodes + node + 1 : nil))
            node += 1
            lineStart = offset
        }
        for field in headers {
            put(field.name)
            if field.value.isEmpty {
                put(";")
            } else {
                put(": ")
                put(field.value)
            }
            endLine()
        }
        if addsExpect {
            put(expectLine)
            endLine()
        }
        if addsContentType {
            put(contentTypeLine)
            endLine()
        }
        guard let body else { return (nodes, nil) }
        let copy = UnsafeMutableRawBufferPointer(start: block + nodeBytes + textBytes, count: body.count)
        body.withUnsafeBytes { source in
            if let base = source.baseAddress { copy.baseAddress!.copyMemory(from: base, byteCount: source.count) }
        }
        return (nodes, copy)
    }

    private static let expectLine = "Expect:"
    private static let contentTypeLine = "Content-Type:"

    /// Frees a list made by ``makeHeaderList(_:body:)`` (and the body copy in its block).
    static func freeHeaderList(_ list: UnsafeMutablePointer<curl_slist>) {
        UnsafeMutableRawPointer(list).deallocate()
    }

    // MARK: Loop thread: setting up

    /// Sets every option of this transfer on a (fresh or reset) easy handle.
    func configure(_ easy: CurlEasyHandle, plan: CurlOptionPlan) -> CURLcode {
        let handle = easy.raw
        var result = plan.apply(to: handle)
        func set(_ code: CURLcode) { if result == CURLE_OK { result = code } }
        let context = UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque())
        set(sluice_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, easy.errorBuffer))
        set(sluice_easy_setopt_pointer(handle, CURLOPT_PRIVATE, context))
        set(sluice_easy_setopt_pointer(handle, CURLOPT_CURLU, UnsafeRawPointer(url?.handle)))
        if plan.waitsForMultiplexingOverTLS && isSecure { set(sluice_easy_setopt_long(handle, CURLOPT_PIPEWAIT, 1)) }
        if let receiveBufferSize { set(sluice_easy_setopt_long(handle, CURLOPT_BUFFERSIZE, receiveBufferSize)) }
        set(sluice_easy_setopt_pointer(handle, CURLOPT_HTTPHEADER, headerList))
        set(sluice_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        set(sluice_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
        set(
            sluice_easy_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION) { buffer, size, count, context in
                guard let context else { return 0 }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
                return transfer.didReceiveBody(UnsafeRawBufferPointer(start: buffer, count: size * count))
            }
        )
        set(
            sluice_easy_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION) { buffer, size, count, context in
                guard let context else { return 0 }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
                return transfer.didReceiveHeaderLine(UnsafeRawBufferPointer(start: buffer, count: size * count))
            }
        )
        if isHeadRequest {
            set(sluice_easy_setopt_long(handle, CURLOPT_NOBODY, 1))
        } else if let body {
            set(sluice_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyCount)))
            set(sluice_easy_setopt_pointer(handle, CURLOPT_POSTFIELDS, body.baseAddress))
            if method != .post { set(Self.setMethod(handle, method)) }
        } else if method == .post {
            set(sluice_easy_setopt_long(handle, CURLOPT_POST, 1))
            set(sluice_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, 0))
        } else if method != .get {
            set(Self.setMethod(handle, method))
        }
        return result
    }

    private static func setMethod(_ handle: UnsafeMutableRawPointer, _ method: HTTPMethod) -> CURLcode {
        method.rawValue.withCString { sluice_easy_setopt_pointer(handle, CURLOPT_CUSTOMREQUEST, $0) }
    }

    // MARK: Loop thread: curl callbacks

    /// CURLOPT_HEADERFUNCTION: collects the final head's lines. A 1xx head (100 Continue, 103 Early
    /// Hints) is dropped at its blank line; a proxy's CONNECT reply never arrives here
    /// (CURLOPT_SUPPRESS_CONNECT_HEADERS); lines after the final head (trailers) are ignored.
    func didReceiveHeaderLine(_ line: UnsafeRawBufferPointer) -> Int {
        sawActivity = true
        if headComplete { return line.count }
        if let status = CurlResponseHead.status(ofStatusLine: line) {
            self.status = status
            headerBlock.removeAll(keepingCapacity: true)
            return line.count
        }
        if CurlResponseHead.isBlankLine(line) {
            if status < 200 {
                // The end of an interim (1xx) head, or a blank line before any status line.
                status = 0
                headerBlock.removeAll(keepingCapacity: true)
                return line.count
            }
            if let max = loop.maxBodyBytes, let easy, !isHeadRequest {
                var length: curl_off_t = -1
                if sluice_easy_getinfo_off(easy.raw, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK,
                    length > max
                {
                    abortError = SluiceError(
                        .bodyTooLarge,
                        "the response announces \(length) body bytes, more than the limit of \(max)",
                        status: status
                    )
                    return 0
                }
            }
            headComplete = true
            loop.enqueueNotify(self)
            return line.count
        }
        // A typical head fits in one allocation rather than several as the block grows.
        if headerBlock.capacity == 0 { headerBlock.reserveCapacity(512) }
        headerBlock.append(contentsOf: line)
        return line.count
    }

    /// CURLOPT_WRITEFUNCTION: buffers a chunk for the consumer, or pauses the transfer when the buffer
    /// is at the high-water mark (libcurl then delivers the same bytes again after the resume).
    func didReceiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        let count = bytes.count
        sawActivity = true
        if count == 0 { return 0 }
        if let max = loop.maxBodyBytes, receivedBodyBytes + count > max {
            abortError = SluiceError(
                .bodyTooLarge,
                "the response body is larger than the limit of \(max) bytes",
                status: status
            )
            return 0
        }
        enum Outcome {
            case stored(notify: Bool)
            case paused
            case abort
        }
        let highWaterMark = loop.highWaterMark
        let outcome = shared.withLock { shared -> Outcome in
            if shared.end != nil { return .abort }
            if shared.buffered >= highWaterMark {
                shared.paused = true
                return .paused
            }
            shared.chunks.append(Array(bytes))
            shared.buffered += count
            return .stored(notify: shared.bodyWaiter != nil)
        }
        switch outcome {
        case .stored(let notify):
            receivedBodyBytes += count
            if notify { loop.enqueueNotify(self) }
            return count
        case .paused:
            curlPaused = true
            return sluice_writefunc_pause()
        case .abort:
            return 0
        }
    }

    // MARK: Loop thread: handing over

    /// Resumes whoever waits and can now proceed: the head waiter once the head is complete or the
    /// transfer failed before it; the body waiter with the next chunk or the end. Runs on the loop
    /// thread after each pass over the transfers, so all that one pass produced is handed over at once.
    func deliver() {
        var headWaiter: UnsafeContinuation<CurlResponseHead, any Error>?
        var headResult: Result<CurlResponseHead, any Error>?
        var bodyWaiter: UnsafeContinuation<[UInt8]?, any Error>?
        var bodyResult: Result<[UInt8]?, any Error>?
        var unpause = false
        let head = headComplete ? CurlResponseHead(status: status, headerBlock: headerBlock) : nil
        let lowWaterMark = loop.lowWaterMark
        shared.withLock { shared in
            if !shared.headResolved, let waiter = shared.headWaiter {
                if let head {
                    headResult = .success(head)
                } else if case .failed(let error)? = shared.end {
                    headResult = .failure(error)
                } else if case .finished? = shared.end {
                    headResult = .failure(
                        SluiceError(.connectionClosed, "the connection closed before the response head was complete"))
                }
                if headResult != nil {
                    shared.headWaiter = nil
                    shared.headResolved = true
                    headWaiter = waiter
                }
            }
            if let waiter = shared.bodyWaiter {
                switch shared.poll(lowWaterMark: lowWaterMark) {
                case .chunk(let chunk, let requestResume):
                    bodyResult = .success(chunk)
                    unpause = requestResume
                case .end(let result):
                    bodyResult = result
                case .wait:
                    break
                }
                if bodyResult != nil {
                    shared.bodyWaiter = nil
                    bodyWaiter = waiter
                }
            }
        }
        if let headWaiter, let headResult { headWaiter.resume(with: headResult) }
        if let bodyWaiter, let bodyResult { bodyWaiter.resume(with: bodyResult) }
        if unpause { self.unpause() }
    }

    /// Lifts a back-pressure pause. libcurl may call the write callback from inside this call.
    func unpause() {
        shared.withLock { shared in
            shared.paused = false
            shared.resumeRequested = false
        }
        guard let easy, curlPaused else { return }
        curlPaused = false
        sawActivity = true
        _ = sluice_easy_unpause(easy.raw)
    }

    /// The error for a failed transfer, read before the easy handle is recycled.
    func failure(for code: CURLcode, plan: CurlOptionPlan) -> SluiceError {
        if let abortError { return abortError }
        guard let easy else { return CurlError(code).sluiceError() }
        let curlError = CurlError(code, detail: String(cString: easy.errorBuffer))
        var connectCode = 0
        if sluice_easy_getinfo_long(easy.raw, CURLINFO_HTTP_CONNECTCODE, &connectCode) == CURLE_OK, connectCode >= 300 {
            return SluiceError(
                .proxyFailure,
                "the proxy refused to open a tunnel (HTTP \(connectCode)) (\(curlError))",
                status: connectCode,
                cause: curlError
            )
        }
        return curlError.sluiceError(viaExplicitProxy: plan.usesExplicitProxy, status: headComplete ? status : nil)
    }

    // MARK: Consumer side

    /// Starts the transfer and waits for its final response head.
    ///
    /// - Important: Cancelling the calling task abandons the transfer and throws `CancellationError`.
    nonisolated(nonsending) func awaitHead() async throws -> CurlResponseHead {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation {
                (continuation: UnsafeContinuation<CurlResponseHead, any Error>) in
                let accepted = shared.withLock { shared -> Bool in
                    if shared.consumerGone { return false }
                    shared.headWaiter = continuation
                    return true
                }
                guard accepted else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                if !loop.submit(.add(self)) {
                    let waiter = shared.withLock { shared -> UnsafeContinuation<CurlResponseHead, any Error>? in
                        let waiter = shared.headWaiter
                        shared.headWaiter = nil
                        shared.headResolved = true
                        if shared.end == nil { shared.end = .failed(CurlLoop.shutdownError) }
                        return waiter
                    }
                    waiter?.resume(throwing: CurlLoop.shutdownError)
                }
            }
        } onCancel: {
            abandon()
        }
    }

    /// The next body chunk, `nil` at the end, or the error that ended the transfer.
    ///
    /// - Important: Called by one consumer at a time. Cancelling the calling task abandons the
    ///   transfer and throws `CancellationError`.
    nonisolated(nonsending) func nextChunk() async throws -> [UInt8]? {
        let lowWaterMark = loop.lowWaterMark
        switch shared.withLock({ $0.poll(lowWaterMark: lowWaterMark) }) {
        case .chunk(let chunk, let requestResume):
            if requestResume { loop.submit(.resume(self)) }
            return chunk
        case .end(let result):
            return try result.get()
        case .wait:
            break
        }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<[UInt8]?, any Error>) in
                let poll = shared.withLock { shared -> Shared.Poll in
                    let poll = shared.poll(lowWaterMark: lowWaterMark)
                    if case .wait = poll { shared.bodyWaiter = continuation }
                    return poll
                }
                switch poll {
                case .chunk(let chunk, let requestResume):
                    if requestResume { loop.submit(.resume(self)) }
                    continuation.resume(returning: chunk)
                case .end(let result):
                    continuation.resume(with: result)
                case .wait:
                    break
                }
            }
        } onCancel: {
            abandon()
        }
    }

    /// The consumer gives up (its task was cancelled, or it discarded the body): resumes any waiter
    /// with `CancellationError`, drops the buffer and asks the loop to abort the transfer. Idempotent.
    func abandon() {
        let (headWaiter, bodyWaiter, running) = shared.withLock {
            shared -> (UnsafeContinuation<CurlResponseHead, any Error>?, UnsafeContinuation<[UInt8]?, any Error>?, Bool)
            in
            guard !shared.consumerGone else { return (nil, nil, false) }
            shared.consumerGone = true
            let headWaiter = shared.headWaiter
            shared.headWaiter = nil
            shared.headResolved = true
            let bodyWaiter = shared.bodyWaiter
            shared.bodyWaiter = nil
            let running = shared.end == nil
            if running { shared.end = .failed(CancellationError()) }
            shared.chunks = ChunkQueue()
            shared.buffered = 0
            return (headWaiter, bodyWaiter, running)
        }
        headWaiter?.resume(throwing: CancellationError())
        bodyWaiter?.resume(throwing: CancellationError())
        if running { loop.submit(.cancel(self)) }
    }

    /// Whether the consumer has abandoned the transfer.
    var isAbandoned: Bool { shared.withLock { $0.consumerGone } }
}

/// A URL parsed and checked by ``CurlTransfer/parseURL(_:)``, shared by the transfers that send to it:
/// libcurl only reads the handle (each transfer works on its own copy), so one parse serves them all.
final class CurlURL: @unchecked Sendable {
    let text: String
    let handle: OpaquePointer

    init(_ text: String) throws(SluiceError) {
        handle = try CurlTransfer.parseURL(text)
        self.text = text
    }

    deinit {
        curl_url_cleanup(handle)
    }
}

/// A libcurl easy handle with its error buffer. Used on the loop thread only; recycled between
/// transfers with `curl_easy_reset`, which keeps its caches but clears every option.
struct CurlEasyHandle {
    let raw: UnsafeMutableRawPointer
    let errorBuffer: UnsafeMutablePointer<CChar>

    static func make() -> CurlEasyHandle? {
        guard let raw = curl_easy_init() else { return nil }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        return CurlEasyHandle(raw: raw, errorBuffer: errorBuffer)
    }

    func recycle() {
        curl_easy_reset(raw)
        errorBuffer[0] = 0
    }

    func destroy() {
        curl_easy_cleanup(raw)
        errorBuffer.deallocate()
    }
}

/// A transfer's buffered body chunks, first in first out. The first is held inline, so a body read
/// as it arrives (at most one chunk waiting, the usual case) never allocates a list of chunks.
struct ChunkQueue {
    /// The oldest chunk; `nil` only when the queue is empty.
    private var first: [UInt8]?
    /// The chunks after `first`, from `restIndex` on.
    private var rest: [[UInt8]] = []
    private var restIndex = 0

    mutating func append(_ chunk: [UInt8]) {
        if first == nil {
            first = chunk
        } else {
            rest.append(chunk)
        }
    }

    mutating func popFirst() -> [UInt8]? {
        guard let chunk = first else { return nil }
        if restIndex < rest.count {
            first = rest[restIndex]
            rest[restIndex] = []
            restIndex += 1
            if restIndex == rest.count {
                rest.removeAll(keepingCapacity: rest.count <= 64)
                restIndex = 0
            }
        } else {
            first = nil
        }
        return chunk
    }
}
