import ArgumentParser
import Foundation
import Benchmarking

/// `strata bench gemm`: the MLP's GEMMs through Strata's dense path
/// (`MLP.forward`/`MLP.backward`, which call `Linear` and `BLAS.gemm`, plus the
/// bias, ReLU and bias-gradient loops around them) against the same GEMMs as bare
/// `BLAS.gemm` calls on the same shapes. Both count only GEMM FLOPs
/// (2 B I O per product), so the ratio is the share of the dense path's time
/// spent in the BLAS calls themselves.
struct BenchGemm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "The MLP's GEMM shapes: Strata's dense path vs raw OpenBLAS, in GFLOP/s.",
        discussion: """
        Per MLP (default: the Kaggle shape, bottom 13-512-256-64-16 and top \
        367-512-256-1) and batch (default 256 and 2048): forward plus both backward \
        GEMMs (dW = dy^T x and dx = dy W; the bottom MLP's first layer has no dx, as \
        in training), once through MLP/Linear and once as bare BLAS.gemm calls, \
        alternating in each repetition. Per layer rows follow. Medians over --reps \
        with the range (default 15 after 3 untimed); ratio = dense / raw GFLOP/s (target >= 0.75).
        """
    )

    @Option(help: "Bottom MLP widths, input first.")
    var bottom = "13,512,256,64,16"

    @Option(help: "Top MLP widths, input first (367 = 16 + 27*26/2 for 26 tables).")
    var top = "367,512,256,1"

    @Option(help: "Batch sizes, comma separated.")
    var batches = "256,2048"

    @OptionGroup var bench: BenchOptions

    func validate() throws {
        for (name, s) in [("--bottom", bottom), ("--top", top)] {
            guard let w = BenchOptions.ints(s), w.count >= 2, w.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("\(name) must be at least two positive widths, got '\(s)'")
            }
        }
        guard let b = BenchOptions.ints(batches), !b.isEmpty, b.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--batches must be positive integers, got '\(batches)'")
        }
    }

    func run() throws {
        try GemmBenchmark.run(bottom: BenchOptions.ints(bottom)!, top: BenchOptions.ints(top)!, batches: BenchOptions.ints(batches)!,
                              settings: bench.settings(reps: 15, warmup: 3))
    }
}
