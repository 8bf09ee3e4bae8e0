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

    /// A `swift` block of a `///` doc comment: where it starts and its code, less its leading
    /// `import` lines.
    struct SymbolSample {
        /// `Sources/…/File.swift:line`, the line of the opening fence.
        let location: String
        let code: String
    }

    /// The `swift` blocks of the `///` doc comments of every Swift file under Sources (DocC renders
    /// them on the symbols' pages): each line less its `///` and one space after it, a block ending
    /// at its closing fence.
    static func symbolSamples() -> [SymbolSample] {
        let sources = root.appendingPathComponent("Sources")
        let enumerator = FileManager.default.enumerator(
            at: sources, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles])
        let files = (enumerator?.allObjects as? [URL] ?? []).filter { $0.pathExtension == "swift" }
            .sorted { $0.path < $1.path }
        return files.flatMap { file -> [SymbolSample] in
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
            let relative = String(file.path.dropFirst(root.path.count + 1))
            return symbolSamples(inSource: text, file: relative)
        }
    }

    /// The `swift` blocks of the `///` comments of one Swift source text.
    static func symbolSamples(inSource text: String, file: String) -> [SymbolSample] {
        var samples: [SymbolSample] = []
        var open: (line: Int, code: [String])?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop(while: \.isWhitespace)
            guard trimmed.hasPrefix("///") else {
                open = nil  // a comment that ends without its closing fence holds no sample
                continue
            }
            var content = trimmed.dropFirst(3)
            if content.first == " " { content = content.dropFirst() }
            if var block = open {
                if content.hasPrefix("```") {
                    samples.append(SymbolSample(
                        location: "\(file):\(block.line)",
                        code: ArticleCode.droppingImports(block.code.joined(separator: "\n") + "\n")))
                    open = nil
                } else {
                    block.code.append(String(content))
                    open = block
                }
            } else if content == "```swift" {
                open = (index + 1, [])
            }
        }
        return samples
    }

    @Test("every Swift block of a doc comment under Sources is compiled code")
    func everySymbolSampleCompiles() {
        let sources = Self.compiledSources()
        let samples = Self.symbolSamples()
        for sample in samples {
            #expect(
                sources.contains { ArticleCode.contains($0, sample.code) },
                "\(sample.location): this sample is in no compiled Swift file:\n\(sample.code)")
        }
        #expect(samples.count >= 100, "found only \(samples.count) samples; the search for doc comments is broken")
    }

    @Test("a doc comment's Swift block is read without its slashes, up to its closing fence")
    func symbolSampleExtraction() {
        let source = """
            /// A type.
            ///
            /// ```swift
            /// let a = 1
            ///     print(a)
            /// ```
            ///
            /// ```text
            /// not swift
            /// ```
            struct A {}
            """
        let samples = Self.symbolSamples(inSource: source, file: "A.swift")
        #expect(samples.map(\.location) == ["A.swift:3"])
        #expect(samples.first?.code == "let a = 1\n    print(a)\n")
    }

    /// The names in `.product(name: "…"` of a manifest fragment.
    static func productNames(in fragment: String) -> [String] {
        fragment.components(separatedBy: ".product(name: \"").dropFirst()
            .map { String($0.prefix { $0 != "\"" }) }
    }
}
