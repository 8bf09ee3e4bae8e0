// libFuzzer entry points for Sluice's fuzz targets. scripts/fuzz compiles this folder with
// `@testable import Sluice` (a Sluice module built with -enable-testing) and links libFuzzer's
// main. One binary holds every target; SLUICE_FUZZ_TARGET picks the one a run exercises.
//
// SLUICE_FUZZ_EXCLUDE (comma-separated) names classes of known crashes to steer around, so that a
// run can look for other bugs while a fix is pending; see Fuzz/known-crashes.

@testable import Sluice

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A fuzz target: takes one input, must return normally for every input.
typealias FuzzTarget = @Sendable ([UInt8]) -> Void

/// What the current process fuzzes, read once at start.
enum FuzzSettings {
    nonisolated(unsafe) static var target: FuzzTarget = { _ in }
    nonisolated(unsafe) static var excluded: Set<String> = []

    static func isExcluded(_ name: String) -> Bool { excluded.contains(name) }
}

let fuzzTargets: [String: FuzzTarget] = [
    "sse": FuzzSSE.run,
    "openai": FuzzOpenAI.run,
    "anthropic": FuzzAnthropic.run,
    "errors": FuzzErrors.run,
    "headers": FuzzHeaders.run,
    "json": FuzzJSON.run,
    "resp": FuzzRESP.run,
]

private func environment(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let name = environment("SLUICE_FUZZ_TARGET") ?? ""
    guard let target = fuzzTargets[name] else {
        let names = fuzzTargets.keys.sorted().joined(separator: ", ")
        printToStandardError("fuzz-sluice: set SLUICE_FUZZ_TARGET to one of: \(names)\n")
        exit(2)
    }
    FuzzSettings.target = target
    let excluded = (environment("SLUICE_FUZZ_EXCLUDE") ?? "").split(separator: ",").map {
        String($0).trimmingFuzzSpaces
    }
    FuzzSettings.excluded = Set(excluded.filter { !$0.isEmpty })
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    FuzzSettings.target(bytes)
    return 0
}

/// Stops the run with a message libFuzzer records as a crash: a property the target checks is false.
func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition() {
        printToStandardError("fuzz check failed at \(file):\(line): \(message())\n")
        abort()
    }
}

extension String {
    var trimmingFuzzSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" || first == "\n" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" || last == "\n" { slice.removeLast() }
        return String(slice)
    }
}

func printToStandardError(_ text: String) {
    var text = text
    text.withUTF8 { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}
