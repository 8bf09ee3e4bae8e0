/// A decoding error on its way out of nested fields, collecting the path to the field that failed,
/// such as `choices[0].message.tool_calls[1].function.name`.
///
/// ``JSONReader/readFields(_:)`` and ``JSONReader/readElements(_:)`` add one segment each as the
/// error passes; ``OpenAIFieldPathError/decoding(_:_:)`` turns it into the
/// ``SluiceError/Code/decodingFailed`` error callers see. Nothing is recorded unless an error is
/// thrown, so the happy path costs nothing.
struct OpenAIFieldPathError: Error {
    enum Segment {
        case key(String)
        case index(Int)
    }

    /// Outermost first.
    var path: [Segment]
    var underlying: SluiceError

    /// The path as `a.b[2].c`.
    var pathText: String {
        var text = ""
        for segment in path {
            switch segment {
            case .key(let key):
                if !text.isEmpty { text += "." }
                text += key.count > 40 ? String(key.prefix(40)) + "…" : key
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }

    /// Runs `body` and turns any error it throws into a ``SluiceError/Code/decodingFailed`` error whose
    /// message starts with `what` and names the field that failed.
    static func decoding<Result>(_ what: String, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as OpenAIFieldPathError {
            throw SluiceError(
                .decodingFailed, "\(what): field \(error.pathText): \(error.underlying.message)",
                cause: error.underlying)
        } catch let error as SluiceError where error.code == .decodingFailed {
            throw SluiceError(.decodingFailed, "\(what): \(error.message)", cause: error)
        }
    }
}

extension JSONReader {
    /// ``readObject(_:)``, adding the key to the path of a decoding error thrown while reading its value.
    mutating func readFields(_ body: (JSONKey, inout JSONReader) throws -> Void) throws {
        try readObject { key, reader in
            do {
                try body(key, &reader)
            } catch var error as OpenAIFieldPathError {
                error.path.insert(.key(key.string), at: 0)
                throw error
            } catch let error as SluiceError where error.code == .decodingFailed {
                throw OpenAIFieldPathError(path: [.key(key.string)], underlying: error)
            }
        }
    }

    /// ``readArray(_:)`` with each element's position, adding it to the path of a decoding error
    /// thrown while reading the element.
    mutating func readElements(_ body: (Int, inout JSONReader) throws -> Void) throws {
        var index = 0
        try readArray { reader in
            defer { index += 1 }
            do {
                try body(index, &reader)
            } catch var error as OpenAIFieldPathError {
                error.path.insert(.index(index), at: 0)
                throw error
            } catch let error as SluiceError where error.code == .decodingFailed {
                throw OpenAIFieldPathError(path: [.index(index)], underlying: error)
            }
        }
    }
}
