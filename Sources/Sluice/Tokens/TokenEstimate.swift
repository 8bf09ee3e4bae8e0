/// The tokens a call is expected to cost, for reserving rate budget before it is sent.
public struct TokenEstimate: Sendable, Hashable {
    /// The estimated prompt (input) tokens.
    public var input: Int
    /// The most output tokens the call may produce (its `max_tokens`, or the client's assumption).
    public var maxOutput: Int

    public init(input: Int = 0, maxOutput: Int = 0) {
        self.input = input
        self.maxOutput = maxOutput
    }

    public var total: Int { input.saturatingAdding(maxOutput) }
}
