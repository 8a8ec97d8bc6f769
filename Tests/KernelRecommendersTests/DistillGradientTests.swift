import Collectives
import Tensors
import XCTest
import KernelRecommenders

/// Distill-CF's hand-written vector-Jacobian products against central finite
/// differences: through the kernel and the solve (dL/dS), through the
/// Gumbel-softmax draws (dL/dz), and the same on 2 and 3 ranks.
final class DistillGradientTests: XCTestCase {
    static func targets(_ t: Int, _ d: Int, seed: UInt64) -> [Double] {
        var rng = StrataRNG(seed: seed)
        return (0..<(t * d)).map { _ in rng.next() % 3 == 0 ? 1 : 0 }
    }

    static func summary(_ m: Int, _ d: Int, seed: UInt64) -> [Double] {
        var rng = StrataRNG(seed: seed)
        return (0..<(m * d)).map { _ in Double(rng.next() % 1000) / 1000 }
    }

    func testLossGradientInSummaryMatchesFiniteDifferences() {
        let m = 4, d = 9, t = 7
        let x = Self.targets(t, d, seed: 1), s = Self.summary(m, d, seed: 2)
        let loss = DistillLoss(ntk: NTK(inputs: d), lambda: 0.3, cardinalityReg: 0.01, interactionsPerUser: 3, totalTargets: t)
        let comm = LocalCommunicator()
        let (_, ds) = loss.evaluate(summary: s, rows: m, targets: x, targetRows: t, comm: comm)
        let h = 1e-6
        for i in 0..<(m * d) {
            var up = s, down = s
            up[i] += h; down[i] -= h
            let fd = (loss.evaluate(summary: up, rows: m, targets: x, targetRows: t, comm: comm, gradient: false).loss
                - loss.evaluate(summary: down, rows: m, targets: x, targetRows: t, comm: comm, gradient: false).loss) / (2 * h)
            XCTAssertEqual(ds[i], fd, accuracy: 1e-6 + 1e-4 * abs(fd), "dL/dS[\(i)]")
        }
    }

    func testGumbelBackwardMatchesFiniteDifferences() {
        let m = 3, d = 8
        let g = GumbelDraws(temperature: 0.7, draws: 5, items: d, seed: 3)
        let z = Self.summary(m, d, seed: 4).map { $0 * 3 }
        let weights = Self.summary(m, d, seed: 5).map { $0 - 0.5 }
        // A linear function of the draws: L = Σ weights ⊙ Σ_k y_k.
        func value(_ z: [Double]) -> Double {
            var out = [Double](repeating: 0, count: m * d)
            g.forward(logits: z, rows: 0..<m, items: d, step: 2, into: &out)
            return zip(out, weights).reduce(0) { $0 + $1.0 * $1.1 }
        }
        var dz = [Double](repeating: 0, count: m * d)
        g.backward(logits: z, rows: 0..<m, items: d, step: 2, gradient: weights, into: &dz)
        for i in 0..<(m * d) {
            var up = z, down = z
            up[i] += 1e-6; down[i] -= 1e-6
            XCTAssertEqual(dz[i], (value(up) - value(down)) / 2e-6, accuracy: 1e-6, "dL/dz[\(i)]")
        }
    }

    func testLossAndGradientAreTheSameOnEveryWorldSize() throws {
        let m = 3, d = 10, t = 9
        let x = Self.targets(t, d, seed: 6), s = Self.summary(m, d, seed: 7)
        let loss = DistillLoss(ntk: NTK(inputs: d), lambda: 1, cardinalityReg: 0.001, interactionsPerUser: 3, totalTargets: t)
        let one = loss.evaluate(summary: s, rows: m, targets: x, targetRows: t, comm: LocalCommunicator())
        for size in [2, 3] {
            let results = LocalCommunicator.run(worldSize: size) { comm -> (Double, [Double]) in
                let r = KernelRegression.block(of: t, rank: comm.rank, size: comm.size)
                let local = Array(x[(r.lowerBound * d)..<(r.upperBound * d)])
                let out = loss.evaluate(summary: s, rows: m, targets: local, targetRows: r.count, comm: comm)
                return (out.loss, out.dS)
            }
            for (l, ds) in results {
                XCTAssertEqual(l, one.loss, accuracy: 1e-12)
                for (a, b) in zip(ds, one.dS) { XCTAssertEqual(a, b, accuracy: 1e-12) }
            }
        }
    }
}
