extension Duration {
    /// The duration in milliseconds, as a `Double`: for log metadata and span attributes.
    var adapterMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }

    /// The duration in whole nanoseconds, saturating at `Int64`'s bounds: for timers and span instants.
    var adapterNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflowAdding) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflowAdding { return seconds < 0 ? .min : .max }
        return total
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`: for the GenAI histograms, whose unit is the second.
    var adapterSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
