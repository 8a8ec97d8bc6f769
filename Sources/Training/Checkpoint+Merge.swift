import Collectives
import Foundation
import Model
import Sharding

/// A checkpoint's parameters gathered into one process: every rank's
/// embedding blocks placed by global row and column into whole tables, and
/// the dense parameters. For serving (`strata serve`), which needs neither
/// the optimizer state nor the plan that wrote them.
public struct MergedParameters {
    public var dense: [Float]
    /// Each table `[rows x dim]`, row-major, in the checkpoint's table order.
    public var tables: [[Float]]
}

extension Checkpoint {
    /// Bytes `merge` will hold: every table whole plus the dense parameters
    /// (optimizer state is not loaded).
    public static func mergedBytes(tables: [TableConfig], denseParameters: Int) -> Int {
        tables.reduce(0) { $0 + $1.rows * $1.dim * 4 } + denseParameters * 4
    }

    /// Reads every rank's shard file of `checkpoint` into whole tables (any
    /// world size and plan wrote them). Rows no block covers (FlexShard's
    /// never-allocated cold rows) keep their initial values under `seed`, as
    /// on every training rank. Errors name the file.
    public static func merge(_ checkpoint: LoadedCheckpoint, tables: [TableConfig], seed: UInt64) throws -> MergedParameters {
        let dir = checkpoint.directory, state = checkpoint.state
        guard state.tableNames == tables.map(\.name) else {
            throw InputError("\(dir): the checkpoint has tables \(state.tableNames), the model \(tables.map(\.name))")
        }
        var dense: [Float] = []
        var out = tables.map { [Float](repeating: 0, count: $0.rows * $0.dim) }
        var filled = tables.map { [Bool](repeating: false, count: $0.rows) }
        for entry in checkpoint.manifest.files {
            let path = (dir as NSString).appendingPathComponent(entry.name)
            if entry.name == "dense.bin" {
                var r = BinaryReader(try readVerified(entry, in: dir), file: path)
                try r.magic(denseMagic)
                let n = try r.int()
                guard n == state.denseParameters else { throw InputError("\(path): \(n) parameters, state.json says \(state.denseParameters)") }
                dense = try r.floats(n)
                continue
            }
            guard entry.name.hasPrefix("emb-") else { continue }
            var r = BinaryReader(try readVerified(entry, in: dir), file: path)
            try EmbeddingFile.read(&r) { b, weights, _ in   // optimizer state: not served
                let (t, first, rows, col, width) = (b.table, b.firstRow, b.rows, b.columnStart, b.width)
                guard t >= 0, t < tables.count, first >= 0, first + rows <= tables[t].rows, col >= 0, col + width <= tables[t].dim else {
                    throw InputError("\(path): a block outside the tables (table \(t), rows \(first)+\(rows))")
                }
                let D = tables[t].dim
                for i in 0..<rows {
                    for c in 0..<width { out[t][(first + i) * D + col + c] = weights[i * width + c] }
                    filled[t][first + i] = true
                }
            }
        }
        guard dense.count == state.denseParameters else { throw InputError("\(dir): no dense.bin in the manifest") }
        for t in tables.indices {
            let D = tables[t].dim
            out[t].withUnsafeMutableBufferPointer { o in
                for row in 0..<tables[t].rows where !filled[t][row] {
                    initEmbeddingRow(seed: seed, table: t, row: row, dim: D, rowsInTable: tables[t].rows,
                                     out: o.baseAddress! + row * D)
                }
            }
        }
        return MergedParameters(dense: dense, tables: out)
    }
}
