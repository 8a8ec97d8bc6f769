import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Strata's parts: dense GEMMs, embedding kernels, communication, whole training steps.",
        subcommands: [BenchGemm.self, BenchEmbedding.self, BenchComm.self, BenchTrain.self]
    )
}
