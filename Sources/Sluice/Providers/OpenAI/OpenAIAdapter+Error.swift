extension OpenAIAdapter {
    /// The typed error for a non-2xx answer; see `OpenAIErrorDecoder`.
    public func decodeError(status: Int, headers: HTTPHeaders, body: [UInt8]) -> SluiceError {
        OpenAIErrorDecoder.error(status: status, requestID: headers["x-request-id"], body: body)
    }
}
