// Target `json`: the generic JSON reader and writer (Sources/Sluice/JSON/). The `sluice` CLI reads no
// JSON input (it only writes JSON reports), so this target fuzzes what every decoder is built on:
// JSONValue(parsing:), the JSONReader primitives, JSONNumber, and a write-then-read round trip.

@testable import Sluice

enum FuzzJSON {
    static func run(_ bytes: [UInt8]) {
        var random = FuzzRandom(hashing: bytes)
        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes)
        } catch {
            fuzzConsume(error)
            readPrimitives(bytes, random: &random)
            return
        }
        // What is written reads back to the same value, and writing is stable.
        let written = value.jsonBytes
        do {
            let reread = try JSONValue(parsing: written)
            fuzzCheck(reread == value, "a written value read back differently")
            fuzzCheck(reread.jsonBytes == written, "writing a reread value changed its bytes")
        } catch {
            fuzzCheck(false, "JSON written by JSONWriter does not parse: \(error)")
        }
        // A shallower limit fails cleanly or gives the same value.
        if let shallow = try? JSONValue(parsing: bytes, maxDepth: random.below(8)) {
            fuzzCheck(shallow == value, "maxDepth changed a value")
        }
        visit(value)
        readPrimitives(bytes, random: &random)
    }

    static func visit(_ value: JSONValue) {
        switch value {
        case .number(let number):
            _ = number.intValue
            _ = number.doubleValue
            _ = number.description
        case .array(let elements):
            _ = value[elements.count]
            elements.forEach(visit)
        case .object(let object):
            for (key, member) in object {
                fuzzCheck(object.index(forKey: key) != nil, "an object lost its key \(key)")
                visit(member)
            }
        default:
            break
        }
        _ = value.description
    }

    /// The typed readers the decoders use, on whatever the input is.
    static func readPrimitives(_ bytes: [UInt8], random: inout FuzzRandom) {
        let choice = random.below(8)
        _ = try? JSONReader.read(bytes) { reader -> Void in
            switch choice {
            case 0: _ = try reader.readInt()
            case 1: _ = try reader.readDouble()
            case 2: _ = try reader.readString()
            case 3: _ = try reader.readStringOrNumberText()
            case 4: try reader.skipValue()
            case 5: try reader.readArray { try $0.skipValue() }
            case 6: try reader.readObject { _, reader in _ = try reader.readValue() }
            default: _ = try reader.readBool()
            }
        }
    }
}
