import Foundation
import Testing

/// The Swift code blocks of a DocC article, for the tests that keep an article's code compiling by
/// holding it word for word in a test file. (IntegrationTests compiles this file through a symbolic
/// link, for the articles whose code needs SluiceRedis.)
enum ArticleCode {
    /// The `swift` code blocks of `Sources/Sluice/Sluice.docc/<name>`, each less its leading
    /// `import` lines and the blank line after them.
    static func blocks(ofArticle name: String, testFile: String = #filePath) throws -> [String] {
        var root = URL(fileURLWithPath: testFile)
        while !["Tests", "IntegrationTests"].contains(root.lastPathComponent), root.pathComponents.count > 1 {
            root = root.deletingLastPathComponent()
        }
        let article = try String(
            contentsOf: root.deletingLastPathComponent().appendingPathComponent("Sources/Sluice/Sluice.docc/\(name)"),
            encoding: .utf8
        )
        return article.components(separatedBy: "```swift\n").dropFirst()
            .map { $0.components(separatedBy: "```")[0] }
            .map(Self.droppingImports)
    }

    /// `code` less its leading `import` lines, and the blank line after them.
    static func droppingImports(_ code: String) -> String {
        var lines = code.split(separator: "\n", omittingEmptySubsequences: false)[...]
        guard lines.first?.hasPrefix("import ") == true else { return code }
        while lines.first?.hasPrefix("import ") == true { lines = lines.dropFirst() }
        if lines.first?.isEmpty == true { lines = lines.dropFirst() }
        return lines.joined(separator: "\n")
    }

    /// Expects `count` code blocks in the article, each found word for word in `testFile`.
    static func expectInSync(
        article name: String, count: Int, testFile: String = #filePath,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let blocks = try blocks(ofArticle: name, testFile: testFile)
        let source = try String(contentsOf: URL(fileURLWithPath: testFile), encoding: .utf8)
        #expect(blocks.count == count, sourceLocation: sourceLocation)
        for code in blocks {
            #expect(
                contains(source, code), "the article's block is not in the test file:\n\(code)",
                sourceLocation: sourceLocation)
        }
    }

    /// Whether `source` holds `code` line for line, each line compared without its indentation and
    /// blank lines skipped (so a sample written at the top level can sit inside a function).
    static func contains(_ source: String, _ code: String) -> Bool {
        let needle = lines(code)
        guard !needle.isEmpty else { return true }
        let haystack = "\n" + lines(source).joined(separator: "\n") + "\n"
        return haystack.contains("\n" + needle.joined(separator: "\n") + "\n")
    }

    private static func lines(_ text: String) -> [Substring] {
        text.split(separator: "\n").map { line in line.drop(while: \.isWhitespace) }.filter { !$0.isEmpty }
    }
}
