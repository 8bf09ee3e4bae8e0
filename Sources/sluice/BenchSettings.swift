import Sluice

/// A `sluice bench` run as validated from its options: where to send, what, how much, and the
/// limits each key gets.
struct BenchSettings: Sendable {
    var provider: Provider
    var model: String
    var baseURL: String
    /// The names of the environment variables the keys came from; they label the keys.
    var keyLabels: [String]
    /// How many calls to make; with ``duration``, the most to make (`nil`: no limit but the time).
    var requests: Int?
    /// How long to keep starting calls (`--duration`); those in flight then finish, within
    /// ``maxDuration``. `nil`: make ``requests`` calls.
    var duration: Duration?
    var concurrency: Int
    var stream: Bool
    var maxTokens: Int
    var promptCharacters: Int
    /// With `--cached-prefix-tokens`: the tokens of a system prompt shared by every call and marked
    /// as a prompt-cache breakpoint, sent before the varying prompt.
    var cachedPrefixTokens: Int? = nil
    var timeout: Duration
    /// When the whole run stops, cancelling what is in flight.
    var maxDuration: Duration
    var maxAttempts: Int

    /// Per key, as given.
    var requestsPerMinute: Int?
    var tokensPerMinute: Int?
    var inputTokensPerMinute: Int?
    var outputTokensPerMinute: Int?
    var burstSeconds: Double

    /// Per key, after ``burstSeconds`` and the one-request minimum were applied.
    var limits: RateLimits

    /// The chat request the `index`th call sends.
    func request(_ index: Int) -> ChatRequest {
        var messages: [ChatMessage] = [.user(BenchPrompt.text(index: index, characters: promptCharacters))]
        if let cachedPrefixTokens {
            messages.insert(ChatMessage.system(BenchPrompt.sharedPrefix(tokens: cachedPrefixTokens)).cached(), at: 0)
        }
        return ChatRequest(model: model, messages: messages, maxOutputTokens: maxTokens)
    }

    var providerName: String { provider == .anthropic ? "anthropic" : "openai" }

    /// How much the run sends, for the summaries: `100 requests`, `for 600 s`, `for 600 s (at most
    /// 5000 requests)`.
    var amountText: String {
        guard let duration else { return "\(requests ?? 0) requests" }
        let seconds = BenchFormat.seconds(duration)
        let time = "for \(BenchFormat.fixed(seconds, seconds == seconds.rounded() ? 0 : 1)) s"
        return requests.map { time + " (at most \($0) requests)" } ?? time
    }

    /// The pool's limit in a dimension: the per-key limit times the number of keys.
    func poolLimit(_ perKey: Int?) -> Int? { perKey.map { $0 * keyLabels.count } }

    /// A bucket's capacity for `burstSeconds` of `perMinute`, at least `minimum` and at least 1.
    static func capacity(perMinute: Int?, burstSeconds: Double, minimum: Int) -> Int? {
        guard let perMinute else { return nil }
        let burst = Int((Double(perMinute) * burstSeconds / 60).rounded(.up))
        return max(1, minimum, min(burst, Int.max / 2))
    }
}
