/// Where a Redis server is and how to talk to it, usually from a `redis://` URL.
///
/// ```swift
/// var configuration = try RedisConfiguration(url: "redis://app:secret@127.0.0.1:6379/2")
/// configuration.commandTimeout = .milliseconds(500)
/// ```
///
/// The URL form is `redis://[[user]:password@]host[:port][/database]`; the user and password may be
/// percent-encoded; an IPv6 host goes in brackets (`redis://[::1]:6379`). `rediss://` is the same
/// over TLS, trusting the system's certificate authorities; set ``tls`` for your own CA file or a
/// client certificate:
///
/// ```swift
/// var configuration = try RedisConfiguration(url: "rediss://app:secret@redis.internal:6380/0")
/// configuration.tls?.caCertificateFile = "/etc/ssl/redis-ca.pem"
/// ```
///
/// - Important: The password never appears in the configuration's description, its mirror
///   (`dump`), or any error.
public struct RedisConfiguration: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    public var host: String
    public var port: Int
    /// The ACL user for `AUTH user password`; `nil` sends `AUTH password` (the default user).
    public var user: String?
    /// `nil`: no `AUTH`.
    public var password: String?
    /// The database `SELECT`ed after connecting.
    public var database: Int
    /// How long connecting may take. Default 5 s.
    public var connectTimeout: Duration = .seconds(5)
    /// How long a command may wait for its reply before it fails and the connection is closed.
    /// Default 2 s.
    public var commandTimeout: Duration = .seconds(2)
    /// Bounds on a reply (``RESPParser/Limits``).
    public var replyLimits = RESPParser.Limits()
    /// TLS to the server (`rediss://`); `nil`: plain TCP.
    public var tls: TLS?

    /// How to speak TLS to the server. The server's certificate is always verified: it must chain
    /// to a trusted authority and either name ``serverName`` (without one, the host) or carry the
    /// IP address connected to among its subject alternative names (SwiftNIO SSL's rule).
    public struct TLS: Sendable, Hashable {
        /// A PEM file of the authorities to trust; `nil`: the system's.
        public var caCertificateFile: String?
        /// A PEM certificate (chain) to present, for servers that authenticate clients (`tls-auth-clients yes`).
        public var certificateFile: String?
        /// The PEM private key of ``certificateFile``.
        public var privateKeyFile: String?
        /// The name the server's certificate must carry and the SNI sent; `nil`: the configuration's host.
        public var serverName: String?

        public init(caCertificateFile: String? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil, serverName: String? = nil) {
            self.caCertificateFile = caCertificateFile
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
            self.serverName = serverName
        }
    }

    public init(host: String = "127.0.0.1", port: Int = 6379, user: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Reads a `redis://` or `rediss://` (TLS) URL.
    public init(url: String) throws(RedisError) {
        let text = Substring(url)
        guard let schemeEnd = text.firstRange(of: "://") else {
            throw RedisError(.invalidConfiguration, "a Redis URL starts with redis:// or rediss://")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "redis" || scheme == "rediss" else {
            throw RedisError(.invalidConfiguration, "unknown scheme '\(scheme.prefix(16))' (redis:// or rediss://)")
        }
        var rest = text[schemeEnd.upperBound...]
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let name = credentials[..<colon]
                user = name.isEmpty ? nil : try Self.percentDecoded(name)
                password = try Self.percentDecoded(credentials[credentials.index(after: colon)...])
            } else if !credentials.isEmpty {
                password = try Self.percentDecoded(credentials)
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard path.count <= 6, let number = Int(path), number >= 0 else {
                    throw RedisError(.invalidConfiguration, "the database in a Redis URL is a small number")
                }
                database = number
            }
        }
        var host = rest
        var port = 6379
        if rest.first == "[" {
            guard let close = rest.firstIndex(of: "]") else { throw RedisError(.invalidConfiguration, "an IPv6 host lacks ]") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.first == ":" { port = try Self.port(after.dropFirst()) } else if !after.isEmpty {
                throw RedisError(.invalidConfiguration, "unexpected text after the host")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            port = try Self.port(rest[rest.index(after: colon)...])
        }
        guard !host.isEmpty else { throw RedisError(.invalidConfiguration, "a Redis URL names a host") }
        self.init(host: String(host), port: port, user: user, password: password, database: database)
        if scheme == "rediss" { tls = TLS() }
    }

    private static func port(_ text: Substring) throws(RedisError) -> Int {
        guard text.count <= 5, let port = Int(text), (1...65535).contains(port) else {
            throw RedisError(.invalidConfiguration, "the port in a Redis URL is 1...65535")
        }
        return port
    }

    private static func percentDecoded(_ text: Substring) throws(RedisError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else {
                throw RedisError(.invalidConfiguration, "a malformed percent escape in the credentials")
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    public var description: String {
        let credentials = password == nil ? "" : "\(user ?? ""):<redacted>@"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(tls == nil ? "redis" : "rediss")://\(credentials)\(hostPart):\(port)/\(database)"
    }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: ["url": description, "connectTimeout": connectTimeout, "commandTimeout": commandTimeout, "tls": tls as Any])
    }
}
