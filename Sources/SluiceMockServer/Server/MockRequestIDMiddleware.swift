import Hummingbird

/// Numbers every request, adds `x-request-id: req_<n>` to every response, and turns routing
/// errors (unknown path, wrong method) into OpenAI-style error bodies.
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
