// swift-tools-version:6.2
import PackageDescription

// package-benchmark suites for Sluice. Run them with `scripts/bench` from the repository root, which
// starts the local servers they measure against; see Benchmarks/README.md.
let package = Package(
    name: "SluiceBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Sluice", path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        // Only for the side-by-side driver (Drivers/Compare); never a dependency of Sluice itself.
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/ordo-one/malloc-interposer", exact: "1.6.1"),
    ],
    targets: [
        .executableTarget(
            name: "DecodingBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Sluice", package: "Sluice"),
            ],
            path: "Benchmarks/DecodingBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "TransportBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Sluice", package: "Sluice"),
            ],
            path: "Benchmarks/TransportBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "StackBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Sluice", package: "Sluice"),
                .product(name: "SluiceTesting", package: "Sluice"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/StackBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // A plain program rather than a suite: reservation round trips at p50/p99 and reservations per
        // second at several concurrency levels against a Redis server (`scripts/bench --redis`). In
        // Drivers/ because the benchmark plugin takes for a suite every executable target whose folder
        // sits in a folder named Benchmarks, and this package's own folder is one.
        .executableTarget(
            name: "RedisStoreBenchmark",
            dependencies: [
                .product(name: "Sluice", package: "Sluice"),
                .product(name: "SluiceRedis", package: "Sluice"),
            ],
            path: "Drivers/RedisStore",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // A plain program: one contender of `scripts/bench --compare` per process (CurlTransport,
        // async-http-client or the full LLMClient), chosen by a flag, printing one JSON line.
        .executableTarget(
            name: "Compare",
            dependencies: [
                .product(name: "Sluice", package: "Sluice"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            path: "Drivers/Compare",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // A plain program: the resident memory N concurrent streams cost (`scripts/bench --streams`),
        // through CurlTransport or LLMClient.streamChat, one per process, printing one JSON line.
        .executableTarget(
            name: "Streams",
            dependencies: [
                .product(name: "Sluice", package: "Sluice"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            path: "Drivers/Streams",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
