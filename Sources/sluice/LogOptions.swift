import ArgumentParser
import Logging
import Sluice

/// `--log-level LEVEL`, shared by the `sluice` subcommands: logs to stderr at a swift-log level.
///
/// Without the option nothing is logged. With it, a command makes its loggers with
/// ``makeLogger(label:)`` (a `StreamLogHandler` on stderr at that level; no global
/// `LoggingSystem.bootstrap`, so it never clashes with another part of the process), and a command
/// that uses an `LLMClient` adds ``eventHandlers(label:)`` to the client's `eventHandlers`, a
/// `LoggingEventHandler` that logs what each layer does:
///
/// | level | what `LoggingEventHandler` logs |
/// |---|---|
/// | `trace` | everything below, plus every streamed chunk (with its text) |
/// | `debug` | each call's lifecycle: started, rate-limit and permit waits, attempts, response heads (status, rate-limit headers), first token, usage settled, succeeded |
/// | `info`, `notice` | nothing more than `warning` from the client (other loggers may use them) |
/// | `warning` | retries scheduled, retry budget spent, timeouts, key cooldowns after a 429, keys removed |
/// | `error`, `critical` | failed calls, with the error code and the provider's message |
///
/// ```swift
/// struct Chat: AsyncParsableCommand {
///     @OptionGroup var logging: LogLevelOption
///
///     func run() async throws {
///         var configuration = LLMClient.Configuration.openAI(apiKey: "sk-…")
///         configuration.eventHandlers += logging.eventHandlers(label: "sluice.chat")
///         try await withLLMClient(configuration) { client in
///             print(try await client.chat("Hi", model: "gpt-4o-mini").text)
///         }
///     }
/// }
/// ```
///
/// Keys never appear in the log: events carry the key's short id or label.
struct LogLevelOption: ParsableArguments {
    @Option(
        name: .customLong("log-level"),
        help: ArgumentHelp(
            "Log what each layer does to stderr at this level: trace, debug, info, notice, warning, error, critical (default: no logging).",
            valueName: "level"))
    var rawLevel: String?

    /// The chosen level, or `nil` when logging is off.
    var level: Logger.Level? {
        rawLevel.flatMap { Logger.Level(rawValue: $0.lowercased()) }
    }

    func validate() throws {
        if let rawLevel, Logger.Level(rawValue: rawLevel.lowercased()) == nil {
            throw ValidationError(
                "unknown --log-level '\(rawLevel)': use trace, debug, info, notice, warning, error or critical")
        }
    }

    /// A logger writing to stderr at the chosen level, or `nil` when logging is off.
    func makeLogger(label: String) -> Logger? {
        guard let level else { return nil }
        var logger = Logger(label: label, factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = level
        return logger
    }

    /// A logger writing to stderr at the chosen level; when logging is off, one that drops everything.
    func logger(label: String) -> Logger {
        makeLogger(label: label) ?? Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() })
    }

    /// The handlers to add to an `LLMClient`'s `eventHandlers`: a `LoggingEventHandler` on the
    /// stderr logger, or none when logging is off.
    func eventHandlers(label: String) -> [any ClientEventHandler] {
        guard let logger = makeLogger(label: label) else { return [] }
        return [LoggingEventHandler(logger: logger)]
    }
}
