/// An event handler that carries the call's trace context on the requests it sends (the W3C
/// `traceparent` and `tracestate` headers with OpenTelemetry), so that a gateway's or provider's spans
/// join the caller's trace.
///
/// Just before each attempt goes to the transport (after its `attempt_started` event), the client
/// asks every handler in scope that conforms to add its headers. ``TracingEventHandler`` conforms:
/// with it attached, every attempt carries the context of its attempt span, injected by the tracer's
/// instrument (`InstrumentationSystem`); a tracer that injects nothing adds nothing.
public protocol TraceContextPropagating: ClientEventHandler {
    /// Adds the headers that carry the trace context of call `callID`'s current attempt to `headers`.
    func injectTraceContext(callID: UInt64, into headers: inout HTTPHeaders)
}

extension EventEmitter {
    /// Lets every ``TraceContextPropagating`` handler add its headers to an attempt's request.
    func injectTraceContext(_ context: ClientContext, into headers: inout HTTPHeaders) {
        for case let handler as any TraceContextPropagating in handlers {
            handler.injectTraceContext(callID: context.callID, into: &headers)
        }
    }
}
