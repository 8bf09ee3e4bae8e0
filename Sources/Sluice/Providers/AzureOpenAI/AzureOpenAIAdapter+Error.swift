extension AzureOpenAIAdapter {
    /// The typed error for a non-2xx answer: Azure's error bodies are OpenAI's.
    public func decodeError(status: Int, headers: HTTPHeaders, body: [UInt8]) -> SluiceError {
        openAI.decodeError(status: status, headers: headers, body: body)
    }
}
