extension AzureOpenAIAdapter {
    /// Throws ``SluiceError/Code/unsupported``: this adapter speaks Azure's deployment API, which has
    /// no Responses API. Azure's v1 API has one: use ``OpenAIAdapter`` with the base URL
    /// `https://<resource>.openai.azure.com/openai/v1` (and the key in an `api-key` endpoint header).
    public func responsesRequest(_ request: ResponsesRequest, stream: Bool, endpoint: ProviderEndpoint) throws
        -> ClientRequest
    {
        throw SluiceError(
            .unsupported,
            "AzureOpenAIAdapter speaks Azure's deployment API, which has no Responses API; use OpenAIAdapter "
                + "with the base URL https://<resource>.openai.azure.com/openai/v1 (Azure's v1 API)"
        )
    }
}
