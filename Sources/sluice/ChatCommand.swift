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
            provider is the one whose key variable is set, and stderr says which. The reply goes to \
            stdout; the usage summary to stderr. With --json, stdout holds exactly one JSON object: \
            provider, model, id, text, thinking, tool_calls (id, name, arguments), finish_reason, \
            usage (input_tokens, output_tokens, cached_input_tokens, cache_creation_input_tokens, \
            reasoning_tokens) and request_id. Exits non-zero with the typed error's message on \
            stderr on failure. --log-level debug logs what each layer does to stderr (rate-limit \
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

    @Flag(help: "Print the reply as one JSON object on stdout (streamed text is not printed as it arrives).")
    var json = false

    @OptionGroup var logging: LogLevelOption

    func validate() throws {
        guard target.apiKeyEnvs.count <= 1 else { throw ValidationError("sluice chat takes one --api-key-env") }
    }

    func run() async throws {
        let chosen = try target.chosenProvider()
        var standardError = StandardError()
        if target.provider == nil { print("provider: \(chosen) (from the keys set)", to: &standardError) }
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
                        if !json, case .textDelta(let text) = event {
                            print(text, terminator: "")
                            fflush(nil)
                        }
                    }
                    if !json { print() }
                } else {
                    reply = try await client.chat(request)
                    if !json { print(reply.text) }
                }
                if json {
                    print(Self.json(reply).description)
                } else {
                    for call in reply.toolCalls {
                        print("tool call \(call.id): \(call.name)(\(call.arguments))")
                    }
                }
                // The reply alone goes to stdout, so that `sluice chat … > reply.txt` keeps only it.
                print(Self.summary(reply), to: &standardError)
            }
        } catch let error as SluiceError {
            print("error: \(error)", to: &standardError)
            throw ExitCode(1)
        }
    }

    /// The reply as `--json` prints it.
    static func json(_ reply: ChatResponse) -> JSONValue {
        var object: JSONObject = [
            "provider": .string(reply.provider.name), "model": .string(reply.model), "id": .string(reply.id),
            "text": .string(reply.text),
            "tool_calls": .array(
                reply.toolCalls.map { ["id": .string($0.id), "name": .string($0.name), "arguments": .string($0.arguments)] }),
            "finish_reason": reply.finishReason.map { .string($0.raw) } ?? .null,
            "request_id": reply.requestID.map { .string($0) } ?? .null,
        ]
        if !reply.thinkingText.isEmpty { object["thinking"] = .string(reply.thinkingText) }
        if let usage = reply.usage {
            var counts: JSONObject = [
                "input_tokens": .number(JSONNumber(usage.inputTokens)), "output_tokens": .number(JSONNumber(usage.outputTokens)),
            ]
            if let cached = usage.cachedInputTokens { counts["cached_input_tokens"] = .number(JSONNumber(cached)) }
            if let writes = usage.cacheCreationInputTokens { counts["cache_creation_input_tokens"] = .number(JSONNumber(writes)) }
            if let reasoning = usage.reasoningTokens { counts["reasoning_tokens"] = .number(JSONNumber(reasoning)) }
            object["usage"] = .object(counts)
        } else {
            object["usage"] = .null
        }
        return .object(object)
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
