import Hummingbird

/// What each provider's routes supply to the opening that every API route shares: its 401, its
/// header checks, its 400, 413 and 404 bodies.
protocol MockRouteDialect: Sendable {
    var engine: MockServerEngine { get }
    /// The request's key, or the provider's 401 (the secret never appears in it).
    func authenticate(_ request: Request) -> RouteStep<ResolvedKey>
    /// The provider's 400 for headers it refuses before reading the body; `nil` when they are fine.
    func headerProblem(in request: Request) -> Response?
    /// The provider's 400, counted as a bad request.
    func badRequest(_ message: String) -> Response
    /// The provider's 413 for a body over ``MockServerConfiguration/maxRequestBodySize``.
    func tooLargeAnswer() -> Response
    /// The decoded body, or the provider's 400 (counted).
    func decodedBody<Body: Decodable>(_ type: Body.Type, from bytes: [UInt8]) -> RouteStep<Body>
    /// The provider's 404 for a model that is not in ``MockServerConfiguration/models``.
    func unknownModelAnswer(_ model: String) -> Response
}

extension MockRouteDialect {
    /// The opening of every API route after its in-flight ticket: authenticates the request,
    /// checks its headers, reads and decodes its body (capped at
    /// ``MockServerConfiguration/maxRequestBodySize``), and with
    /// ``MockServerConfiguration/acceptsUnknownModels`` off refuses a model it does not list.
    /// Rule matching, admission and faults follow in ``MockServerEngine/admit(key:request:charging:)``.
    func open<Body: Decodable & MockModelNaming>(_ request: Request, as type: Body.Type) async
        -> RouteStep<(ResolvedKey, Body)>
    {
        let key: ResolvedKey
        switch self.authenticate(request) {
        case .proceed(let resolved): key = resolved
        case .answer(let response): return .answer(response)
        }
        if let response = self.headerProblem(in: request) { return .answer(response) }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: self.engine.configuration.maxRequestBodySize)
        } catch where MockHTTP.isBodyTooLarge(error) {
            self.engine.recordBadRequest()
            return .answer(self.tooLargeAnswer())
        } catch {
            return .answer(self.badRequest("Could not read the request body."))
        }
        switch self.decodedBody(type, from: Array(buffer.readableBytesView)) {
        case .proceed(let body):
            if let model = self.engine.unknownModel(body.model) {
                self.engine.recordBadRequest()
                return .answer(self.unknownModelAnswer(model))
            }
            return .proceed((key, body))
        case .answer(let response):
            return .answer(response)
        }
    }
}
