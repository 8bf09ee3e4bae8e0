extension AzureOpenAIAdapter {
    /// `POST {baseURL}/openai/deployments/{model}/chat/completions?api-version=…` with OpenAI's body.
    ///
    /// - Throws: ``SluiceError/Code/invalidRequest`` for a model that is not a deployment name, and
    ///   what ``OpenAIAdapter/chatRequest(_:stream:endpoint:)`` throws.
    public func chatRequest(_ request: ChatRequest, stream: Bool, endpoint: ProviderEndpoint) throws -> ClientRequest {
        let wire = try openAI.chatRequest(request, stream: stream, endpoint: endpoint)
        return try deploymentRequest(wire, deployment: request.model, path: "/chat/completions", endpoint: endpoint)
    }

    /// `POST {baseURL}/openai/deployments/{model}/embeddings?api-version=…` with OpenAI's body.
    public func embeddingsRequest(_ request: EmbeddingsRequest, endpoint: ProviderEndpoint) throws -> ClientRequest {
        let wire = try openAI.embeddingsRequest(request, endpoint: endpoint)
        return try deploymentRequest(wire, deployment: request.model, path: "/embeddings", endpoint: endpoint)
    }

    /// OpenAI's request, sent to the deployment's URL with Azure's headers.
    func deploymentRequest(
        _ wire: ClientRequest,
        deployment: String,
        path: String,
        endpoint: ProviderEndpoint
    ) throws -> ClientRequest {
        guard Self.isDeploymentName(deployment) else {
            throw SluiceError(
                .invalidRequest,
                "an Azure OpenAI deployment name holds only letters, digits, '-', '_' and '.'"
            )
        }
        var request = wire
        request.url = endpoint.url("/openai/deployments/\(deployment)\(path)?api-version=\(apiVersion)")
        request.headers = headers(wire.headers, endpoint: endpoint)
        return request
    }

    /// Whether `name` can stand in a URL path as it is: not empty, letters, digits, `-`, `_`, `.`.
    static func isDeploymentName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                    true
                default: false
                }
            }
    }
}
