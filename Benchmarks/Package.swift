// swift-tools-version:6.1
import PackageDescription

// Strata's benchmarks, a separate package in the NIO style (docs/benchmarks/performance.md, "Heap allocations per step"):
// the main package never depends on it. `swift package benchmark` (ordo-one's
// plugin) runs them; the default metric is mallocCountTotal per training step.
let package = Package(
    name: "StrataBenchmarks",
    dependencies: [
        .package(name: "Strata", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "TrainStep",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "StrataTraining", package: "Strata"),
            ],
            path: "Benchmarks/TrainStep",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v5]
)
