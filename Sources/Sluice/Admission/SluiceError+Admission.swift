extension SluiceError.Code {
    // MARK: Admission

    /// The call was shed: it had to wait for rate budget or a concurrency permit and the queue
    /// (``AdmissionQueuePolicy/maxWaiting``) was full of calls of its priority or higher, or a call of
    /// higher priority arrived at the full queue and took its place. The request was never sent.
    public static let loadShed = SluiceError.Code("load_shed")
}

extension SluiceError {
    /// A call refused on arrival: `queue`'s `limit` waiting calls all have its `priority` or higher.
    package static func queueFull(_ queue: String, limit: Int, priority: CallPriority) -> SluiceError {
        SluiceError(
            .loadShed,
            "the queue for \(queue) is full (\(limit) calls waiting, none below \(priority) priority); the call was refused",
            neverSent: true
        )
    }

    /// A waiting call of `priority` displaced from `queue` by a call of higher priority.
    package static func displaced(_ queue: String, priority: CallPriority) -> SluiceError {
        SluiceError(
            .loadShed,
            "the queue for \(queue) was full and a call of higher priority took the place of this \(priority) call",
            neverSent: true)
    }
}
