#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension LLMClient.Configuration {
    /// A configuration from the environment variables the official SDKs read.
    ///
    /// - OpenAI: `OPENAI_API_KEY` (required), `OPENAI_BASE_URL`, `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`.
    /// - Anthropic: `ANTHROPIC_API_KEY` (required), `ANTHROPIC_BASE_URL`.
    ///
    /// With no provider given, OpenAI is used when `OPENAI_API_KEY` is set, else Anthropic when
    /// `ANTHROPIC_API_KEY` is. Throws ``SluiceError/Code/invalidConfiguration`` naming the missing
    /// variable (never its value).
    public static func fromEnvironment(
        provider: Provider? = nil,
        environment: [String: String]? = nil
    ) throws -> LLMClient.Configuration {
        let read: (String) -> String? = { name in
            let value = environment.map { $0[name] } ?? getenv(name).map { String(cString: $0) }
            guard let value, !value.isEmpty else { return nil }
            return value
        }
        let chosen = provider ?? (read("OPENAI_API_KEY") != nil ? .openAI : read("ANTHROPIC_API_KEY") != nil ? .anthropic : nil)
        switch chosen {
        case .openAI?:
            guard let key = read("OPENAI_API_KEY") else {
                throw SluiceError(.invalidConfiguration, "OPENAI_API_KEY is not set")
            }
            return .openAI(
                apiKey: key,
                baseURL: read("OPENAI_BASE_URL") ?? "https://api.openai.com/v1",
                organization: read("OPENAI_ORG_ID"),
                project: read("OPENAI_PROJECT_ID")
            )
        case .anthropic?:
            guard let key = read("ANTHROPIC_API_KEY") else {
                throw SluiceError(.invalidConfiguration, "ANTHROPIC_API_KEY is not set")
            }
            return .anthropic(apiKey: key, baseURL: read("ANTHROPIC_BASE_URL") ?? "https://api.anthropic.com")
        default:
            throw SluiceError(
                .invalidConfiguration,
                provider.map { "no environment configuration for provider \($0)" }
                    ?? "neither OPENAI_API_KEY nor ANTHROPIC_API_KEY is set"
            )
        }
    }
}

extension LLMClient {
    /// A client configured from the environment; see ``Configuration/fromEnvironment(provider:environment:)``.
    public static func fromEnvironment(provider: Provider? = nil) throws -> LLMClient {
        try LLMClient(.fromEnvironment(provider: provider))
    }
}
