import Testing

@testable import Sluice

@Suite("JSONReader")
struct JSONReaderTests {
    static let validDocuments: [(String, JSONValue)] = [
        ("null", nil),
        ("true", true),
        (" false ", false),
        ("0", 0),
        ("-0", .number(JSONNumber(text: "-0")!)),
        ("123", 123),
        ("-9223372036854775808", .number(JSONNumber(text: "-9223372036854775808")!)),
        ("1.5", 1.5),
        ("1.50", .number(JSONNumber(text: "1.50")!)),
        ("-2.5E+3", .number(JSONNumber(text: "-2.5E+3")!)),
        ("1e-7", .number(JSONNumber(text: "1e-7")!)),
        ("123456789012345678901234567890", .number(JSONNumber(text: "123456789012345678901234567890")!)),
        (#""""#, ""),
        (#""héllo 👋""#, "héllo 👋"),
        ("[]", []),
        ("{}", [:]),
        (" \t\r\n[ 1 , \"a\" , null , true , { } , [ ] ] \n", [1, "a", nil, true, [:], []]),
        (#"{"b":1,"a":[{"c":null}],"d":"x"}"#, ["b": 1, "a": [["c": nil]], "d": "x"]),
        (#"{"a":1,"a":2,"b":3}"#, ["a": 2, "b": 3]),
        (#"{"\u0069d":"key with an escape"}"#, ["id": "key with an escape"]),
    ]

    @Test("valid documents parse to the expected value", arguments: validDocuments)
    func valid(text: String, expected: JSONValue) throws {
        #expect(try JSONValue(parsing: text) == expected)
        #expect(try JSONValue(parsing: Array(text.utf8)) == expected)
    }

    @Test(
        "invalid documents are rejected with decodingFailed",
        arguments: [
            "", " ", "{", "}", "[", "]", "[1,]", "[,1]", #"{"a":1,}"#, #"{"a" 1}"#, #"{"a":}"#, "{a:1}", "{1:1}",
            "[1 2]", "1 2", #"{"a":1}x"#, "'a'", "01", "-01", "1.", ".5", "+1", "-", "1e", "1e+", "1.e3", "0x10",
            "NaN", "Infinity", "-Infinity", "tru", "nul", "falsey", "True", #""abc"#, "\"a\u{01}b\"", "\"tab\there\"",
            "\"line\nbreak\"", #""\x""#, #""\u12""#, #""\u12G4""#, #""\uD800""#, #""\uDC00""#, #""\uD800\u0041""#,
            #""\uD800x""#, #""\'""#, "[1]]", "\u{FEFF}1", "/* c */ 1",
        ]
    )
    func invalid(text: String) {
        let error = #expect(throws: SluiceError.self) { try JSONValue(parsing: text) }
        #expect(error?.code == .decodingFailed)
    }

    @Test(
        "strings with invalid UTF-8 are rejected",
        arguments: [
            [0xFF], [0xC0, 0x80], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF5, 0x80, 0x80, 0x80],
            [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80],
        ] as [[UInt8]]
    )
    func invalidUTF8(inner: [UInt8]) {
        let document = [UInt8(ascii: "\"")] + inner + [UInt8(ascii: "\"")]
        #expect(throws: SluiceError.self) { try JSONValue(parsing: document) }
        // As a key too, and when skipped.
        let asKey = Array(#"{""#.utf8) + inner + Array(#"":1}"#.utf8)
        #expect(throws: SluiceError.self) { try JSONValue(parsing: asKey) }
        #expect(throws: SluiceError.self) {
            try JSONReader.read(asKey) { try $0.skipValue() }
        }
    }

    @Test("escapes decode, including surrogate pairs")
    func escapes() throws {
        let text = #""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\uD83D\uDE00\u0000""#
        #expect(try JSONValue(parsing: text) == .string("\"\\/\u{8}\u{C}\n\r\tAé€😀\u{0}"))
    }

    @Test("nesting up to the depth limit parses; one more level fails")
    func depthLimit() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONValue(parsing: ok) }
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        let error = #expect(throws: SluiceError.self) { try JSONValue(parsing: tooDeep) }
        #expect(error?.message.contains("512") == true)
        let objects = String(repeating: #"{"a":"#, count: 4) + "1" + String(repeating: "}", count: 4)
        #expect(throws: SluiceError.self) { try JSONValue(parsing: objects, maxDepth: 3) }
        #expect(throws: Never.self) { try JSONValue(parsing: objects, maxDepth: 4) }
        // Skipping obeys the limit too.
        #expect(throws: SluiceError.self) { try JSONReader.read(tooDeep) { try $0.skipValue() } }
    }

    @Test(
        "readInt reads integers exactly and whole numbers written with a fraction or exponent",
        arguments: [
            ("1694268190", 1_694_268_190), ("-0", 0), ("9223372036854775807", Int.max),
            ("-9223372036854775808", Int.min), ("2.0", 2), ("1e3", 1000), ("-1.5e1", -15),
        ]
    )
    func readInt(text: String, expected: Int) throws {
        #expect(try JSONReader.read(text) { try $0.readInt() } == expected)
    }

    @Test(
        "readInt rejects fractions and values that do not fit",
        arguments: ["1.5", "9223372036854775808", "1e19", "\"1\""])
    func readIntRejects(text: String) {
        #expect(throws: SluiceError.self) { try JSONReader.read(text) { try $0.readInt() } }
    }

    @Test("readDouble reads decimal text", arguments: [("0.1", 0.1), ("1e-7", 1e-7), ("-2.5E+3", -2500), ("42", 42)])
    func readDouble(text: String, expected: Double) throws {
        #expect(try JSONReader.read(text) { try $0.readDouble() } == expected)
    }

    @Test("JSONNumber keeps the literal and converts on demand")
    func numbers() throws {
        let big = try #require(JSONNumber(text: "123456789012345678901234567890"))
        #expect(big.intValue == nil)
        #expect(big.doubleValue == 1.2345678901234568e29)
        #expect(JSONNumber(text: "3.0")?.intValue == 3)
        #expect(JSONNumber(text: "1.50")?.description == "1.50")
        #expect(JSONNumber(text: "01") == nil)
        #expect(JSONNumber(text: "+1") == nil)
        #expect(JSONNumber(text: "1 ") == nil)
        #expect(JSONNumber(Double.nan) == nil)
        #expect(JSONNumber(Double.infinity) == nil)
        #expect(JSONNumber(Double(0.1))?.text == "0.1")
        let max = JSONNumber(UInt64.max)
        #expect(max.text == "18446744073709551615")
        #expect(try JSONValue(parsing: JSONValue.number(max).description) == .number(max))
    }

    @Test("the scan API reads only the fields asked for and skips the rest, whatever their shape")
    func scanAPI() throws {
        let text = #"""
            {"skip1": {"deep": [1, {"x": "\"]}"}, [[], {}]], "n": null},
             "name": "sluice", "skip2": [true, false, null, -1.5e3, "str\\\""],
             "count": 3, "tags": ["a", "b"], "nested": {"inner": 7, "other": {}}, "skip3": "tail"}
            """#
        var name: String?
        var count: Int?
        var tags: [String] = []
        var inner: Int?
        try JSONReader.read(text) { reader in
            try reader.readObject { key, reader in
                switch key {
                case "name": name = try reader.readString()
                case "count": count = try reader.readInt()
                case "tags": try reader.readArray { tags.append(try $0.readString()) }
                case "nested":
                    try reader.readObject { key, reader in
                        if key == "inner" { inner = try reader.readInt() }
                    }
                default: break
                }
            }
        }
        #expect(name == "sluice")
        #expect(count == 3)
        #expect(tags == ["a", "b"])
        #expect(inner == 7)
    }

    @Test("a type mismatch in the scan API is a decodingFailed error")
    func typeMismatch() {
        let error = #expect(throws: SluiceError.self) {
            try JSONReader.read(#"{"count": "three"}"#) { reader in
                try reader.readObject { _, reader in _ = try reader.readInt() }
            }
        }
        #expect(error?.code == .decodingFailed)
        #expect(error?.message.contains("byte offset 10") == true)
    }

    @Test("error messages give the byte offset and at most a short excerpt of the input")
    func errorExcerptIsShort() {
        let huge = "[" + String(repeating: "1234567890,", count: 10_000) + "x]"
        let error = #expect(throws: SluiceError.self) { try JSONValue(parsing: huge) }
        let message = error?.message ?? ""
        #expect(message.contains("byte offset 110001"))
        #expect(message.count < 160)
        #expect(message.contains("x]"))
    }

    @Test("peekKind reports the next value's kind without consuming it")
    func peek() throws {
        let kinds = try JSONReader.read(#"[null, true, 1, "s", [], {}]"#) { reader -> [JSONReader.Kind] in
            var kinds: [JSONReader.Kind] = []
            try reader.readArray { reader in
                kinds.append(try reader.peekKind())
                try reader.skipValue()
            }
            return kinds
        }
        #expect(kinds == [.null, .bool, .number, .string, .array, .object])
    }
}
