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
                    try channel.pipeline.syncOperations.addHandler(RedisCommandHandler())
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
        try await send(arguments.map { Array($0.utf8) })
    }

    /// Sends one command whose arguments are raw bytes.
    public func send(_ arguments: [[UInt8]]) async throws -> RESPValue {
        let slot = ReplySlot(promise: channel.eventLoop.makePromise(of: RESPValue.self))
        var buffer = channel.allocator.buffer(capacity: 16 + arguments.reduce(0) { $0 + $1.count + 16 })
        RESPEncoder.encode(arguments, into: &buffer)
        let timeout = configuration.commandTimeout
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanosecondsClamped)) {
            if slot.fail(RedisError(.timedOut, "no reply within \(timeout)")) { channel.close(promise: nil) }
        }
        channel.writeAndFlush(RedisCommand(bytes: buffer, slot: slot)).whenFailure { error in
            _ = slot.fail(RedisError(.connectionFailed, "the connection is closed: \(error)"))
        }
        defer { timer.cancel() }
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

/// A command on its way: its encoded bytes and where its reply goes.
struct RedisCommand: Sendable {
    var bytes: ByteBuffer
    var slot: ReplySlot
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

/// Matches replies to commands, first in first out, and fails what is left when the connection ends.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisCommand
    typealias OutboundOut = ByteBuffer

    private var pending = CircularBuffer<ReplySlot>()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        pending.append(command.slot)
        context.write(wrapOutboundOut(command.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard let slot = pending.popFirst() else {
            // A reply nobody asked for: the stream is out of step; close rather than misattribute.
            context.close(promise: nil)
            return
        }
        slot.succeed(value)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError(.connectionFailed, "the connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error as? RedisError ?? RedisError(.connectionFailed, "\(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        while let slot = pending.popFirst() { slot.fail(error) }
    }
}

/// Writes commands as RESP arrays of bulk strings.
enum RESPEncoder {
    static func encode(_ arguments: [[UInt8]], into buffer: inout ByteBuffer) {
        buffer.writeString("*\(arguments.count)\r\n")
        for argument in arguments {
            buffer.writeString("$\(argument.count)\r\n")
            buffer.writeBytes(argument)
            buffer.writeString("\r\n")
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
