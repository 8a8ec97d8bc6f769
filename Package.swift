// swift-tools-version:6.0
import PackageDescription

// Strata: a sequence-DLRM trainer over MPI.
//
// Public API: the `strata` executable. Everything else is an implementation
// module; the dependency direction is the one in docs/DESIGN.md (Tensors and
// Sparse at the bottom, the CLI at the top, and only CollectivesMPI touching MPI).
let package = Package(
    name: "Strata",
    products: [
        .executable(name: "strata", targets: ["strata"]),
        // `strata serve` and `strata loadgen` (strata execs it): the only product with the HTTP stack.
        .executable(name: "strata-serve", targets: ["strata-serve"]),
        // For Benchmarks/ (a separate package, `.package(path: "../")`): the trainer and a world of one.
        .library(name: "StrataTraining", targets: ["Training", "Collectives", "Data"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        // Serving only (ServingHTTP): the HTTP server, /metrics, SIGTERM, load-test percentiles.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        // Already under Hummingbird; named because InferenceServer imports NIOCore and Logging itself.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.0.0"),
    ],
    targets: [
        // MARK: Implementation details: C shims, no Swift API.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),

        // oneDNN (Debian's libdnnl-dev, no pkg-config file): imported by OneDNN only.
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),

        // zlib (Debian's zlib1g-dev): imported by CriteoPipeline only.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // ScaLAPACK and BLACS (Debian's libscalapack-openmpi-dev): imported by ScaLAPACK only.
        .systemLibrary(name: "CScaLAPACK", path: "Sources/CScaLAPACK", providers: [.apt(["libscalapack-openmpi-dev"])]),

        // The compiler's prefetch hint (a header, no library).
        .systemLibrary(name: "CPrefetch", path: "Sources/CPrefetch"),

        // MARK: Modules.
        .target(name: "Tensors", dependencies: ["COpenBLAS", "CPrefetch"]),
        // oneDNN matmul primitives (fp32, bf16 with f32 accumulation) and the CPU's ISA.
        .target(name: "OneDNN", dependencies: ["CDNNL", "Tensors"]),
        // Dense layers (forward and backward side by side); never imports Collectives.
        // Their GEMMs run on OpenBLAS (through Tensors) or oneDNN (through OneDNN), tuned per shape.
        .target(name: "Model", dependencies: ["Tensors", "OneDNN"]),
        // Plain values in, plain values out: no Collectives, MPI, ArgumentParser or Yams.
        .target(name: "Sparse"),
        .target(name: "Data", dependencies: ["Sparse", "Tensors"]),
        .target(name: "Cluster"),
        // The run kit, under every module that writes a run: the run folder (atomic whole
        // files, JSON lines, the config echo), the one plot type every SVG is drawn with,
        // the input and file-system error sentences, StrataJSON. Foundation only.
        // Collectives re-exports it.
        .target(name: "RunKit"),
        .target(name: "Collectives", dependencies: ["Cluster", "RunKit"]),
        .target(name: "Sharding", dependencies: ["Cluster", "Data"]),
        .target(name: "ShardedEmbeddings", dependencies: ["Cluster", "Collectives", "Sharding", "Model", "Tensors"]),
        // Test support, no XCTest (the multi-rank suites use it too), split so a test target links only what it tests.
        // The finite-difference checker and seeded buffers: layers' tests link Tensors, not the trainer.
        .target(name: "StrataTestSupport", dependencies: ["Tensors"]),
        // Trainer-level fixtures: tiny configs, predicted against measured traffic per phase.
        .target(name: "StrataTrainingFixtures", dependencies: ["Training", "ShardedEmbeddings", "Collectives"]),
        .target(name: "Training", dependencies: ["Cluster", "ShardedEmbeddings", "Data", "Model", "Collectives", "Sharding", "Tensors", "RunKit"]),
        .target(name: "CollectivesMPI", dependencies: ["Collectives", "CMPI"]),
        // Sweep fits: L(x) = a * x^(-b) + c, bootstrap, held-out check, the fit drawn as a RunKit Plot. Pure Swift.
        .target(name: "ScalingLaws", dependencies: ["Tensors", "RunKit"]),
        // Scaling-law sweeps: specs, points, the coordinator and worker groups
        // (over the Communicator protocol only), runs.csv, fits.json, plots.
        .target(name: "Sweep", dependencies: ["Training", "Collectives", "ScalingLaws", "RunKit"]),
        // ∞-AE and Distill-CF: closed-form kernel recommenders over the Communicator protocol.
        // Block-cyclic layouts, the redistribution between them, and ScaLAPACK's
        // Cholesky, eigendecomposition and products over MPI ranks.
        .target(name: "ScaLAPACK", dependencies: ["CScaLAPACK", "Collectives", "CollectivesMPI"]),
        .target(name: "KernelRecommenders", dependencies: ["Tensors", "Data", "Collectives", "ScaLAPACK", "RunKit"]),

        // DataPerf's selection and debugging tracks on recommendation data: task specs,
        // submissions, the frozen trainer over worker groups, baselines, leaderboards.
        .target(name: "DataPerf", dependencies: ["Training", "Data", "Sparse", "Model", "Collectives", "Tensors", "KernelRecommenders", "RunKit"]),

        // Criteo at terabyte scale: gzip day files streamed through zlib, parsed
        // from bytes, vocabularies counted and merged across ranks, shards written
        // in parallel over the Communicator protocol (read back by Data's CriteoShardSet).
        .target(name: "CriteoPipeline", dependencies: ["CZlib", "Data", "Collectives", "Tensors"]),

        // `strata bench`: GEMMs, embedding kernels, communication, whole steps
        // (measurement and reports; the CLI only parses options).
        .target(name: "Benchmarking", dependencies: ["Training", "Model", "Tensors", "Collectives", "CollectivesMPI", "OneDNN", "Sharding"]),
        // Inference: the engine over a merged checkpoint, request decoding, the
        // sub-batch queue, Hercules' (m, t, b) search and provisioner. No HTTP.
        .target(name: "Serving", dependencies: ["Training", "Model", "Tensors", "Data", "Collectives", "Sharding", "ScalingLaws"]),
        // The HTTP face of Serving (Hummingbird, Prometheus, service lifecycle)
        // and the open-loop load generator (HdrHistogram); the only module importing them.
        .target(name: "ServingHTTP", dependencies: [
            "Serving", "Tensors", "ScalingLaws",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),

        // GEVO on CPU: an LLVM IR editor, NSGA-II over (runtime, error), kernels as C
        // compiled by Debian's LLVM 14, generations spread over worker ranks.
        .target(name: "Evolve", dependencies: ["Collectives", "ScalingLaws", "Tensors", "RunKit"]),

        // Federated learning on ranks (Flower's conventions) and FEL: rank 0 the
        // server, the others host clients; over the Communicator protocol only.
        .target(name: "Federated", dependencies: ["Model", "Tensors", "Collectives", "Data", "RunKit"]),
        // Device heterogeneity on the federated runtime: RF^2's tiers, tier-aware
        // optimizations and fairness; FedGPO's learned (B, E, K) per round.
        .target(name: "FedHetero", dependencies: ["Federated", "Model", "Collectives", "Tensors", "RunKit"]),

        // MARK: Executables.
        // What both executables share: YAML configs with --set overrides, input failures (exit 2),
        // the serving commands' one-line help.
        .target(name: "CLISupport", dependencies: [
            "Collectives", "Data", "Sharding", "Training",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // Everything but serving; builds without the HTTP stack (Launch/train builds only this).
        .executableTarget(name: "strata", dependencies: [
            "CLISupport", "Collectives", "CollectivesMPI", "Tensors", "Model", "Training", "Sharding", "Data", "Sweep", "ShardedEmbeddings",
            "Cluster", "Benchmarking", "KernelRecommenders", "Serving", "Evolve", "Federated", "FedHetero", "DataPerf", "CriteoPipeline",
            "RunKit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // `strata serve` and `strata loadgen`, exec'd by `strata` (Sources/strata/ServingHandOver.swift).
        .executableTarget(name: "strata-serve", dependencies: [
            "CLISupport", "Serving", "ServingHTTP", "Tensors", "Model", "Training", "Data", "RunKit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        // Multi-rank checks run under mpirun by Launch/test (see Tests/MPI).
        .executableTarget(name: "strata-mpitest", dependencies: [
            "Collectives", "CollectivesMPI", "Tensors", "Training", "Sharding", "StrataTrainingFixtures", "Data",
            "ScaLAPACK", "KernelRecommenders",
        ]),

        // MARK: Tests.
        .testTarget(name: "RunKitTests", dependencies: ["RunKit"]),
        .testTarget(name: "CollectivesTests", dependencies: ["Collectives"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"]),
        .testTarget(name: "OneDNNTests", dependencies: ["OneDNN", "Tensors"]),
        .testTarget(name: "ShardingTests", dependencies: ["Sharding", "Cluster"]),
        .testTarget(name: "ShardedEmbeddingsTests", dependencies: ["ShardedEmbeddings", "Sharding", "Cluster", "Collectives", "Data", "Model", "Tensors",
                                                                   "Training", "StrataTrainingFixtures"]),
        // Tests only: a per-thread malloc counter (overrides the C library's malloc in the test executable).
        .target(name: "MallocCounter", path: "Tests/MallocCounter"),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "StrataTrainingFixtures", "Collectives", "Sharding", "Data", "Sparse",
                                                          "ShardedEmbeddings", "MallocCounter", "Model", "OneDNN", "Tensors"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Tensors", "StrataTestSupport", "OneDNN"]),
        .testTarget(name: "SparseTests", dependencies: ["Sparse"]),
        .testTarget(name: "CriteoPipelineTests", dependencies: ["CriteoPipeline", "Data", "Collectives", "Tensors"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "Sparse", "Tensors"]),
        .testTarget(name: "ScalingLawsTests", dependencies: ["ScalingLaws", "Tensors", "RunKit"]),
        // Tests only: a trained tiny run, request bodies, a served model with random weights.
        .target(name: "ServingTestSupport", dependencies: ["Serving", "Training", "Collectives", "Data", "Sparse", "StrataTrainingFixtures"],
                path: "Tests/ServingTestSupport"),
        .testTarget(name: "ServingTests", dependencies: ["Serving", "ServingTestSupport", "Training", "Data"]),
        // The HTTP server on a real loopback socket, the open-loop load generator against it.
        .testTarget(name: "ServingHTTPTests", dependencies: ["ServingHTTP", "Serving", "ServingTestSupport", "Training", "Data",
                                                             "StrataTrainingFixtures"]),
        // Medians, spreads and the tables every `strata bench` report prints.
        .testTarget(name: "BenchmarkingTests", dependencies: ["Benchmarking"]),
        .testTarget(name: "EvolveTests", dependencies: ["Evolve", "Collectives", "ScalingLaws", "Tensors"]),
        .testTarget(name: "SweepTests", dependencies: ["Sweep", "Training", "Collectives", "ScalingLaws"]),
        .testTarget(name: "CLISupportTests", dependencies: ["CLISupport", "Collectives", "Training", "Data", "Federated", "DataPerf",
                                                   .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "ScaLAPACKTests", dependencies: ["ScaLAPACK", "Collectives"]),
        .testTarget(name: "KernelRecommendersTests", dependencies: ["KernelRecommenders", "Collectives", "Tensors"]),
        .testTarget(name: "DataPerfTests", dependencies: ["DataPerf", "Training", "Data", "Collectives"]),
        .testTarget(name: "FederatedTests", dependencies: ["Federated", "Data", "Tensors", "Collectives"]),
        .testTarget(name: "FedHeteroTests", dependencies: ["FedHetero", "Federated", "Tensors", "Collectives"]),
    ],
    swiftLanguageModes: [.v5]
)
