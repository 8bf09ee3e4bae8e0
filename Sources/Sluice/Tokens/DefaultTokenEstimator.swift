/// The default ``TokenEstimator``: the providers' character-based admission estimate, erring high.
///
/// OpenAI admits a request against its tokens-per-minute limit with an estimate from the request's
/// character count plus `max_tokens`; Anthropic counts input tokens with its tokenizer. This
/// estimator stays close to both and rounds every part up, so the rate limiter reserves a little
/// more than the provider charges (the difference is settled afterwards) rather than less (which
/// risks 429s). It never estimates below the mock server's `MockTokenEstimator` for the same request.
///
/// The rules:
///
/// - text: `ceil(asciiBytes / 4)` plus one token per non-ASCII character (CJK and emoji run about a
///   token a character), which is never less than `ceil(utf8Bytes / 4)`;
/// - a request: 3 tokens; a message: 4 tokens plus its text parts, its participant name (plus 1),
///   and each tool call's name and arguments plus 4; the last assistant message also counts its
///   thinking blocks' text (and a redacted block's data), which Anthropic counts as input in a tool
///   loop (it strips thinking from earlier turns);
/// - a tool definition: 8 tokens plus its name, description and JSON schema as compact JSON text;
///   a named tool choice, its name; a JSON-schema response format, 8 plus its name and schema;
/// - an image: the larger of OpenAI's rule (`detail: low` 85; otherwise fit in 2048×2048, shortest
///   side at most 768, then 85 + 170 per 512-pixel tile) and Anthropic's (long side at most 1568,
///   about 1.15 megapixels, `width × height / 750`) when the size can be read from the image's
///   header (base64 PNG, GIF or JPEG); ``unknownImageTokens`` (1600, the most either charges) when
///   it cannot (URLs, other formats);
/// - an embeddings input: its text.
///
/// ```swift
/// let estimator = DefaultTokenEstimator()
/// let tokens = estimator.estimateInputTokens(ChatRequest(model: "gpt-4o-mini", messages: [.user("Hello")]))
/// // 3 + 4 + 2 == 9
/// ```
public struct DefaultTokenEstimator: TokenEstimator {
    /// Tokens counted for an image whose size cannot be read: 1600.
    public var unknownImageTokens: Int

    public init(unknownImageTokens: Int = 1_600) {
        self.unknownImageTokens = unknownImageTokens
    }

    public func estimateInputTokens(_ request: ChatRequest) -> Int {
        var tokens = 3
        let lastAssistant = request.messages.lastIndex { $0.role == .assistant }
        for (position, message) in request.messages.enumerated() {
            if position == lastAssistant {
                for block in message.thinking {
                    tokens = tokens.saturatingAdding(Self.textTokens(block.redactedData ?? block.text))
                }
            }
            tokens += 4
            if let name = message.name { tokens += 1 + Self.textTokens(name) }
            for part in message.content {
                switch part {
                case .text(let text): tokens += Self.textTokens(text)
                case .image(let image): tokens += imageTokens(image)
                }
            }
            for call in message.toolCalls {
                tokens += 4 + Self.textTokens(call.name) + Self.textTokens(call.arguments)
            }
        }
        for tool in request.tools {
            tokens += 8 + Self.textTokens(tool.name) + Self.textTokens(tool.description ?? "")
            tokens += Self.textTokens(tool.parameters.description)
        }
        if case .tool(let name)? = request.toolChoice { tokens += Self.textTokens(name) }
        if case .jsonSchema(let name, let schema, _)? = request.responseFormat {
            tokens += 8 + Self.textTokens(name) + Self.textTokens(schema.description)
        }
        return tokens
    }

    public func estimateInputTokens(_ request: EmbeddingsRequest) -> Int {
        request.inputs.reduce(0) { $0 + Self.textTokens($1) }
    }

    /// `ceil(asciiBytes / 4)` plus one per non-ASCII character; at least `ceil(utf8Bytes / 4)`.
    public static func textTokens(_ text: String) -> Int {
        var ascii = 0
        var other = 0
        for byte in text.utf8 {
            if byte < 0x80 {
                ascii += 1
            } else if byte & 0xC0 != 0x80 {
                other += 1  // the lead byte of a multi-byte character
            }
        }
        return (ascii + 3) / 4 + other
    }

    /// The tokens an image costs by the providers' published rules (see the type's documentation).
    public func imageTokens(_ image: ImageSource) -> Int {
        switch image {
        case .url(let url, let detail):
            if url.hasPrefix("data:"), let comma = url.firstIndex(of: ","),
                let size = ImageHeader.size(base64: url[url.index(after: comma)...])
            {
                return Self.imageTokens(width: size.width, height: size.height, lowDetail: detail == "low")
            }
            return unknownImageTokens
        case .base64(let data, _):
            guard let size = ImageHeader.size(base64: Substring(data)) else { return unknownImageTokens }
            return Self.imageTokens(width: size.width, height: size.height, lowDetail: false)
        }
    }

    /// The larger of OpenAI's and Anthropic's charge for an image of this size.
    public static func imageTokens(width: Int, height: Int, lowDetail: Bool = false) -> Int {
        guard width > 0, height > 0 else { return 85 }
        var w = Double(width), h = Double(height)
        // OpenAI: fit in 2048 × 2048, then shortest side at most 768; 170 per 512-pixel tile.
        var openAI = 85
        if !lowDetail {
            let fit = min(1, 2048 / max(w, h))
            w *= fit
            h *= fit
            let shrink = min(1, 768 / min(w, h))
            w *= shrink
            h *= shrink
            openAI = 85 + 170 * Int((w / 512).rounded(.up)) * Int((h / 512).rounded(.up))
        }
        // Anthropic: long side at most 1568 and about 1.15 megapixels; width × height / 750.
        var aw = Double(width), ah = Double(height)
        let long = min(1, 1568 / max(aw, ah))
        aw *= long
        ah *= long
        let area = min(1, (1_150_000 / (aw * ah)).squareRoot())
        aw *= area
        ah *= area
        let anthropic = Int((aw * ah / 750).rounded(.up))
        return max(openAI, anthropic)
    }
}

/// Reads an image's pixel size from the start of its base64 text: PNG, GIF and baseline or
/// progressive JPEG.
enum ImageHeader {
    static func size(base64: Substring) -> (width: Int, height: Int)? {
        let bytes = decode(base64.prefix(88_000))
        if bytes.count >= 24, bytes[0] == 0x89, bytes[1] == 0x50, bytes[2] == 0x4E, bytes[3] == 0x47 {
            return (be32(bytes, 16), be32(bytes, 20))
        }
        if bytes.count >= 10, bytes[0] == 0x47, bytes[1] == 0x49, bytes[2] == 0x46 {
            return (Int(bytes[6]) | Int(bytes[7]) << 8, Int(bytes[8]) | Int(bytes[9]) << 8)
        }
        if bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 {
            var index = 2
            while index + 9 < bytes.count {
                guard bytes[index] == 0xFF else { return nil }
                let marker = bytes[index + 1]
                if marker == 0xFF {
                    index += 1
                    continue
                }
                let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
                if (0xC0...0xCF).contains(marker), marker != 0xC4, marker != 0xC8, marker != 0xCC {
                    let height = Int(bytes[index + 5]) << 8 | Int(bytes[index + 6])
                    let width = Int(bytes[index + 7]) << 8 | Int(bytes[index + 8])
                    return (width, height)
                }
                guard length >= 2 else { return nil }
                index += 2 + length
            }
        }
        return nil
    }

    private static func be32(_ bytes: [UInt8], _ at: Int) -> Int {
        Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
    }

    /// Decodes base64 (standard or URL-safe), skipping whitespace and stopping at padding or junk.
    private static func decode(_ text: Substring) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in text.utf8 {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"), UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): value = 63
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): continue
            default: return output
            }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return output
    }
}
