import Collectives
import Model
import OneDNN
import StrataTrainingFixtures
import Training
import XCTest

/// The trainer's dense GEMM kernels (`model.gemm`, `model.precision`): the
/// ranks agree on them, a checkpoint keeps them, and bf16 costs no quality.
final class DenseKernelTests: XCTestCase {
    /// Rank 0 tunes, every rank adopts: the same kernel per shape on each rank.
    func testRanksRunTheSameKernels() throws {
        var c = TinyConfig.sequenceDLRM()
        c.model.gemm = .auto
        let choices = try LocalCommunicator.run(worldSize: 3) { comm -> [String] in
            try Trainer(config: c, comm: comm).gemmChoices.map { "\($0.shape) \($0.kernel)" }
        }
        XCTAssertFalse(choices[0].isEmpty, "auto registers the model's shapes")
        XCTAssertEqual(choices[1], choices[0])
        XCTAssertEqual(choices[2], choices[0])
    }

    /// `model.gemm: openblas` registers nothing: the path before oneDNN.
    func testOpenBLASPinsEveryGEMM() throws {
        var c = TinyConfig.sequenceDLRM()
        c.model.gemm = .openblas
        let choices = try LocalCommunicator.run(worldSize: 1) { comm in try Trainer(config: c, comm: comm).gemmChoices }
        XCTAssertEqual(choices[0], [])
    }

    /// Quickstart (RunConfig's defaults) trained in fp32 (OpenBLAS) and with
    /// every GEMM that may run bf16 on oneDNN bf16 (forced: tuning keeps
    /// quickstart's narrow layers in fp32), same seed, 250 steps of 256 on one
    /// rank. Measured (Xeon with AVX-512 BF16): forced bf16 moves the eval AUC
    /// by 0.003 to 0.007 at 250 to 1,500 steps (here 0.7385 fp32, 0.7342 bf16),
    /// in either direction, where oneDNN fp32's re-association moves it by
    /// 0.0003; so issue 37's 0.002 is NOT met with bf16 forced on every layer
    /// (docs/benchmarks/precision.md). This holds bf16 training to within 0.01,
    /// which a broken bf16 GEMM (a wrong layout, a lost accumulation) would not
    /// be; 250 steps (not 1,500) because the gap is the same size at every
    /// length tried and the test was a third of the unit suite's time.
    func testBF16QuickstartParity() throws {
        guard OneDNN.hasNativeBF16 else {
            throw XCTSkip("this CPU has no native bf16 (oneDNN ISA \(OneDNN.isa)): model.precision bf16 runs fp32")
        }
        func auc(_ precision: DensePrecision) throws -> Double {
            var c = RunConfig()
            c.run.steps = 250
            c.model.precision = precision
            c.model.gemm = precision == .bf16 ? .onednn : .openblas
            return try LocalCommunicator.run(worldSize: 1) { comm -> Double in
                let t = try Trainer(config: c, comm: comm)
                if precision == .bf16, let gemm = t.model.gemm {
                    gemm.adopt(gemm.sites.map { $0.allowed.contains(.onednnBF16) ? .onednnBF16 : $0.allowed[0] })
                    print("bf16 quickstart kernels:\n" + t.gemmChoices.map(\.description).joined(separator: "\n"))
                }
                for _ in 0..<c.run.steps { t.trainStep() }
                return t.evaluate().auc
            }[0]
        }
        let fp32 = try auc(.fp32), bf16 = try auc(.bf16)
        XCTAssertNotEqual(fp32, bf16, "bf16 ran: the AUCs differ at least in rounding")
        print("quickstart 250 steps: eval AUC fp32 \(fp32), bf16 \(bf16)")
        XCTAssertGreaterThan(fp32, 0.6, "the fp32 run learned")
        XCTAssertEqual(bf16, fp32, accuracy: 0.01)
    }
}
