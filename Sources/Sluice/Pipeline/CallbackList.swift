/// Callbacks registered on an owner that runs them all once (a body's termination handlers, a usage
/// report's observers). The first two are held inline: most owners get one or two, and an array
/// would cost an allocation per owner.
struct CallbackList<Argument>: Sendable {
    typealias Callback = @Sendable (Argument) -> Void

    private var first: Callback?
    private var second: Callback?
    private var rest: [Callback] = []

    init() {}

    mutating func append(_ callback: @escaping Callback) {
        if first == nil {
            first = callback
        } else if second == nil {
            second = callback
        } else {
            rest.append(callback)
        }
    }

    /// Runs every callback in the order registered.
    func run(_ argument: Argument) {
        first?(argument)
        second?(argument)
        for callback in rest { callback(argument) }
    }

    /// Returns the callbacks and leaves the list empty.
    mutating func take() -> CallbackList {
        defer { self = CallbackList() }
        return self
    }
}
