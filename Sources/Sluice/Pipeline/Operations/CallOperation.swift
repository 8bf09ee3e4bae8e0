/// One kind of call the client makes — a chat, a streamed chat, embeddings — described for the one
/// path that runs every call through the middleware chain (``LLMClient/run(_:options:consume:)``).
///
/// An operation says what the call is (``kind``, ``model``), what it is expected to cost
/// (``tokenEstimate(_:)``), how its request is encoded for the client's provider
/// (``encode(for:endpoint:)``), how a successful (2xx) answer becomes its reply
/// (``decode(_:client:context:started:)``) and what usage the reply reports (``usage(of:)``).
/// Everything else — the call's context and events, the chain, the provider's typed error for a
/// non-2xx answer, the end of the body, the usage report, shutdown — is the path's, once for every
/// operation.
///
/// Adding an operation means one type conforming here, the request and reply requirements it needs
/// on ``ProviderAdapter`` (one file per provider), and a public method that builds it; no middleware
/// changes.
protocol CallOperation {
    /// What a successful call returns before the caller consumes it.
    associatedtype Reply

    /// Which API operation this is, for the layers and the events.
    var kind: ClientContext.Operation { get }

    /// The model the call names, for the layers (per-model limits) and the events.
    var model: String { get }

    /// The tokens the call is expected to cost, for reserving rate budget before it is sent.
    func tokenEstimate(_ configuration: LLMClient.Configuration) -> TokenEstimate

    /// Sets up the call's context before the call starts (a stream registers its progress there).
    func prepare(_ context: inout ClientContext)

    /// The HTTP request in the provider's wire format, with auth and provider headers from `endpoint`.
    func encode(for adapter: any ProviderAdapter, endpoint: ProviderEndpoint) throws -> ClientRequest

    /// Turns a successful (2xx) answer into the reply. The path ends the body after the reply is
    /// consumed, so an operation that hands the body on (a stream) need not end it.
    nonisolated(nonsending) func decode(
        _ response: ClientResponse,
        client: LLMClient,
        context: ClientContext,
        started: Duration
    ) async throws -> Reply

    /// The usage `reply` reports, or `nil` when it reports none yet (a stream reports its own as it
    /// is read, and the path completes the call's report with the latest).
    func usage(of reply: Reply) -> Usage?

    /// What the request asks for, for the `request_started` event (the server is filled in by the
    /// path). By default nothing.
    func requestDetails() -> ClientEvent.RequestDetails

    /// What the reply says of itself (id, model, finish reasons) once the caller has consumed it, for
    /// the `request_succeeded` event. By default `nil`.
    func replyDetails(of reply: Reply) -> ClientEvent.ReplyDetails?
}

extension CallOperation {
    func prepare(_ context: inout ClientContext) {}
    func requestDetails() -> ClientEvent.RequestDetails { ClientEvent.RequestDetails() }
    func replyDetails(of reply: Reply) -> ClientEvent.ReplyDetails? { nil }
}
