/// A JSON object that keeps its keys in order: the order they were parsed or inserted in, which is
/// the order they are written in.
///
/// ```swift
/// var options: JSONObject = ["top_k": 40, "safe_mode": true]
/// options["seed"] = 7            // appended at the end
/// options["top_k"] = nil         // removed
/// ```
///
/// Lookup by key is linear, which is fastest for the small objects of API payloads. Setting an existing
/// key replaces its value in place. Two objects are equal when they have the same keys with equal
/// values, in any order.
public struct JSONObject: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral,
    CustomStringConvertible
{
    public typealias Element = (key: String, value: JSONValue)
    public typealias Index = Int

    private var entryKeys: [String]
    private var entryValues: [JSONValue]

    /// An empty object.
    public init() {
        entryKeys = []
        entryValues = []
    }

    /// An object with these entries in this order; a repeated key keeps its first position and its
    /// last value.
    public init(_ entries: some Sequence<(String, JSONValue)>) {
        self.init(minimumCapacity: entries.underestimatedCount)
        for (key, value) in entries { self[key] = value }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    /// An empty object with room for `capacity` keys (one allocation per array, not one per growth).
    init(minimumCapacity capacity: Int) {
        entryKeys = []
        entryValues = []
        entryKeys.reserveCapacity(capacity)
        entryValues.reserveCapacity(capacity)
    }

    /// Entries known to have distinct keys (the reader checks), stored as given.
    init(uniqueKeys keys: [String], values: [JSONValue]) {
        entryKeys = keys
        entryValues = values
    }

    /// The keys, in order.
    public var keys: [String] { entryKeys }

    /// The values, in key order.
    public var values: [JSONValue] { entryValues }

    /// The value for `key`, or `nil` when there is none. Setting `nil` removes the key.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let index = index(forKey: key) else { return nil }
            return entryValues[index]
        }
        set {
            if let index = index(forKey: key) {
                if let newValue {
                    entryValues[index] = newValue
                } else {
                    entryKeys.remove(at: index)
                    entryValues.remove(at: index)
                }
            } else if let newValue {
                entryKeys.append(key)
                entryValues.append(newValue)
            }
        }
    }

    /// The position of `key`, or `nil`.
    public func index(forKey key: String) -> Int? {
        entryKeys.firstIndex(of: key)
    }

    // MARK: Collection

    public var startIndex: Int { 0 }
    public var endIndex: Int { entryKeys.count }

    public subscript(position: Int) -> Element {
        (entryKeys[position], entryValues[position])
    }

    // MARK: Hashable

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.entryKeys == rhs.entryKeys { return lhs.entryValues == rhs.entryValues }
        for index in lhs.indices {
            guard let value = rhs[lhs.entryKeys[index]], value == lhs.entryValues[index] else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent, to agree with ==.
        var combined = 0
        for index in indices {
            var entryHasher = Hasher()
            entryHasher.combine(entryKeys[index])
            entryHasher.combine(entryValues[index])
            combined = combined &+ entryHasher.finalize()
        }
        hasher.combine(count)
        hasher.combine(combined)
    }

    /// The object as compact JSON.
    public var description: String { JSONValue.object(self).description }
}
