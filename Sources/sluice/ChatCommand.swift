import ArgumentParser
import Sluice

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `sluice chat`: one chat call to an OpenAI-compatible server or Anthropic, printed as it arrives.
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Send one prompt and print the reply, then the usage.",
        discussion: """
            The API key is read from the environment variable named by --api-key-env (default \
            OPENAI_API_KEY or ANTHROPIC_API_KEY); it is never printed. Without --provider, the \
            provider is the one whose key variable is set. The reply goes to stdout; the usage \
            summary to stderr. Exits non-zero with the typed error's message on failure. --log-level debug logs what each layer does to stderr (rate-limit \
            waits, attempts, response heads, retries); trace adds every streamed chunk.
            """
    )

    @OptionGroup var target: ProviderOptions

    @Option(help: "The model to call.")
    var model: String

    @Flag(help: "Stream the reply, printing tokens as they arrive.")
    var stream = false

    @Option(help: "The most output tokens.")
    var maxTokens: Int?

    @Option(help: "A system prompt.")
    var system: String?

    @Argument(help: "The prompt.")
    var prompt: String

    @OptionGroup var logging: LogLevelOption

    func validate() throws {
        guard target.apiKeyEnvs.count <= 1 else { throw ValidationError("sluice chat takes one --api-key-env") }
    }

    func run() async throws {
        let chosen = try target.chosenProvider()
        let keyVariable = target.keyVariables(for: chosen)[0]
        let key = try ProviderOptions.secret(inVariable: keyVariable)
        let base = target.baseURL(for: chosen)
        var configuration: LLMClient.Configuration =
            chosen == .openAI ? .openAI(apiKey: key, baseURL: base) : .anthropic(apiKey: key, baseURL: base)
        configuration.eventHandlers += logging.eventHandlers(label: "sluice.chat")

        var messages: [ChatMessage] = []
        if let system { messages.append(.system(system)) }
        messages.append(.user(prompt))
        let request = ChatRequest(model: model, messages: messages, maxOutputTokens: maxTokens)

        do {
            try await withLLMClient(configuration) { client in
                let reply: ChatResponse
                if stream {
                    reply = try await client.streamChat(request) { event in
                        if case .textDelta(let text) = event {
                            print(text, terminator: "")
                            fflush(nil)
                        }
                    }
                    print()
                } else {
                    reply = try await client.chat(request)
                    print(reply.text)
                }
                for call in reply.toolCalls {
                    print("tool call \(call.id): \(call.name)(\(call.arguments))")
                }
                // The reply alone goes to stdout, so that `sluice chat … > reply.txt` keeps only it.
                var standardError = StandardError()
                print(Self.summary(reply), to: &standardError)
            }
        } catch let error as SluiceError {
            var standardError = StandardError()
            print("error: \(error)", to: &standardError)
            throw ExitCode(1)
        }
    }

    static func summary(_ reply: ChatResponse) -> String {
        var parts: [String] = []
        if let usage = reply.usage {
            parts.append("input \(usage.inputTokens)")
            if let cached = usage.cachedInputTokens, cached > 0 { parts.append("cached \(cached)") }
            parts.append("output \(usage.outputTokens)")
            if let reasoning = usage.reasoningTokens, reasoning > 0 { parts.append("reasoning \(reasoning)") }
        } else {
            parts.append("usage not reported")
        }
        if let reason = reply.finishReason { parts.append("finish \(reason)") }
        if let id = reply.requestID { parts.append("request \(id)") }
        return "[" + parts.joined(separator: ", ") + "]"
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var text = string
        text.withUTF8 { bytes in
            #if canImport(Glibc)
                _ = Glibc.write(2, bytes.baseAddress, bytes.count)
            #else
                _ = Darwin.write(2, bytes.baseAddress, bytes.count)
            #endif
        }
    }
}
