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

    /// Keys and values side by side: one array, so one allocation per object.
    private var entries: [Element]

    /// An empty object.
    public init() {
        entries = []
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

    /// An empty object with room for `capacity` keys (one allocation, not one per growth).
    init(minimumCapacity capacity: Int) {
        entries = []
        entries.reserveCapacity(capacity)
    }

    /// Entries known to have distinct keys (the reader checks), stored as given.
    init(uniqueEntries entries: [Element]) {
        self.entries = entries
    }

    /// The keys, in order.
    public var keys: [String] { entries.map(\.key) }

    /// The values, in key order.
    public var values: [JSONValue] { entries.map(\.value) }

    /// The value for `key`, or `nil` when there is none. Setting `nil` removes the key.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let index = index(forKey: key) else { return nil }
            return entries[index].value
        }
        set {
            if let index = index(forKey: key) {
                if let newValue {
                    entries[index].value = newValue
                } else {
                    entries.remove(at: index)
                }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    /// The position of `key`, or `nil`.
    public func index(forKey key: String) -> Int? {
        entries.firstIndex { $0.key == key }
    }

    // MARK: Collection

    public var startIndex: Int { 0 }
    public var endIndex: Int { entries.count }

    public subscript(position: Int) -> Element {
        entries[position]
    }

    // MARK: Hashable

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.entries.elementsEqual(rhs.entries, by: { $0.key == $1.key }) {
            return lhs.entries.elementsEqual(rhs.entries, by: { $0.value == $1.value })
        }
        for (key, value) in lhs.entries {
            guard let other = rhs[key], other == value else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent, to agree with ==.
        var combined = 0
        for (key, value) in entries {
            var entryHasher = Hasher()
            entryHasher.combine(key)
            entryHasher.combine(value)
            combined = combined &+ entryHasher.finalize()
        }
        hasher.combine(count)
        hasher.combine(combined)
    }

    /// The object as compact JSON.
    public var description: String { JSONValue.object(self).description }
}
