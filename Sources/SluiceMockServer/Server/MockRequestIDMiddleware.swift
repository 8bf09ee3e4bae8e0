import Hummingbird

/// Numbers every request, adds `x-request-id: req_<n>` to every response, answers a declared
/// `content-length` beyond ``MockServerConfiguration/maxRequestBodySize`` with 413 at once, and
/// turns routing errors (unknown path, wrong method) into OpenAI-style error bodies.
struct MockRequestIDMiddleware: RouterMiddleware {
    typealias Context = MockRequestContext

    let engine: MockServerEngine

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var context = context
        context.requestNumber = self.engine.nextRequestNumber()
        let requestID = context.requestID
        var response: Response
        let cap = self.engine.configuration.maxRequestBodySize
        if let declared = request.headers[.contentLength], let length = Int(declared), length > cap {
            // Answered from the head: the body is never read, so a client that promises gigabytes
            // and sends nothing is not waited for.
            self.engine.recordBadRequest()
            response = MockHTTP.bodyTooLarge(anthropicShape: request.uri.path.hasPrefix("/v1/messages"), cap: cap)
            response.headers[.connection] = "close"
            response.headers[MockHTTP.requestID] = requestID
            return response
        }
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            let message: String
            switch error.status {
            case .notFound:
                message = "Invalid URL (\(request.method) \(request.uri.path))"
            case .methodNotAllowed:
                message = "Method not allowed (\(request.method) \(request.uri.path))"
            default:
                message = error.body ?? error.status.reasonPhrase
            }
            response = MockHTTP.json(
                error.status,
                OpenAIWire.errorBody(message: message, type: "invalid_request_error", code: nil)
            )
        }
        response.headers[MockHTTP.requestID] = requestID
        return response
    }
}
