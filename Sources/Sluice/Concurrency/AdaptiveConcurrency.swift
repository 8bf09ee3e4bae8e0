/// A client-wide concurrency limit that follows the server: it grows while answers come back as fast
/// as usual and the limit is in use, and shrinks when they slow down or the server pushes back (a
/// 429, a 503 or 529 overload, an attempt timeout). Off by default; set
/// ``ConcurrencyLimits/adaptive`` to turn it on.
///
/// ```swift
/// var configuration = LLMClient.Configuration.openAI(apiKey: key)
/// configuration.concurrency = ConcurrencyLimits(
///     adaptive: try AdaptiveConcurrency(initialLimit: 8, minimumLimit: 2, maximumLimit: 64))
/// ```
///
/// The rule is a gradient with a multiplicative back-off, after Netflix's concurrency-limits:
///
/// - Each answer's head latency is a sample. A short average (the last few answers) is compared with a
///   long one (the last few hundred): while the short one stays within ``tolerance`` times the long
///   one the gradient is 1, and the limit grows by about its square root per answer, smoothed, but
///   only while at least half of it is in use (an idle client does not inflate its limit). When
///   answers slow down, the gradient falls below 1 (to at most halving) and the limit follows.
/// - A push-back answer multiplies the limit by ``backoffRatio`` — at most once per short window, so
///   one burst of 429s from the same moment counts once.
/// - The limit stays within ``minimumLimit`` and ``maximumLimit``; ``maximumLimit`` also bounds the
///   client-wide limit when ``ConcurrencyLimits/maxConcurrentRequests`` is set higher or not at all.
///
/// LLM answers vary in length, so a plain call's latency is noisy; the long average absorbs that, and
/// the push-back signals are the stronger ones. The limit is this process's: replicas each adapt
/// their own.
public struct AdaptiveConcurrency: Sendable, Hashable {
    /// The limit before the first answer.
    public let initialLimit: Int
    /// The limit never falls below this (at least 1).
    public let minimumLimit: Int
    /// The limit never rises above this.
    public let maximumLimit: Int
    /// What a push-back answer multiplies the limit by, in (0, 1). Default 0.75.
    public let backoffRatio: Double
    /// How much slower than the long average the recent answers may be before the limit shrinks
    /// (≥ 1). Default 2.
    public let tolerance: Double
    /// How far the limit moves toward each new estimate, in (0, 1]. Default 0.2.
    public let smoothing: Double

    /// A validated configuration.
    ///
    /// - Throws: ``SluiceError/Code/invalidConfiguration`` when `minimumLimit < 1`,
    ///   `maximumLimit < minimumLimit`, `initialLimit` is outside `minimumLimit...maximumLimit`,
    ///   `backoffRatio` is not in (0, 1), `tolerance < 1`, or `smoothing` is not in (0, 1] (or any
    ///   of them is not finite).
    public init(
        initialLimit: Int,
        minimumLimit: Int = 1,
        maximumLimit: Int,
        backoffRatio: Double = 0.75,
        tolerance: Double = 2,
        smoothing: Double = 0.2
    ) throws(SluiceError) {
        func invalid(_ message: String) -> SluiceError {
            SluiceError(.invalidConfiguration, "invalid adaptive concurrency: \(message)")
        }
        guard minimumLimit >= 1 else { throw invalid("minimumLimit must be at least 1, not \(minimumLimit)") }
        guard maximumLimit >= minimumLimit else {
            throw invalid("maximumLimit (\(maximumLimit)) must be at least minimumLimit (\(minimumLimit))")
        }
        guard (minimumLimit...maximumLimit).contains(initialLimit) else {
            throw invalid("initialLimit (\(initialLimit)) must be within \(minimumLimit)...\(maximumLimit)")
        }
        guard backoffRatio.isFinite, backoffRatio > 0, backoffRatio < 1 else {
            throw invalid("backoffRatio must be between 0 and 1, not \(backoffRatio)")
        }
        guard tolerance.isFinite, tolerance >= 1 else { throw invalid("tolerance must be at least 1, not \(tolerance)") }
        guard smoothing.isFinite, smoothing > 0, smoothing <= 1 else {
            throw invalid("smoothing must be in (0, 1], not \(smoothing)")
        }
        self.initialLimit = initialLimit
        self.minimumLimit = minimumLimit
        self.maximumLimit = maximumLimit
        self.backoffRatio = backoffRatio
        self.tolerance = tolerance
        self.smoothing = smoothing
    }
}

/// The state of an ``AdaptiveConcurrency`` limit: a pure machine fed one sample per answer.
struct AdaptiveConcurrencyLimit: Sendable {
    /// What an answer says about the server's load.
    enum Outcome: Sendable, Equatable {
        /// An answer that is not a push-back (2xx, or a client error that says nothing of load).
        case answered
        /// A 429, a 503 or 529, or an attempt timeout.
        case pushedBack
        /// Nothing to learn (cancelled by the caller, a transport error before any answer).
        case ignored
    }

    let configuration: AdaptiveConcurrency
    /// The limit as a real number; ``limit`` rounds it down.
    private(set) var estimate: Double
    private var shortLatency: Double?
    private var longLatency: Double?
    private var samples = 0
    /// When the last push-back shrank the limit, on the client's clock.
    private var lastBackoff: Duration?

    init(_ configuration: AdaptiveConcurrency) {
        self.configuration = configuration
        estimate = Double(configuration.initialLimit)
    }

    /// The limit in force.
    var limit: Int { Int(estimate.rounded(.down)) }

    /// Takes one answer: its head `latency`, how many requests were in flight when it was sent, and
    /// what it said; `now` on the client's clock. Returns whether ``limit`` changed.
    @discardableResult
    mutating func record(_ outcome: Outcome, latency: Duration, inFlight: Int, now: Duration) -> Bool {
        let before = limit
        switch outcome {
        case .ignored:
            return false
        case .pushedBack:
            // One back-off per short window: answers to requests sent at the same moment are one signal.
            let window = Duration.rateLimitSeconds(shortLatency ?? 0)
            if let lastBackoff, now - lastBackoff < window { return false }
            lastBackoff = now
            estimate = clamp(estimate * configuration.backoffRatio)
        case .answered:
            let seconds = max(1e-6, latency.rateLimitSeconds)
            shortLatency = Self.average(shortLatency, seconds, weight: 0.5)
            longLatency = Self.average(longLatency, seconds, weight: samples < 10 ? 0.5 : 1.0 / 300)
            samples = samples.saturatingAdding(1)
            guard let short = shortLatency, let long = longLatency else { return false }
            let gradient = min(1, max(0.5, configuration.tolerance * long / short))
            // Grow only while the limit is in use; shrink whenever answers slow down.
            let inUse = Double(inFlight) * 2 >= estimate
            guard gradient < 1 || inUse else { return false }
            let target = estimate * gradient + (gradient < 1 ? 0 : estimate.squareRoot())
            estimate = clamp(estimate + (target - estimate) * configuration.smoothing)
        }
        return limit != before
    }

    private func clamp(_ value: Double) -> Double {
        min(Double(configuration.maximumLimit), max(Double(configuration.minimumLimit), value))
    }

    private static func average(_ current: Double?, _ sample: Double, weight: Double) -> Double {
        guard let current else { return sample }
        return current + (sample - current) * weight
    }
}
