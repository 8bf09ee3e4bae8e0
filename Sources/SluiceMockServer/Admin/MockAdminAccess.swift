/// Turns on the mock server's admin HTTP API under `/_mock/` and sets its bearer token.
///
/// Every admin request needs `Authorization: Bearer <token>`; a missing or wrong token gets 401.
/// The token is compared in constant time and never logged, journaled or printed
/// (``description`` redacts it).
///
/// ```swift
/// var configuration = MockServerConfiguration()
/// configuration.admin = MockAdminAccess(token: "admin-secret")
/// ```
public struct MockAdminAccess: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The bearer token admin requests must present.
    public var token: String

    /// Creates admin access with a token, which must not be empty.
    public init(token: String) {
        precondition(!token.isEmpty, "the admin token must not be empty")
        self.token = token
    }

    /// `MockAdminAccess(token: <redacted>)`.
    public var description: String { "MockAdminAccess(token: <redacted>)" }
    /// Same as ``description``.
    public var debugDescription: String { self.description }
    /// A mirror without the token.
    public var customMirror: Mirror { Mirror(self, children: ["token": "<redacted>"]) }

    /// Whether `presented` is the token, in time that depends only on the lengths.
    func accepts(_ presented: String?) -> Bool {
        guard let presented else { return false }
        let expected = Array(self.token.utf8)
        let given = Array(presented.utf8)
        var difference: UInt8 = expected.count == given.count ? 0 : 1
        for index in 0..<expected.count {
            difference |= expected[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }
}
