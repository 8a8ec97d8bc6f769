import Collectives
import Foundation
import KernelRecommenders
import ScaLAPACK
import Tensors

/// The ScaLAPACK path against plain arithmetic and against the replicated
/// LAPACK path, on whatever world mpirun gives (1, 2, 3, 4 ranks: grids 1x1,
/// 1x2, 1x3, 2x2): redistribution both ways with the ledger's exact bytes,
/// products, Cholesky solves, eigendecompositions, then the kernel
/// regression's predictions and a whole ∞-AE run.
enum ScaLAPACKChecks {
    static func value(_ seed: UInt64, _ i: Int, _ j: Int) -> Double {
        Double(StrataRNG.uniform(seed: seed, stream: 0x5CA1, index: UInt64(i) << 32 | UInt64(j))) - 0.5
    }

    /// A distributed matrix filled from a global function.
    static func fill(_ layout: MatrixLayout, rank: Int, _ f: (Int, Int) -> Double) -> DistributedMatrix {
        var a = DistributedMatrix(layout: layout, rank: rank)
        var entries: [(Int, Double)] = []
        a.forEachEntry { i, j, k in entries.append((k, f(i, j))) }
        for (k, v) in entries { a.local[k] = v }
        return a
    }

    /// Largest |a(i,j) - f(i,j)| over this rank's entries.
    static func error(_ a: DistributedMatrix, _ f: (Int, Int) -> Double) -> Double {
        var e = 0.0
        a.forEachEntry { i, j, k in e = max(e, abs(a.local[k] - f(i, j))) }
        return e
    }

    static func run(_ comm: Communicator, _ checks: inout Checks) throws {
        let p = comm.size, me = comm.rank
        for block in [3, 64] {
            let engine = try ScaLAPACKEngine(comm: comm, block: block)
            let tag = "block \(block), \(engine.gridRows) x \(engine.gridCols)"
            // Redistribution: line -> grid -> line, every entry in place; the ledger's bytes as counted entry by entry.
            for (m, n) in [(37, 53), (5, 3), (130, 70)] {
                let f = { (i: Int, j: Int) in Double(i * 1000 + j) }
                let line = engine.lineLayout(rows: m, cols: n), grid = engine.gridLayout(rows: m, cols: n)
                let before = comm.ledger.runIncludingCurrentStep()[CommPhase.kernel.rawValue]
                let g = try engine.redistribute(fill(line, rank: me, f), to: grid)
                let after = comm.ledger.runIncludingCurrentStep()[CommPhase.kernel.rawValue]
                checks.expect(error(g, f) == 0, "\(tag): \(m) x \(n) line -> grid misplaces entries")
                var sent = [Int](repeating: 0, count: p), received = [Int](repeating: 0, count: p)
                for i in 0..<m {
                    for j in 0..<n {
                        let from = line.rank(row: line.rows.owner(i), col: line.cols.owner(j))
                        let to = grid.rank(row: grid.rows.owner(i), col: grid.cols.owner(j))
                        if from == me && to != me { sent[to] += 8 }
                        if to == me && from != me { received[from] += 8 }
                    }
                }
                let gotSent = (0..<p).map { after.bytesSentToPeer[comm.worldRanks[$0]] - before.bytesSentToPeer[comm.worldRanks[$0]] }
                let gotReceived = (0..<p).map {
                    after.bytesReceivedFromPeer[comm.worldRanks[$0]] - before.bytesReceivedFromPeer[comm.worldRanks[$0]]
                }
                checks.expect(gotSent == sent && gotReceived == received,
                              "\(tag): \(m) x \(n) ledger sent \(gotSent) received \(gotReceived), entry count \(sent) / \(received)")
                let back = try engine.redistribute(g, to: line)
                checks.expect(error(back, f) == 0, "\(tag): \(m) x \(n) grid -> line misplaces entries")
                checks.expect(line.localCols(me) == ScaLAPACKEngine.columnBlock(n, rank: me, ranks: p).count,
                              "\(tag): the line layout's columns are not the rank's column block")
            }
            // Products: C = op(A) op(B) against a plain triple loop.
            for (ta, tb) in [(false, false), (true, false), (false, true)] {
                let (m, n, k) = (19, 23, 17)
                let fa = { (i: Int, j: Int) in value(1, i, j) }, fb = { (i: Int, j: Int) in value(2, i, j) }
                let a = fill(engine.gridLayout(rows: ta ? k : m, cols: ta ? m : k), rank: me, fa)
                let b = fill(engine.gridLayout(rows: tb ? n : k, cols: tb ? k : n), rank: me, fb)
                var c = DistributedMatrix(layout: engine.gridLayout(rows: m, cols: n), rank: me)
                try engine.gemm(transA: ta, transB: tb, a, b, into: &c)
                let e = error(c) { i, j in (0..<k).reduce(0.0) { $0 + (ta ? fa($1, i) : fa(i, $1)) * (tb ? fb(j, $1) : fb($1, j)) } }
                checks.expect(e < 1e-12, "\(tag): gemm transA \(ta) transB \(tb) off by \(e)")
            }
            // Cholesky: A = G Gᵀ + n I, B = A X; the solve returns X.
            let n = 45, r = 7
            let gram = { (i: Int, j: Int) in (0..<n).reduce(0.0) { $0 + value(3, i, $1) * value(3, j, $1) } + (i == j ? Double(n) : 0) }
            let x = { (i: Int, j: Int) in value(4, i, j) }
            var a = fill(engine.gridLayout(rows: n, cols: n), rank: me, gram)
            var b = fill(engine.gridLayout(rows: n, cols: r), rank: me) { i, j in (0..<n).reduce(0.0) { $0 + gram(i, $1) * x($1, j) } }
            checks.expect(try engine.cholesky(&a) == 0, "\(tag): pdpotrf refused a positive definite matrix")
            try engine.choleskySolve(a, &b)
            checks.expect(error(b, x) < 1e-10, "\(tag): Cholesky solve off by \(error(b, x))")
            var bad = fill(engine.gridLayout(rows: 4, cols: 4), rank: me) { i, j in i == j ? (i == 2 ? -1 : 1) : 0 }
            let info = try engine.cholesky(&bad)
            checks.expect(info == 3, "\(tag): the indefinite minor of order 3 is reported as info \(info)")
            // Eigen: eigenvalues as LAPACK's, A V = V diag(w).
            var full = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0..<n { full[i * n + j] = gram(i, j) } }
            var w0 = [Double](repeating: 0, count: n)
            _ = full.withUnsafeMutableBufferPointer { f in w0.withUnsafeMutableBufferPointer { LAPACK.symmetricEigen(n: n, a: f.baseAddress!, w: $0.baseAddress!) } }
            var s = fill(engine.gridLayout(rows: n, cols: n), rank: me, gram)
            let (w, v) = try engine.symmetricEigen(&s)
            let we = zip(w, w0).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            checks.expect(we < 1e-11, "\(tag): eigenvalues differ from LAPACK by \(we)")
            var av = DistributedMatrix(layout: v.layout, rank: me)
            try engine.gemm(fill(engine.gridLayout(rows: n, cols: n), rank: me, gram), v, into: &av)
            var vw = v
            let diag = fill(v.layout, rank: me) { i, j in i == j ? w[i] : 0 }
            try engine.gemm(v, diag, into: &vw)
            let residual = zip(av.local, vw.local).map { abs($0 - $1) }.max() ?? 0
            checks.expect(residual < 1e-9 * (w.last ?? 1), "\(tag): A V - V diag(w) is \(residual)")
        }
        try regression(comm, &checks)
    }

    /// The kernel regression: ScaLAPACK's predictions equal the replicated path's, for both solvers.
    static func regression(_ comm: Communicator, _ checks: inout Checks) throws {
        let users = 41, items = 29
        func rows(_ count: Int, seed: UInt64) -> SparseRows {
            var list: [[Int32]] = []
            for u in 0..<count {
                var row: [Int32] = []
                for i in 0..<items where value(seed, u, i) > 0.15 || i == u % items { row.append(Int32(i)) }
                list.append(row)
            }
            return SparseRows(columns: items, rows: list)
        }
        let fit = rows(users, seed: 7), context = rows(23, seed: 8)
        let mine = KernelRegression.block(of: users, rank: comm.rank, size: comm.size)
        let ctx = KernelRegression.block(of: context.rows, rank: comm.rank, size: comm.size)
        for solver in KernelSolver.allCases {
            var scores: [KernelEngine: [[Double]]] = [:]
            for engine in KernelEngine.allCases {
                let model = try KernelRegression(localFit: fit.slice(mine), comm: comm, ntk: NTK(inputs: items), solver: solver,
                                                 contextRowsPerRank: users, memoryBudgetBytes: nil, blockRows: 5,
                                                 engine: engine, gridBlock: 4)
                var out: [[Double]] = []
                for (set, range, same) in [(fit, mine, true), (context, ctx, false)] {
                    let prepared = try model.prepare(set.slice(range), sameAsFit: same ? range : nil)
                    for lambda in [0.1, 5.0] {
                        let c = try model.coefficients(prepared, lambda: lambda)
                        var p = [Double](repeating: 0, count: range.count * items)
                        p.withUnsafeMutableBufferPointer { model.predict(c, rows: 0..<range.count, into: $0.baseAddress!) }
                        out.append(p)
                    }
                }
                scores[engine] = out
            }
            var e = 0.0
            for (a, b) in zip(scores[.replicated]!, scores[.scalapack]!) {
                for (x, y) in zip(a, b) { e = max(e, abs(x - y) / max(1, abs(x))) }
            }
            checks.expect(e < 1e-9, "\(solver): ScaLAPACK predictions differ from the replicated path by \(e)")
        }
        // A whole ∞-AE run: the same λ and metrics on both engines.
        let dir = NSTemporaryDirectory() + "strata-scalapack-\(comm.worldRank)-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var csv = "user,item\n"
        for u in 0..<60 { for i in 0..<40 where value(9, u, i) > 0.2 || i % 7 == u % 7 { csv += "\(u),\(i)\n" } }
        try csv.write(toFile: dir + "/i.csv", atomically: true, encoding: .utf8)
        let data = try InteractionData.load(InteractionSource(path: dir + "/i.csv", seed: 3))
        for solver in KernelSolver.allCases {
            var config = InfiniteAEConfig()
            config.ks = [5, 20]
            config.lambdas = [0.1, 1, 5]
            config.solver = solver
            config.blockRows = 7
            config.gridBlock = 8
            config.engine = .replicated
            let a = try InfiniteAE.run(data, comm: comm, config: config)
            config.engine = .scalapack
            let b = try InfiniteAE.run(data, comm: comm, config: config)
            let diff = zip(a.test.flat.sorted { $0.key < $1.key }, b.test.flat.sorted { $0.key < $1.key })
                .map { abs($0.value - $1.value) }.max() ?? 1
            checks.expect(a.chosenLambda == b.chosenLambda && diff < 1e-9 && b.engine.hasPrefix("scalapack"),
                          "\(solver): ∞-AE on ScaLAPACK (\(b.engine)) λ \(b.chosenLambda), metrics off by \(diff) from replicated λ \(a.chosenLambda)")
        }
    }
}
