import ArgumentParser
import Foundation
import Model
import Tensors

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
        with the range; ratio = dense / raw GFLOP/s (target >= 0.75).
        """
    )

    @Option(help: "Bottom MLP widths, input first.")
    var bottom = "13,512,256,64,16"

    @Option(help: "Top MLP widths, input first (367 = 16 + 27*26/2 for 26 tables).")
    var top = "367,512,256,1"

    @Option(help: "Batch sizes, comma separated.")
    var batches = "256,2048"

    @Option(help: "Timed repetitions.")
    var reps = 15

    @Option(help: "Untimed repetitions first.")
    var warmup = 3

    @Option(help: "OpenBLAS threads (default: as OPENBLAS_NUM_THREADS, else 1).")
    var threads: Int?

    @Option(help: "Write the report as JSON to FILE ('-': standard output, instead of the table).")
    var json: String?

    func validate() throws {
        for (name, s) in [("--bottom", bottom), ("--top", top)] {
            guard let w = Self.ints(s), w.count >= 2, w.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("\(name) must be at least two positive widths, got '\(s)'")
            }
        }
        guard let b = Self.ints(batches), !b.isEmpty, b.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--batches must be positive integers, got '\(batches)'")
        }
        guard reps > 0, warmup >= 0 else { throw ValidationError("--reps must be positive and --warmup not negative") }
    }

    static func ints(_ s: String) -> [Int]? {
        let parts = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return parts.contains(where: { $0 == nil }) ? nil : parts.map { $0! }
    }

    func run() throws {
        BLAS.setThreads(threads ?? ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap(Int.init) ?? 1)
        let mlps: [(String, [Int], Bool)] = [("bottom", Self.ints(bottom)!, false), ("top", Self.ints(top)!, true)]
        var rows: [GemmBenchRow] = []
        for batch in Self.ints(batches)! {
            for (name, widths, needsDx) in mlps {
                let bench = GemmBenchmark(widths: widths, batch: batch, inputGradient: needsDx)
                rows.append(bench.measureMLP(name: name, reps: reps, warmup: warmup))
                for l in 0..<(widths.count - 1) {
                    rows.append(bench.measureLayer(l, name: "\(name).\(l)", reps: reps, warmup: warmup))
                }
            }
        }
        let report = GemmBenchReport(machine: .current(blasThreads: BLAS.threads), reps: reps, warmup: warmup, rows: rows)
        if let json {
            try BenchFormat.writeJSON(report, to: json)
            if json == "-" { return }
        }
        print(GemmBenchmark.table(rows))
    }
}

struct GemmBenchRow: Codable {
    var name: String
    var shape: String
    var batch: Int
    var gflopPerCall: Double
    var denseGflops: Spread
    var rawGflops: Spread
    /// median dense / median raw
    var ratio: Double
}

struct GemmBenchReport: Codable {
    var machine: BenchMachine
    var reps: Int
    var warmup: Int
    var rows: [GemmBenchRow]
}

/// One MLP's buffers at one batch size, for both paths.
final class GemmBenchmark {
    let widths: [Int]
    let batch: Int
    let inputGradient: Bool
    let params: FlatBuffer<Float>
    let grads: FlatBuffer<Float>
    let mlp: MLP
    let x: FlatBuffer<Float>        // [B x widths[0]]
    let dOut: FlatBuffer<Float>     // [B x widths.last]
    let dx: FlatBuffer<Float>       // [B x widths[0]]
    // The raw path's own activations: y[l], dy[l] [B x widths[l+1]].
    let ys: [FlatBuffer<Float>]
    let dys: [FlatBuffer<Float>]

    init(widths: [Int], batch: Int, inputGradient: Bool) {
        self.widths = widths
        self.batch = batch
        self.inputGradient = inputGradient
        let n = MLP.parameterCount(input: widths[0], widths: Array(widths.dropFirst()))
        params = FlatBuffer(count: n)
        grads = FlatBuffer(count: n)
        mlp = MLP(input: widths[0], widths: Array(widths.dropFirst()), lastActivation: .relu, maxBatch: batch,
                  params: params.pointer, grads: grads.pointer)
        mlp.initialize(seed: 7, firstLayer: 0)
        x = FlatBuffer(count: batch * widths[0])
        dOut = FlatBuffer(count: batch * widths[widths.count - 1])
        dx = FlatBuffer(count: batch * widths[0])
        for i in 0..<x.count { x[i] = StrataRNG.uniform(seed: 3, stream: 0, index: UInt64(i)) }
        for i in 0..<dOut.count { dOut[i] = StrataRNG.uniform(seed: 3, stream: 1, index: UInt64(i)) - 0.5 }
        ys = widths.dropFirst().map { FlatBuffer(count: batch * $0) }
        dys = widths.dropFirst().map { FlatBuffer(count: batch * $0) }
    }

    /// GEMM FLOPs of layer l: forward, dW, and dx unless it is the first layer without an input gradient.
    func flops(layer l: Int) -> Double {
        let p = 2.0 * Double(batch * widths[l] * widths[l + 1])
        return (l == 0 && !inputGradient) ? 2 * p : 3 * p
    }

    /// The bare GEMMs of layer l, on the raw path's own buffers.
    func rawLayer(_ l: Int) {
        let B = batch, I = widths[l], O = widths[l + 1]
        let layer = mlp.layers[l]
        let input = l == 0 ? UnsafePointer(x.pointer) : UnsafePointer(ys[l - 1].pointer)
        BLAS.gemm(transB: true, m: B, n: O, k: I, a: input, lda: I, b: layer.weight, ldb: I, beta: 1, c: ys[l].pointer, ldc: O)
        BLAS.gemm(transA: true, m: O, n: I, k: B, a: dys[l].pointer, lda: O, b: input, ldb: I, beta: 1, c: layer.dWeight, ldc: I)
        if l > 0 || inputGradient {
            let out = l == 0 ? dx.pointer : dys[l - 1].pointer
            BLAS.gemm(m: B, n: I, k: O, a: dys[l].pointer, lda: O, b: layer.weight, ldb: I, beta: 0, c: out, ldc: I)
        }
    }

    func denseMLP() {
        mlp.forward(x.pointer, batch: batch)
        mlp.backward(dOut.pointer, dx: inputGradient ? dx.pointer : nil)
    }

    func denseLayer(_ l: Int) {
        let layer = mlp.layers[l]
        let input = l == 0 ? UnsafePointer(x.pointer) : UnsafePointer(ys[l - 1].pointer)
        layer.forward(x: input, y: ys[l].pointer, batch: batch, relu: true)
        let out: UnsafeMutablePointer<Float>? = (l > 0 || inputGradient) ? (l == 0 ? dx.pointer : dys[l - 1].pointer) : nil
        layer.backward(x: input, y: ys[l].pointer, dy: dys[l].pointer, dx: out, batch: batch, relu: true)
    }

    /// Times `dense` and `raw` alternately (order flipped each repetition).
    static func compare(reps: Int, warmup: Int, flops: Double, dense: () -> Void, raw: () -> Void) -> (Spread, Spread) {
        var d: [Double] = [], r: [Double] = []
        for i in 0..<(warmup + reps) {
            var td = 0.0, tr = 0.0
            for first in [i % 2 == 0, i % 2 != 0] {
                let t0 = Date.timeIntervalSinceReferenceDate
                if first { dense() } else { raw() }
                let dt = Date.timeIntervalSinceReferenceDate - t0
                if first { td = dt } else { tr = dt }
            }
            if i >= warmup { d.append(flops / td / 1e9); r.append(flops / tr / 1e9) }
        }
        return (Spread(d), Spread(r))
    }

    func measureMLP(name: String, reps: Int, warmup: Int) -> GemmBenchRow {
        let f = (0..<(widths.count - 1)).map { flops(layer: $0) }.reduce(0, +)
        let (d, r) = Self.compare(reps: reps, warmup: warmup, flops: f, dense: denseMLP) {
            for l in 0..<(self.widths.count - 1) { self.rawLayer(l) }
        }
        return GemmBenchRow(name: name, shape: widths.map(String.init).joined(separator: "-"), batch: batch,
                            gflopPerCall: f / 1e9, denseGflops: d, rawGflops: r, ratio: d.median / r.median)
    }

    func measureLayer(_ l: Int, name: String, reps: Int, warmup: Int) -> GemmBenchRow {
        let f = flops(layer: l)
        let (d, r) = Self.compare(reps: reps, warmup: warmup, flops: f, dense: { denseLayer(l) }, raw: { rawLayer(l) })
        return GemmBenchRow(name: name, shape: "\(widths[l])x\(widths[l + 1])", batch: batch,
                            gflopPerCall: f / 1e9, denseGflops: d, rawGflops: r, ratio: d.median / r.median)
    }

    static func table(_ rows: [GemmBenchRow]) -> String {
        BenchFormat.table(
            ["gemm", "shape", "batch", "GFLOP/call", "dense GFLOP/s (min-max)", "raw GFLOP/s (min-max)", "dense/raw"],
            rows.map { r in
                [r.name, r.shape, "\(r.batch)", BenchFormat.fixed(r.gflopPerCall, 4), r.denseGflops.text(1),
                 r.rawGflops.text(1), BenchFormat.fixed(r.ratio * 100, 0) + " %"]
            })
    }
}
