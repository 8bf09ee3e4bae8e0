import ArgumentParser
import Sluice

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `--provider`, `--base-url` and `--api-key-env`, shared by `sluice chat` and `sluice bench`: which
/// API to call, where, and which environment variables hold its keys.
///
/// Without `--provider`, the provider is the one whose key variable is set (`OPENAI_API_KEY` or
/// `ANTHROPIC_API_KEY`; OpenAI when both or neither are). Without `--base-url`, the base URL is
/// `OPENAI_BASE_URL` or `ANTHROPIC_BASE_URL` when set, else the provider's own. Keys are read from
/// the environment only, never from the command line, so they stay out of shell history and `ps`.
struct ProviderOptions: ParsableArguments {
    @Option(help: "openai or anthropic (default: the one whose OPENAI_API_KEY / ANTHROPIC_API_KEY is set; openai when both or neither are).")
    var provider: String?

    @Option(
        help:
            "Base URL (OpenAI-compatible: up to /v1; Anthropic: the host). Default: OPENAI_BASE_URL / ANTHROPIC_BASE_URL, else the provider's."
    )
    var baseURL: String?

    @Option(
        name: .customLong("api-key-env"),
        help: "The environment variable that holds the API key (default OPENAI_API_KEY or ANTHROPIC_API_KEY).")
    var apiKeyEnvs: [String] = []

    func validate() throws {
        _ = try self.chosenProvider(environment: { _ in nil })
        guard Set(self.apiKeyEnvs).count == self.apiKeyEnvs.count else {
            throw ValidationError("--api-key-env names a variable twice")
        }
    }

    /// The provider `--provider` names, else the one whose key variable `environment` holds.
    func chosenProvider(environment: (String) -> String? = ProviderOptions.environment) throws -> Provider {
        switch self.provider?.lowercased() {
        case "openai": return .openAI
        case "anthropic": return .anthropic
        case .some: throw ValidationError("--provider must be openai or anthropic")
        case .none:
            let hasOpenAIKey = !(environment("OPENAI_API_KEY") ?? "").isEmpty
            let hasAnthropicKey = !(environment("ANTHROPIC_API_KEY") ?? "").isEmpty
            return hasAnthropicKey && !hasOpenAIKey ? .anthropic : .openAI
        }
    }

    /// The environment variables holding the keys: those given, else the provider's own.
    func keyVariables(for provider: Provider) -> [String] {
        self.apiKeyEnvs.isEmpty ? [provider == .anthropic ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY"] : self.apiKeyEnvs
    }

    /// `--base-url`, else the provider's base-URL variable, else the provider's public endpoint.
    func baseURL(for provider: Provider, environment: (String) -> String? = ProviderOptions.environment) -> String {
        if let baseURL { return baseURL }
        let variable = provider == .anthropic ? "ANTHROPIC_BASE_URL" : "OPENAI_BASE_URL"
        if let value = environment(variable), !value.isEmpty { return value }
        return provider == .anthropic ? "https://api.anthropic.com" : "https://api.openai.com/v1"
    }

    /// The secret in the variable `name`, or a validation error naming the variable (never the value).
    static func secret(inVariable name: String) throws -> String {
        guard let value = environment(name), !value.isEmpty else {
            throw ValidationError("the environment variable \(name) is not set")
        }
        return value
    }

    /// The process environment's value for `name`.
    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
