// swift-tools-version:6.2
import PackageDescription

var strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]
// scripts/test (and so CI) builds the package's own targets with every warning as an error.
if Context.environment["SLUICE_WARNINGS_AS_ERRORS"] == "1" {
    strictSettings.append(.treatAllWarnings(as: .error))
}

let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Sluice", targets: ["Sluice"]),
        .library(name: "SluiceTesting", targets: ["SluiceTesting"]),
        .library(name: "SluiceMockServer", targets: ["SluiceMockServer"]),
        .library(name: "SluiceRedis", targets: ["SluiceRedis"]),
        .executable(name: "sluice", targets: ["sluice"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .target(
            name: "CCurl",
            linkerSettings: [.linkedLibrary("curl")]
        ),
        .target(
            name: "Sluice",
            dependencies: [
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SluiceTesting",
            dependencies: ["Sluice"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SluiceMockServer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Shared limits across processes on Redis: a RESP client over SwiftNIO (no C library, calls
        // never block a thread) and a RateLimitStore on it. A product of its own so that users of
        // the core link nothing extra.
        .target(
            name: "SluiceRedis",
            dependencies: [
                "Sluice",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "Sluice",
                "SluiceMockServer",
                "SluiceRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SluiceRedisTests",
            dependencies: ["SluiceRedis"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SluiceTests",
            dependencies: ["Sluice", "SluiceTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SluiceMockServerTests",
            dependencies: [
                "SluiceMockServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/SluiceMockServerTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SluiceCommandTests",
            dependencies: ["sluice", "Sluice", "SluiceMockServer"],
            path: "Tests/SluiceCommandTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Sluice", "SluiceTesting", "SluiceMockServer", "SluiceRedis"],
            path: "IntegrationTests",
            // The official Python SDKs' check against the mock server, run by scripts/test.
            exclude: ["SDK"],
            swiftSettings: strictSettings
        ),
        // Examples/: small runnable programs, one folder each (see Examples/README.md).
        .executableTarget(
            name: "ExampleChat",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/Chat",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleStreaming",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/Streaming",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleSharedLimits",
            dependencies: ["Sluice", "SluiceMockServer", "SluiceRedis"],
            path: "Examples/SharedLimits",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleKeyPool",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/KeyPool",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleCustomHandler",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/CustomHandler",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleUsageTracking",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/UsageTracking",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleSpendBudgets",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/SpendBudgets",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleMapReduce",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/MapReduce",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleBatch",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/Batch",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleHandlers",
            dependencies: ["Sluice", "SluiceMockServer", .product(name: "Logging", package: "swift-log")],
            path: "Examples/Handlers",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleFallback",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/Fallback",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleRetryAndTimeout",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/RetryAndTimeout",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleWorkerPool",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/WorkerPool",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleToolCalls",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/ToolCalls",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleThinkingToolLoop",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/ThinkingToolLoop",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleCachedPromptBatch",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/CachedPromptBatch",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleLearnedLimits",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/LearnedLimits",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ExampleScriptedToolCalls",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/ScriptedToolCalls",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ExampleMockServerTests",
            dependencies: ["Sluice", "SluiceMockServer"],
            path: "Examples/TestingWithMockServer",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
    ]
)
