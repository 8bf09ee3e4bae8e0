import Foundation
import Testing

/// Every `swift` code block of the README and of the DocC articles must be found, line for line, in a
/// Swift file that the package compiles (a test, an integration test or an example): that file
/// compiling is what keeps the sample compiling. A new article or README sample without such a file
/// fails here.
@Suite("Documentation samples")
struct DocumentationSamplesTests {
    /// The package's root directory, found from this file.
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests", url.pathComponents.count > 1 { url = url.deletingLastPathComponent() }
        return url.deletingLastPathComponent()
    }()

    /// The Markdown files whose Swift blocks must compile: the README and every DocC catalog's articles.
    static func documents() throws -> [URL] {
        let sources = root.appendingPathComponent("Sources")
        let catalogs = try FileManager.default.contentsOfDirectory(at: sources, includingPropertiesForKeys: nil)
            .flatMap { target in
                (try? FileManager.default.contentsOfDirectory(at: target, includingPropertiesForKeys: nil)) ?? []
            }
            .filter { $0.pathExtension == "docc" }
        let articles = try catalogs.flatMap { catalog in
            try FileManager.default.contentsOfDirectory(at: catalog, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "md" }
        }
        return [root.appendingPathComponent("README.md")] + articles.sorted { $0.path < $1.path }
    }

    /// The text of every Swift file under Tests, IntegrationTests and Examples, less hidden folders
    /// (a nested package's `.build`, such as Examples/OpenTelemetry's, holds its dependencies' sources).
    static func compiledSources() -> [String] {
        ["Tests", "IntegrationTests", "Examples"].flatMap { folder -> [String] in
            let enumerator = FileManager.default.enumerator(
                at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil, options: [.skipsHiddenFiles])
            return (enumerator?.allObjects as? [URL] ?? [])
                .filter { $0.pathExtension == "swift" && $0.lastPathComponent != "ArticleCode.swift" }
                .compactMap { try? String(contentsOf: $0, encoding: .utf8) }
        }
    }

    /// The `swift` blocks of a Markdown text, each less its leading `import` lines.
    static func blocks(in markdown: String) -> [String] {
        markdown.components(separatedBy: "```swift\n").dropFirst()
            .map { $0.components(separatedBy: "```")[0] }
            .map(ArticleCode.droppingImports)
    }

    @Test("every Swift block of the README and the articles is compiled code")
    func everySampleCompiles() throws {
        let sources = Self.compiledSources()
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var checked = 0
        for document in try Self.documents() {
            let name = document.lastPathComponent
            for block in Self.blocks(in: try String(contentsOf: document, encoding: .utf8)) {
                checked += 1
                if block.hasPrefix(".package(") {
                    // A manifest fragment: the products it names are the package's.
                    for product in Self.productNames(in: block) {
                        #expect(manifest.contains(".library(name: \"\(product)\""), "\(name): no product \(product)")
                    }
                    continue
                }
                #expect(
                    sources.contains { ArticleCode.contains($0, block) },
                    "\(name): this sample is in no compiled Swift file:\n\(block)")
            }
        }
        #expect(checked >= 20, "found only \(checked) samples; the search for documents is broken")
    }

    /// The names in `.product(name: "…"` of a manifest fragment.
    static func productNames(in fragment: String) -> [String] {
        fragment.components(separatedBy: ".product(name: \"").dropFirst()
            .map { String($0.prefix { $0 != "\"" }) }
    }
}
