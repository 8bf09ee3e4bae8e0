import Hummingbird
import NIOCore

/// The request context of the mock server's router: the connection (to watch for the client
/// leaving) and the request number used for `x-request-id`.
struct MockRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connection the request arrived on; `nil` when the router is driven without a socket.
    let channel: (any Channel)?
    /// Set by ``MockRequestIDMiddleware``.
    var requestNumber: Int = 0

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    var requestID: String { "req_\(self.requestNumber)" }
}
