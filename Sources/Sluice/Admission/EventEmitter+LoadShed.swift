extension EventEmitter {
    /// Emits `load_shed` for a call a full queue (`queue`: `rate_limit` or `concurrency`) refused or
    /// displaced.
    func emitLoadShed(_ context: ClientContext, _ error: SluiceError, queue: String, priority: CallPriority) {
        emit(.loadShed, context) { event in
            event.reason = queue
            event.text = priority.description
            event.error = error
        }
    }
}
