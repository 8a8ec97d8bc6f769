import Collectives
import Foundation
import Tensors
import XCTest
import KernelRecommenders

/// The kernel and the closed-form predictions against an independent NumPy
/// version of the formulas in the issue (run as a child process), and the
/// Cholesky path against the eigen path.
final class KernelOracleTests: XCTestCase {
    static let oracle = """
    import json, sys
    import numpy as np
    d = json.load(sys.stdin)
    F = np.array(d["fit"], dtype=np.float64); C = np.array(d["context"], dtype=np.float64)
    w2, b2, n = 2.0, 0.01, F.shape[1]
    def ntk(A, B):
        S = w2 * A @ B.T / n + b2
        qa = w2 * (A * A).sum(1) / n + b2; qb = w2 * (B * B).sum(1) / n + b2
        r = np.sqrt(np.outer(qa, qb)); rho = np.clip(S / r, -1, 1); th = np.arccos(rho)
        k1 = r * (np.sin(th) + (np.pi - th) * np.cos(th)) / (2 * np.pi); k0 = (np.pi - th) / (2 * np.pi)
        return w2 * k1 + b2 + w2 * k0 * S
    K = ntk(F, F); Kc = ntk(C, F); m = K.shape[0]
    out = {"kernel": K.tolist(), "cross": Kc.tolist(), "predictions": []}
    for lam in d["lambdas"]:
        out["predictions"].append((Kc @ np.linalg.solve(K + lam * np.trace(K) / m * np.eye(m), F)).tolist())
    print(json.dumps(out))
    """

    static func randomRows(_ rows: Int, _ cols: Int, density: Double, seed: UInt64) -> SparseRows {
        var rng = StrataRNG(seed: seed)
        return SparseRows(columns: cols, rows: (0..<rows).map { _ in
            (0..<cols).filter { _ in Double(rng.next() % 10_000) / 10_000 < density }.map(Int32.init)
        })
    }

    static func dense(_ s: SparseRows) -> [[Double]] {
        var out = [[Double]](repeating: [Double](repeating: 0, count: s.columns), count: s.rows)
        for u in 0..<s.rows { for p in s.offsets[u]..<s.offsets[u + 1] { out[u][Int(s.indices[p])] = s.value(at: p) } }
        return out
    }

    func runOracle(fit: SparseRows, context: SparseRows, lambdas: [Double]) throws -> [String: Any] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", Self.oracle]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        let request: [String: Any] = ["fit": Self.dense(fit), "context": Self.dense(context), "lambdas": lambdas]
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: request))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw XCTSkip("python3 with numpy is not available") }
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func testKernelAndPredictionsMatchNumPy() throws {
        let fit = Self.randomRows(9, 14, density: 0.3, seed: 3)
        let context = Self.randomRows(5, 14, density: 0.4, seed: 4)
        let lambdas = [1e-3, 0.1, 5.0]
        let ref = try runOracle(fit: fit, context: context, lambdas: lambdas)
        let refK = (ref["kernel"] as! [[Double]]).flatMap { $0 }
        let refCross = (ref["cross"] as! [[Double]]).flatMap { $0 }
        let preds = ref["predictions"] as! [[[Double]]]
        for solver in KernelSolver.allCases {
            let model = try KernelRegression(localFit: fit, comm: LocalCommunicator(), ntk: NTK(inputs: 14), solver: solver,
                                             contextRowsPerRank: 5, memoryBudgetBytes: nil)
            for (a, b) in zip(model.kernel, refK) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "\(solver) kernel") }
            for (a, b) in zip(model.contextKernel(context), refCross) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b))) }
            let prepared = try model.prepare(context)
            for (li, lambda) in lambdas.enumerated() {
                let want = preds[li].flatMap { $0 }
                let c = try model.coefficients(prepared, lambda: lambda)
                var got = [Double](repeating: 0, count: 5 * 14)
                got.withUnsafeMutableBufferPointer { model.predict(c, rows: 0..<5, into: $0.baseAddress!) }
                for (a, b) in zip(got, want) {
                    XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "\(solver) lambda \(lambda)")
                }
            }
        }
    }

    /// The NTK's diagonal form equals the generic form at ρ = 1, and the
    /// shortcut for context rows equal to fit rows (eigen: K V = V E;
    /// Cholesky: F - λ'W) equals the general path's K(C,F) product.
    func testDiagonalAndSameAsFitShortcut() throws {
        let ntk = NTK(inputs: 20)
        XCTAssertEqual(ntk.diagonal(norm: 7), ntk.value(dot: 7, normA: 7, normB: 7), accuracy: 1e-12)
        let fit = Self.randomRows(11, 20, density: 0.25, seed: 8)
        for solver in KernelSolver.allCases {
            let model = try KernelRegression(localFit: fit, comm: LocalCommunicator(), ntk: ntk, solver: solver,
                                             contextRowsPerRank: 11, memoryBudgetBytes: nil)
            for lambda in [1e-3, 0.5] {
                let a = try model.coefficients(try model.prepare(fit.slice(2..<7), sameAsFit: 2..<7), lambda: lambda)
                let b = try model.coefficients(try model.prepare(fit.slice(2..<7)), lambda: lambda)
                var x = [Double](repeating: 0, count: 5 * 20), y = x
                x.withUnsafeMutableBufferPointer { model.predict(a, rows: 0..<5, into: $0.baseAddress!) }
                y.withUnsafeMutableBufferPointer { model.predict(b, rows: 0..<5, into: $0.baseAddress!) }
                for (u, v) in zip(x, y) { XCTAssertEqual(u, v, accuracy: 1e-9, "\(solver) λ \(lambda)") }
                // The second context reuses the first's solve at the same λ, and gets the same scores.
                let c = try model.coefficients(try model.prepare(fit.slice(2..<7)), lambda: lambda, reuse: a)
                var z = x
                z.withUnsafeMutableBufferPointer { model.predict(c, rows: 0..<5, into: $0.baseAddress!) }
                for (u, v) in zip(z, y) { XCTAssertEqual(u, v, accuracy: 1e-12, "\(solver) λ \(lambda), reused") }
            }
        }
    }

    /// Binary rows' Gram in single precision is exact: equal to the double
    /// product to the bit (the same rows with explicit 1.0 values take DGEMM).
    func testBinaryGramIsExact() {
        let a = Self.randomRows(37, 300, density: 0.4, seed: 21), b = Self.randomRows(29, 300, density: 0.5, seed: 22)
        let valued = { (r: SparseRows) in SparseRows(columns: r.columns, offsets: r.offsets, indices: r.indices,
                                                    values: [Double](repeating: 1, count: r.nonZeros)) }
        var x = [Double](repeating: -1, count: 37 * 29), y = x
        let g = GramBlocks(blockRows: 8)
        x.withUnsafeMutableBufferPointer { g.gram(a, rows: 0..<37, b, rows: 0..<29, into: $0.baseAddress!, ldOut: 29) }
        y.withUnsafeMutableBufferPointer { g.gram(valued(a), rows: 0..<37, valued(b), rows: 0..<29, into: $0.baseAddress!, ldOut: 29) }
        XCTAssertEqual(x, y)
        for i in 0..<37 { for j in 0..<29 { XCTAssertEqual(x[i * 29 + j], Double(Set(a.row(i)).intersection(b.row(j)).count)) } }
    }

    /// The solver by cost: ML-1M's shape with the 6-λ grid takes Cholesky, a
    /// grid of 40 takes the eigendecomposition; few items shift the balance.
    func testSolverByCost() {
        XCTAssertEqual(KernelSolver.cheaper(fitRows: 6040, items: 3706, lambdas: 6), .cholesky)
        XCTAssertEqual(KernelSolver.cheaper(fitRows: 6040, items: 3706, lambdas: 40), .eigen)
        // 10 + 6 items / m λ is the break-even: 12 here.
        XCTAssertEqual(KernelSolver.cheaper(fitRows: 3000, items: 1000, lambdas: 11), .cholesky)
        XCTAssertEqual(KernelSolver.cheaper(fitRows: 3000, items: 1000, lambdas: 13), .eigen)
    }

    /// auto: replicated while it fits, ScaLAPACK once only the grid holds the
    /// kernel, an error naming both needs when neither does.
    func testEngineChoiceFollowsTheBudget() throws {
        func choose(_ e: KernelEngine?, budget: Int?, ranks: Int = 4, grid: Bool = true) throws -> KernelEngine {
            try KernelRegression.choose(e, fitRows: 2000, items: 100, contextRowsPerRank: 500, ranks: ranks, gridAvailable: grid,
                                        solver: .eigen, blockRows: 64, gridBlock: 64, budget: budget)
        }
        // Several MPI ranks share the factorisation on the grid; one rank, or ranks that are threads, replicate.
        XCTAssertEqual(try choose(nil, budget: nil), .scalapack)
        XCTAssertEqual(try choose(nil, budget: nil, ranks: 1), .replicated)
        XCTAssertEqual(try choose(nil, budget: nil, grid: false), .replicated)
        XCTAssertEqual(try choose(nil, budget: 1 << 30, ranks: 1), .replicated)
        XCTAssertEqual(try choose(nil, budget: 1 << 30, grid: false), .replicated)
        // 2000² doubles are 32 MB: the replicated eigen path holds about four
        // of them (139 MiB); a rank of the 2 x 2 grid holds about eight quarters (86 MiB).
        XCTAssertEqual(try choose(nil, budget: 100 << 20), .scalapack)
        XCTAssertEqual(try choose(.scalapack, budget: 1 << 30), .scalapack)
        XCTAssertThrowsError(try choose(.replicated, budget: 100 << 20)) { e in
            XCTAssertTrue("\(e)".contains("on the replicated engine"), "\(e)")
        }
        XCTAssertThrowsError(try choose(nil, budget: 64 << 20, ranks: 1)) { e in
            XCTAssertTrue("\(e)".contains("over the budget of 64 MiB on any grid"), "\(e)")
            XCTAssertTrue("\(e)".contains("1 x 1 grid"), "\(e)")
        }
        // The ScaLAPACK engine cannot run on ranks that are threads, and says so.
        let fit = Self.randomRows(40, 30, density: 0.2, seed: 1)
        XCTAssertThrowsError(try KernelRegression(localFit: fit, comm: LocalCommunicator(), ntk: NTK(inputs: 30), solver: .eigen,
                                                  contextRowsPerRank: 40, memoryBudgetBytes: nil, engine: .scalapack)) { e in
            XCTAssertTrue("\(e)".contains("needs MPI ranks"), "\(e)")
        }
    }

    func testKernelOverMemoryBudgetIsRefused() {
        let fit = Self.randomRows(40, 30, density: 0.2, seed: 1)
        XCTAssertThrowsError(try KernelRegression(localFit: fit, comm: LocalCommunicator(), ntk: NTK(inputs: 30), solver: .eigen,
                                                  contextRowsPerRank: 40, memoryBudgetBytes: 4096)) { e in
            XCTAssertTrue("\(e)".contains("over the budget"), "\(e)")
        }
    }
}
