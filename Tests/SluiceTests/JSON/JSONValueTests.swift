import Foundation
import Sluice
import Testing

@Suite("JSONValue")
struct JSONValueTests {
    static let sample: JSONValue = [
        "model": "gpt-4o-mini",
        "temperature": 0.2,
        "max_tokens": 256,
        "stream": true,
        "stop": nil,
        "messages": [["role": "user", "content": "Say \"hi\"\n\tüñí 👋 \\ \u{1}\u{1F}\u{7F}"]],
        "metadata": [:],
        "tags": [],
    ]

    @Test("description is compact JSON with keys in insertion order and correct escapes")
    func description() {
        #expect(
            Self.sample.description
                == #"{"model":"gpt-4o-mini","temperature":0.2,"max_tokens":256,"stream":true,"stop":null,"#
                + #""messages":[{"role":"user","content":"Say \"hi\"\n\tüñí 👋 \\ \u0001\u001f\#u{7F}"}],"#
                + #""metadata":{},"tags":[]}"#
        )
    }

    @Test(
        "values round-trip through the writer and the reader exactly",
        arguments: [
            sample, nil, true, 0, -12, 1.5, "", "\u{0}\u{8}\u{C}\r", [[[]]], ["a": ["b": ["c": [1, 2, 3]]]],
            .number(JSONNumber(text: "1.50e+10")!), .number(JSONNumber(text: "123456789012345678901234567890")!),
            ["z": 1, "a": 2, "m": 3],
        ] as [JSONValue]
    )
    func roundTrip(value: JSONValue) throws {
        let reparsed = try JSONValue(parsing: value.jsonBytes)
        #expect(reparsed == value)
        // Key order and number text survive, so the bytes are identical too.
        #expect(reparsed.jsonBytes == value.jsonBytes)
    }

    @Test("parsed documents keep key order and number literals")
    func keepsOrderAndLiterals() throws {
        let text = #"{"zeta":1.0,"alpha":[1e2,-0.50],"mid":{"y":null,"x":false}}"#
        let value = try JSONValue(parsing: text)
        #expect(value.description == text)
        #expect(value.objectValue?.keys == ["zeta", "alpha", "mid"])
    }

    @Test("objects compare equal and hash alike regardless of key order")
    func objectEquality() {
        let a: JSONValue = ["x": 1, "y": [true, nil]]
        let b: JSONValue = ["y": [true, nil], "x": 1]
        let c: JSONValue = ["x": 1, "y": [nil, true]]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != c)
        #expect(Set([a, b, c]).count == 2)
        // Numbers compare by literal.
        #expect(JSONValue.number(JSONNumber(text: "1.0")!) != 1)
    }

    @Test("subscripts and accessors read nested values")
    func accessors() {
        let value = Self.sample
        #expect(value["model"]?.stringValue == "gpt-4o-mini")
        #expect(value["max_tokens"]?.intValue == 256)
        #expect(value["temperature"]?.doubleValue == 0.2)
        #expect(value["stream"]?.boolValue == true)
        #expect(value["stop"]?.isNull == true)
        #expect(value["messages"]?[0]?["role"]?.stringValue == "user")
        #expect(value["messages"]?[1] == nil)
        #expect(value["missing"] == nil)
        #expect(value["model"]?["x"] == nil)
        #expect(value["tags"]?.arrayValue == [])
    }

    @Test("JSONObject keeps order, replaces in place, removes with nil")
    func objectMutation() {
        var object: JSONObject = ["a": 1, "b": 2]
        object["c"] = 3
        object["a"] = 10
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object["a"] == 10)
        #expect(object.map(\.key) == ["a", "c"])
        #expect(object.description == #"{"a":10,"c":3}"#)
    }

    @Test("Codable round-trips through Foundation's JSONEncoder and JSONDecoder")
    func codable() throws {
        struct Envelope: Codable, Equatable {
            var name: String
            var extra: JSONValue
        }
        let envelope = Envelope(name: "n", extra: ["a": [1, 2.5, "s", true, nil], "big": 9_007_199_254_740_993])
        let data = try JSONEncoder().encode(envelope)
        let decoded = try JSONDecoder().decode(Envelope.self, from: data)
        #expect(decoded.name == "n")
        #expect(decoded.extra["a"] == [1, 2.5, "s", true, nil])
        #expect(decoded.extra["big"]?.intValue == 9_007_199_254_740_993)
        // Sluice's own reader reads what Foundation wrote.
        let reparsed = try JSONValue(parsing: [UInt8](data))
        #expect(reparsed["extra"]?["a"] == [1, 2.5, "s", true, nil])
    }
}
