import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One connection to a Redis server: commands are pipelined, and each reply goes to the command
/// that asked, in order.
///
/// ```swift
/// let connection = try await RedisConnection.connect(to: RedisConfiguration(url: "redis://127.0.0.1:6379/0"))
/// let pong = try await connection.send(["PING"])
/// await connection.close()
/// ```
///
/// - Important: Calls never block a thread: the socket is served by a SwiftNIO event loop. A
///   command that gets no answer within ``RedisConfiguration/commandTimeout`` fails with
///   `timed_out` and closes the connection (a late reply would be taken for the next command's).
///   A cancelled task's command fails at once with `CancellationError`; its reply, when it comes,
///   is dropped and the connection stays usable. Once closed, every pending and later command fails
///   with `connection_failed`.
public final class RedisConnection: Sendable {
    private let channel: any Channel
    private let configuration: RedisConfiguration

    private init(channel: any Channel, configuration: RedisConfiguration) {
        self.channel = channel
        self.configuration = configuration
    }

    /// Connects, then authenticates and selects the database the configuration names.
    public static func connect(
        to configuration: RedisConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RedisConnection {
        let limits = configuration.replyLimits
        let timeout = configuration.commandTimeout
        let tls = try configuration.tls.map { try TLSSetup($0, host: configuration.host) }
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.nanoseconds(Int64(clamping: configuration.connectTimeout.components.seconds) * 1_000_000_000))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls.context, serverHostname: tls.serverName))
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPFrameDecoder(limits: limits)))
                    try channel.pipeline.syncOperations.addHandler(RedisCommandHandler(timeout: timeout))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            throw RedisError(.connectionFailed, "cannot connect to \(configuration.host):\(configuration.port): \(error)")
        }
        let connection = RedisConnection(channel: channel, configuration: configuration)
        do {
            if let password = configuration.password {
                let auth = configuration.user.map { ["AUTH", $0, password] } ?? ["AUTH", password]
                _ = try await connection.send(auth).orThrow()
            }
            if configuration.database != 0 {
                _ = try await connection.send(["SELECT", String(configuration.database)]).orThrow()
            }
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    /// Whether the connection is open.
    public var isActive: Bool { channel.isActive }

    /// Sends one command (its name and arguments, each sent as a bulk string) and returns the reply,
    /// an error reply included (see ``RESPValue/orThrow()``).
    public func send(_ arguments: [String]) async throws -> RESPValue {
        var buffer = channel.allocator.buffer(capacity: 16 + arguments.reduce(0) { $0 + $1.utf8.count + 16 })
        RESPEncoder.encode(arguments, into: &buffer)
        return try await send(encoded: buffer)
    }

    /// Sends one command whose arguments are raw bytes.
    public func send(_ arguments: [[UInt8]]) async throws -> RESPValue {
        var buffer = channel.allocator.buffer(capacity: 16 + arguments.reduce(0) { $0 + $1.count + 16 })
        RESPEncoder.encode(arguments, into: &buffer)
        return try await send(encoded: buffer)
    }

    /// Sends one command already encoded by ``RESPEncoder``.
    private func send(encoded buffer: ByteBuffer) async throws -> RESPValue {
        let slot = ReplySlot(promise: channel.eventLoop.makePromise(of: RESPValue.self))
        // The timeout is kept by the handler, on the event loop (see RedisCommandHandler).
        let deadline = NIODeadline.now() + .nanoseconds(configuration.commandTimeout.nanosecondsClamped)
        channel.writeAndFlush(RedisCommand(bytes: buffer, slot: slot, deadline: deadline)).whenFailure { error in
            _ = slot.fail(RedisError(.connectionFailed, "the connection is closed: \(error)"))
        }
        return try await withTaskCancellationHandler {
            try await slot.promise.futureResult.get()
        } onCancel: {
            _ = slot.fail(CancellationError())
        }
    }

    /// Closes the connection; pending commands fail with `connection_failed`.
    public func close() async {
        try? await channel.close()
    }
}

/// A command on its way: its encoded bytes, where its reply goes, and when it times out.
struct RedisCommand: Sendable {
    var bytes: ByteBuffer
    var slot: ReplySlot
    var deadline: NIODeadline
}

/// Where one command's reply goes: completed exactly once, by the reply, a timeout, a cancellation
/// or the connection closing, whichever comes first.
final class ReplySlot: Sendable {
    let promise: EventLoopPromise<RESPValue>
    private let completed = Atomic(false)

    init(promise: EventLoopPromise<RESPValue>) {
        self.promise = promise
    }

    /// Completes with `value` unless already completed; returns whether it did.
    @discardableResult
    func succeed(_ value: RESPValue) -> Bool {
        guard !completed.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        promise.succeed(value)
        return true
    }

    /// Fails with `error` unless already completed; returns whether it did.
    @discardableResult
    func fail(_ error: any Error) -> Bool {
        guard !completed.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        promise.fail(error)
        return true
    }
}

/// Splits the inbound bytes into replies.
struct RESPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPValue
    var parser: RESPParser

    init(limits: RESPParser.Limits) {
        parser = RESPParser(limits: limits)
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if let bytes = buffer.readBytes(length: buffer.readableBytes) { parser.append(bytes) }
        while let value = try parser.next() {
            context.fireChannelRead(wrapInboundOut(value))
        }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

/// Matches replies to commands, first in first out, fails what is left when the connection ends, and
/// times commands out.
///
/// One timer per connection rather than one per command: it runs at the oldest pending command's
/// deadline (commands share one timeout and are answered in order, so that is the earliest), fails
/// that command with `timed_out` and closes the connection, or moves on to the next deadline. A
/// command already completed (cancelled) when its deadline passes is skipped, as its own timer
/// would have been. Everything here runs on the channel's event loop.
///
/// Flushes are consolidated: commands written from many tasks while the event loop is busy go out
/// in one write to the socket instead of one each (the flush runs once the writes already queued
/// on the loop are done).
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisCommand
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var slot: ReplySlot
        var deadline: NIODeadline
    }

    private let timeout: Duration
    private var pending = CircularBuffer<Pending>()
    private var timer: Scheduled<Void>?
    private var flushScheduled = false

    init(timeout: Duration) {
        self.timeout = timeout
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        pending.append(Pending(slot: command.slot, deadline: command.deadline))
        if timer == nil { armTimer(context: context, deadline: command.deadline) }
        context.write(wrapOutboundOut(command.bytes), promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            context.flush()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard let entry = pending.popFirst() else {
            // A reply nobody asked for: the stream is out of step; close rather than misattribute.
            context.close(promise: nil)
            return
        }
        entry.slot.succeed(value)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError(.connectionFailed, "the connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error as? RedisError ?? RedisError(.connectionFailed, "\(error)"))
        context.close(promise: nil)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    private func armTimer(context: ChannelHandlerContext, deadline: NIODeadline) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timer = nil
            self.timeOut(context: context)
        }
    }

    /// Fails the first pending command past its deadline that is not completed yet, and closes the
    /// connection; otherwise waits for the next deadline.
    private func timeOut(context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        for entry in pending {
            guard entry.deadline <= now else {
                armTimer(context: context, deadline: entry.deadline)
                return
            }
            if entry.slot.fail(RedisError(.timedOut, "no reply within \(timeout)")) {
                context.close(promise: nil)
                return
            }
        }
    }

    private func failAll(_ error: RedisError) {
        timer?.cancel()
        timer = nil
        while let entry = pending.popFirst() { entry.slot.fail(error) }
    }
}

/// Writes commands as RESP arrays of bulk strings, each command with one write to the buffer.
enum RESPEncoder {
    static func encode(_ arguments: [[UInt8]], into buffer: inout ByteBuffer) {
        let size = arguments.reduce(headerSize(arguments.count)) { $0 + headerSize($1.count) + $1.count + 2 }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
            var writer = Writer(raw: raw)
            writer.header(UInt8(ascii: "*"), arguments.count)
            for argument in arguments {
                writer.header(UInt8(ascii: "$"), argument.count)
                argument.withUnsafeBytes { writer.bytes($0) }
                writer.crlf()
            }
            return writer.offset
        }
    }

    /// The same for text arguments, sent as their UTF-8 bytes.
    static func encode(_ arguments: [String], into buffer: inout ByteBuffer) {
        let size = arguments.reduce(headerSize(arguments.count)) { $0 + headerSize($1.utf8.count) + $1.utf8.count + 2 }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
            var writer = Writer(raw: raw)
            writer.header(UInt8(ascii: "*"), arguments.count)
            for argument in arguments {
                writer.header(UInt8(ascii: "$"), argument.utf8.count)
                let copied: Void? = argument.utf8.withContiguousStorageIfAvailable {
                    writer.bytes(UnsafeRawBufferPointer($0))
                }
                if copied == nil { for byte in argument.utf8 { writer.byte(byte) } }
                writer.crlf()
            }
            return writer.offset
        }
    }

    /// The bytes of `*n` or `$n` and CRLF.
    private static func headerSize(_ count: Int) -> Int {
        var digits = 1
        var rest = count / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return 1 + digits + 2
    }

    /// Writes into memory sized beforehand by `headerSize` and the arguments' lengths.
    private struct Writer {
        let raw: UnsafeMutableRawBufferPointer
        var offset = 0

        mutating func byte(_ value: UInt8) {
            raw[offset] = value
            offset += 1
        }

        mutating func bytes(_ source: UnsafeRawBufferPointer) {
            guard let base = source.baseAddress, !source.isEmpty else { return }
            (raw.baseAddress! + offset).copyMemory(from: base, byteCount: source.count)
            offset += source.count
        }

        mutating func crlf() {
            byte(UInt8(ascii: "\r"))
            byte(UInt8(ascii: "\n"))
        }

        /// `kind`, the decimal digits of `count` (≥ 0), CRLF.
        mutating func header(_ kind: UInt8, _ count: Int) {
            byte(kind)
            var divisor = 1
            while divisor <= count / 10 { divisor *= 10 }
            while divisor > 0 {
                byte(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: count / divisor % 10))
                divisor /= 10
            }
            crlf()
        }
    }
}

extension RESPValue {
    /// The reply itself, or a ``RedisError`` (`server_error`) when it is an error reply.
    public func orThrow() throws(RedisError) -> RESPValue {
        if case .error(let message) = self { throw RedisError(.serverError, message) }
        return self
    }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        return whole.addingReportingOverflow(attoseconds / 1_000_000_000).overflow ? .max : whole + attoseconds / 1_000_000_000
    }
}

/// The TLS context of a connection and the name its server's certificate must carry (`nil` for an
/// IP address, which is then checked against the certificate's IP subject alternative names).
struct TLSSetup: Sendable {
    let context: NIOSSLContext
    let serverName: String?

    init(_ tls: RedisConfiguration.TLS, host: String) throws(RedisError) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        do {
            if let file = tls.caCertificateFile {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(file))
            }
            if let file = tls.certificateFile {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(file).map { .certificate($0) }
            }
            if let file = tls.privateKeyFile {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: file, format: .pem))
            }
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw RedisError(.invalidConfiguration, "the TLS settings cannot be used: \(error)")
        }
        let name = tls.serverName ?? host
        serverName = Self.isIPAddress(name) ? nil : name
    }

    private static func isIPAddress(_ text: String) -> Bool {
        (try? SocketAddress(ipAddress: text, port: 0)) != nil
    }
}
