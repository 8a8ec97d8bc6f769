import Tensors

/// Initial values of one embedding row, defined by its GLOBAL position: uniform in
/// `(-sqrt(1/rowsInTable), +sqrt(1/rowsInTable))` as the DLRM reference, each
/// element keyed by `(seed, table, row, column)` in the counter-based RNG. Any
/// shard can therefore initialise exactly its own rows, in any order, and the
/// sharded model starts equal to the single-process one.
///
/// The stream has its top bit set so embedding streams never meet the small
/// stream numbers the dense layers use under the same seed.
public func initEmbeddingRow(seed: UInt64, table: Int, row: Int, dim: Int, rowsInTable: Int,
                             out: UnsafeMutablePointer<Float>) {
    precondition(dim <= 1 << 16 && table < 1 << 40, "table or dim out of the key range")
    let bound = Float((1.0 / Double(rowsInTable)).squareRoot())
    let base: UInt64 = 1 << 63 | UInt64(table) << 16
    for c in 0..<dim {
        let u = StrataRNG.uniform(seed: seed, stream: base | UInt64(c), index: UInt64(row))
        out[c] = bound * (2 * u - 1)
    }
}
