extension MockLatency {
    /// The wait before a stream's content piece at `position` that carries `pacedTokens` tokens:
    /// the first piece waits for the first token and each of its other tokens, later pieces for
    /// each of their tokens.
    func wait(beforePiece position: Int, pacedTokens: Int) -> Duration {
        position == 0 ? self.firstToken + self.perToken * (pacedTokens - 1) : self.perToken * pacedTokens
    }
}

/// What the two providers' stream writers share: how a reply's words are cut into content chunks,
/// and when a fault acts on a stream.
enum MockStreamPlan {
    /// The reply's words in chunks of `tokensPerChunk` words (one word is one token), each chunk's
    /// text joined the way the full reply is, with the number of tokens it carries.
    static func textChunks(_ words: [String], tokensPerChunk: Int) -> [(text: String, tokens: Int)] {
        stride(from: 0, to: words.count, by: tokensPerChunk).map { index in
            let end = min(index + tokensPerChunk, words.count)
            var text = ""
            for position in index..<end {
                if position > 0 { text += " " }
                text += words[position]
            }
            return (text, end - index)
        }
    }

    /// The token count after which a fault acts on a stream, or `nil` for faults that only change
    /// timing (or answer before the stream starts).
    static func trigger(of fault: MockFault) -> (Int, MockFault)? {
        switch fault.backing {
        case .stall(let after, _), .dropConnection(let after), .malformedSSE(let after), .errorEvent(let after):
            (after, fault)
        case .malformedJSON:
            (0, fault)
        case .httpError, .headDelay, .firstTokenDelay, .tokenDelay:
            nil
        }
    }
}
