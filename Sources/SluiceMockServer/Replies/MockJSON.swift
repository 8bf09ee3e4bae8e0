/// A JSON value read from a request where the mock needs structure it does not model (tool
/// schemas, tool inputs), and written back compactly with sorted keys.
indirect enum MockJSON: Sendable, Hashable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([MockJSON])
    case object([String: MockJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([MockJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: MockJSON].self))
        }
    }

    subscript(key: String) -> MockJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The value with every object's `cache_control` member removed, at any depth.
    var removingCacheControl: MockJSON {
        switch self {
        case .array(let values): return .array(values.map(\.removingCacheControl))
        case .object(var members):
            members["cache_control"] = nil
            return .object(members.mapValues(\.removingCacheControl))
        default: return self
        }
    }

    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// Compact JSON text: no spaces, object keys sorted by their UTF-8 bytes, whole numbers
    /// below 2^53 without a fraction.
    var compactText: String {
        var text = ""
        self.write(to: &text)
        return text
    }

    private func write(to text: inout String) {
        switch self {
        case .null: text += "null"
        case .bool(let value): text += value ? "true" : "false"
        case .number(let value):
            if value.isFinite, value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
                text += String(Int64(value))
            } else if value.isFinite {
                text += "\(value)"
            } else {
                text += "null"
            }
        case .string(let value): text += JSONText.quoted(value)
        case .array(let values):
            text += "["
            for (index, value) in values.enumerated() {
                if index > 0 { text += "," }
                value.write(to: &text)
            }
            text += "]"
        case .object(let members):
            text += "{"
            for (index, name) in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if index > 0 { text += "," }
                text += JSONText.quoted(name) + ":"
                members[name]?.write(to: &text)
            }
            text += "}"
        }
    }
}
