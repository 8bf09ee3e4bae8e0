import Foundation
import Testing

/// The Swift code blocks of a DocC article, for the tests that keep an article's code compiling by
/// holding it word for word in a test file.
enum ArticleCode {
    /// The `swift` code blocks of `Sources/Sluice/Sluice.docc/<name>`, each less a leading
    /// `import Sluice` and blank line.
    static func blocks(ofArticle name: String, testFile: String = #filePath) throws -> [String] {
        var root = URL(fileURLWithPath: testFile)
        while root.lastPathComponent != "Tests", root.pathComponents.count > 1 {
            root = root.deletingLastPathComponent()
        }
        let article = try String(
            contentsOf: root.deletingLastPathComponent().appendingPathComponent("Sources/Sluice/Sluice.docc/\(name)"),
            encoding: .utf8
        )
        return article.components(separatedBy: "```swift\n").dropFirst()
            .map { $0.components(separatedBy: "```")[0] }
            .map { $0.hasPrefix("import Sluice\n\n") ? String($0.dropFirst("import Sluice\n\n".count)) : $0 }
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
                source.contains(code), "the article's block is not in the test file:\n\(code)",
                sourceLocation: sourceLocation)
        }
    }
}
