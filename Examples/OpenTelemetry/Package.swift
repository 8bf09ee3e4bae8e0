// swift-tools-version:6.2
import PackageDescription

// An example of Sluice's tracing and metrics handlers exporting through swift-otel (OTLP/HTTP JSON).
// A package of its own so that swift-otel and its dependencies never enter the main package's
// build; `Examples/OpenTelemetry/run` builds and runs it against a loopback receiver.
let package = Package(
    name: "SluiceOpenTelemetryExample",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Sluice", path: "../.."),
        // Only the OTLP/HTTP exporter: no gRPC stack to build.
        .package(url: "https://github.com/swift-otel/swift-otel.git", exact: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "ExampleOpenTelemetry",
            dependencies: [
                .product(name: "Sluice", package: "Sluice"),
                .product(name: "SluiceMockServer", package: "Sluice"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/ExampleOpenTelemetry",
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        )
    ]
)
