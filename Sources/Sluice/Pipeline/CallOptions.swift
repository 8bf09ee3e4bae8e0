/// Settings for one call that override the client's defaults, passed in ``ClientContext/options``.
///
/// Empty by default; layers add their own fields in extensions of their own (the retry policy, the
/// timeouts, the rate-limit wait policy).
public struct CallOptions: Sendable {
    var values: [ObjectIdentifier: any Sendable] = [:]

    public init() {}

    /// The value stored for `key`, or `nil`.
    public subscript<Key: CallOptionKey>(_ key: Key.Type) -> Key.Value? {
        // Most calls set nothing: skip the hash and the cast.
        get { values.isEmpty ? nil : values[ObjectIdentifier(key)] as? Key.Value }
        set { values[ObjectIdentifier(key)] = newValue }
    }
}

/// A typed key for ``CallOptions``.
public protocol CallOptionKey {
    associatedtype Value: Sendable
}
