extension LLMClient: CustomStringConvertible, CustomReflectable {
    /// The provider, base URL and key id; never the key.
    public var description: String {
        "LLMClient(\(provider), \(SecretRedaction.redactingURL(configuration.baseURL)), key: \(keyID))"
    }

    /// The configuration (key redacted) and the key's id; nothing that holds the key itself.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "configuration": configuration, "keyID": keyID, "transport": String(describing: type(of: transport)),
            ],
            displayStyle: .class
        )
    }
}
