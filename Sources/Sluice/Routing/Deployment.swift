/// One place an ``LLMRouter`` can send a call: a client (its provider, base URL, key or key pool,
/// limits and retry policy) under a unique name, with the model to ask it for.
///
/// ```swift
/// let primary = Deployment(name: "openai", client: openAIClient, model: "gpt-4o-mini")
/// let secondary = Deployment(name: "azure-eu", client: azureClient)
/// ```
///
/// The name appears in events, metrics and errors; the key never does.
public struct Deployment: Sendable {
    /// The deployment's name, unique within a router.
    public var name: String
    /// The client the deployment's calls go through.
    public var client: LLMClient
    /// The model that replaces the request's model on this deployment, or `nil` to keep the request's.
    public var model: String?
    /// The deployment's share under ``RoutingPolicy/Strategy/weighted``: a finite number above zero.
    /// Default 1.
    public var weight: Double

    /// A deployment; the router validates its name and weight when it is built.
    public init(name: String, client: LLMClient, model: String? = nil, weight: Double = 1) {
        self.name = name
        self.client = client
        self.model = model
        self.weight = weight
    }
}
