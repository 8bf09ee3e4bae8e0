/// The phase a timeout error code names, for the `timeout` event's ``ClientEvent/phase``.
enum TimeoutPhase {
    static func phase(of code: SluiceError.Code) -> String? {
        switch code {
        case .deadlineExceeded: "total"
        case .responseHeadTimeout: "response_head"
        case .firstByteTimeout: "first_byte"
        case .firstTokenTimeout: "first_token"
        case .idleTimeout: "idle"
        case .attemptTimeout: "attempt"
        case .timeout: "connect"
        default: nil
        }
    }
}
