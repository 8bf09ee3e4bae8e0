/// A request for embedding vectors of one or more inputs.
public struct EmbeddingsRequest: Sendable, Hashable {
    public var model: String
    public var inputs: [String]
    /// The vector length, for models that can shorten their output.
    public var dimensions: Int?
    public var user: String?
    /// Provider-specific fields merged into the body last.
    public var extraFields: JSONObject

    public init(model: String, inputs: [String], dimensions: Int? = nil, user: String? = nil, extraFields: JSONObject = [:]) {
        self.model = model
        self.inputs = inputs
        self.dimensions = dimensions
        self.user = user
        self.extraFields = extraFields
    }
}

/// Embedding vectors, one per input, in input order.
public struct EmbeddingsResponse: Sendable, Hashable {
    public var model: String
    public var embeddings: [[Float]]
    public var usage: Usage
    public var requestID: String?
    /// The status and headers of the HTTP answer this reply was decoded from (`nil` for a reply
    /// built by hand).
    public var responseHead: HTTPResponseHead?

    public init(model: String, embeddings: [[Float]], usage: Usage, requestID: String? = nil) {
        self.model = model
        self.embeddings = embeddings
        self.usage = usage
        self.requestID = requestID
    }
}
