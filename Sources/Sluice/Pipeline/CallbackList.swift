/// A callback that a ``CallbackList`` holds: a closure in a struct of its own, so that the list,
/// generic over it, stores the closure as it is. (A closure stored as a generic `(Argument) -> Void`
/// is wrapped in a reabstraction thunk: an allocation for every callback registered.)
protocol ListedCallback: Sendable {
    associatedtype Argument
    func callAsFunction(_ argument: Argument)
}

/// A body's termination handler.
struct TerminationHandler: ListedCallback {
    let body: @Sendable (BodyTermination) -> Void
    func callAsFunction(_ termination: BodyTermination) { body(termination) }
}

/// An observer of a call's final usage.
struct UsageObserver: ListedCallback {
    let body: @Sendable (Usage?) -> Void
    func callAsFunction(_ usage: Usage?) { body(usage) }
}

/// Callbacks registered on an owner that runs them all once (a body's termination handlers, a usage
/// report's observers). The first two are held inline: most owners get one or two, and an array
/// would cost an allocation per owner.
struct CallbackList<Callback: ListedCallback>: Sendable {
    private var first: Callback?
    private var second: Callback?
    private var rest: [Callback] = []

    init() {}

    mutating func append(_ callback: Callback) {
        if first == nil {
            first = callback
        } else if second == nil {
            second = callback
        } else {
            rest.append(callback)
        }
    }

    /// Runs every callback in the order registered.
    func run(_ argument: Callback.Argument) {
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
