/// The OpenAI embeddings wire format: `POST /embeddings` bodies and their replies.
///
/// Request: `model`, `input` (always an array of strings), `dimensions`, `user`,
/// `encoding_format: "float"`, then ``EmbeddingsRequest/extraFields`` (replacing a key already
/// written in place).
///
/// Reply:
///
/// ```text
/// {"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0023,-0.0093,…]}],
///  "model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}
/// ```
///
/// The vectors are returned in `index` order. An `embedding` may also be a base64 string (with
/// `encoding_format: "base64"` in ``EmbeddingsRequest/extraFields``): little-endian 32-bit floats.
enum OpenAIEmbeddingsCoder {
    static func encode(_ request: EmbeddingsRequest) -> [UInt8] {
        var body = JSONObject()
        body["model"] = .string(request.model)
        body["input"] = .array(request.inputs.map { .string($0) })
        if let dimensions = request.dimensions { body["dimensions"] = .number(JSONNumber(dimensions)) }
        if let user = request.user { body["user"] = .string(user) }
        body["encoding_format"] = "float"
        for (key, value) in request.extraFields { body[key] = value }
        var writer = JSONWriter(reservingCapacity: 256)
        writer.write(.object(body))
        return writer.bytes
    }

    static func decode(_ body: [UInt8]) throws -> EmbeddingsResponse {
        try OpenAIFieldPathError.decoding("OpenAI embeddings response") {
            try JSONReader.read(body) { reader in try decode(from: &reader) }
        }
    }

    static func decode(from reader: inout JSONReader) throws -> EmbeddingsResponse {
        var model = ""
        var items: [(index: Int, vector: [Float])] = []
        var usage = Usage()
        var error: OpenAIChatChunk.APIError?
        var sawData = false
        try reader.readFields { key, reader in
            switch key {
            case "model": model = try reader.readStringOrNull() ?? ""
            case "data":
                if try reader.readNullIfPresent() { return }
                sawData = true
                try reader.readElements { position, reader in
                    var index = position
                    var vector: [Float] = []
                    try reader.readFields { key, reader in
                        switch key {
                        case "index": index = try reader.readIntOrNull() ?? position
                        case "embedding": vector = try readVector(from: &reader)
                        default: break
                        }
                    }
                    items.append((index, vector))
                }
            case "usage":
                if try reader.readNullIfPresent() { return }
                try reader.readFields { key, reader in
                    if key == "prompt_tokens" { usage.inputTokens = try reader.readTokenCount() ?? 0 }
                }
            case "error":
                if try reader.readNullIfPresent() { return }
                error = try OpenAIChatChunk.APIError.decode(from: &reader)
            default:
                break
            }
        }
        if !sawData, let error {
            throw OpenAIErrorDecoder.error(status: nil, details: error.details, requestID: nil)
        }
        if !items.indices.dropFirst().allSatisfy({ items[$0 - 1].index < items[$0].index }) {
            items.sort { $0.index < $1.index }
        }
        return EmbeddingsResponse(model: model, embeddings: items.map(\.vector), usage: usage)
    }

    /// An array of numbers, or a base64 string of little-endian float32s.
    static func readVector(from reader: inout JSONReader) throws -> [Float] {
        if try reader.peekKind() == .string {
            let start = reader.offset
            let text = try reader.readString()
            guard let vector = floats(base64: text) else {
                throw reader.error("a base64 embedding must hold a whole number of little-endian float32s", at: start)
            }
            return vector
        }
        var vector: [Float] = []
        try reader.readArray { reader in vector.append(Float(try reader.readDouble())) }
        return vector
    }

    /// Decodes standard base64 (with or without padding) into float32s; `nil` when the text is not
    /// base64 or its length is not a multiple of four bytes.
    static func floats(base64 text: String) -> [Float]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for byte in text.utf8 {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            default: return nil
            }
            if padding > 0 { return nil }  // data after padding
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                values.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard padding <= 2, values.count % 4 == 0 else { return nil }
        var floats: [Float] = []
        floats.reserveCapacity(values.count / 4)
        var index = 0
        while index < values.count {
            let pattern =
                UInt32(values[index]) | UInt32(values[index + 1]) << 8 | UInt32(values[index + 2]) << 16
                | UInt32(values[index + 3]) << 24
            floats.append(Float(bitPattern: pattern))
            index += 4
        }
        return floats
    }
}
