import Data
import Foundation
import Sparse

/// A pool held in memory as one flat batch (one user-side row per sample), so
/// any set of its rows can be gathered, relabelled and written as a training file.
public struct PoolRows: Sendable {
    public let schema: DatasetSchema
    /// Every pool row, user side expanded (identity inverse).
    public let all: Batch

    public init(_ dataset: BinaryDataset) {
        schema = dataset.schema
        all = dataset.all(dataset.header.split, dedup: false)
    }

    public init(schema: DatasetSchema, all: Batch) {
        self.schema = schema
        self.all = all.withoutDedup()
    }

    public var count: Int { all.size }
    public var labels: [Float] { all.labels }

    /// Rows `rows` in that order, with the labels of `flipped` rows (pool ids) inverted.
    public func gather(_ rows: [Int], flipping flipped: Set<Int> = []) -> Batch {
        let idx = rows.map { Int32($0) }
        let d = schema.denseCount
        var dense: [Float] = []
        dense.reserveCapacity(rows.count * d)
        for r in rows { dense.append(contentsOf: all.dense[(r * d)..<((r + 1) * d)]) }
        let labels = rows.map { flipped.contains($0) ? 1 - all.labels[$0] : all.labels[$0] }
        return Batch(size: rows.count, labels: labels, dense: dense, itemSide: all.itemSide.gathering(samples: idx),
                     userSide: .identity(all.userSide.unique.gathering(samples: idx)), sampleIndex: 0)
    }

    /// Writes rows `rows` (labels of `flipped` inverted) as a binary file of `split`, sessions merged.
    @discardableResult
    public func write(_ rows: [Int], flipping flipped: Set<Int> = [], split: Split, to path: String) throws -> Int {
        try BinaryDataset.write(gather(rows, flipping: flipped), schema: schema, split: split, layout: .session, to: path)
    }

    /// The first id of the first item-side feature of each row (the candidate item).
    public func candidateItems() -> [Int64] {
        (0..<count).map { all.itemSide.bag(key: 0, sample: $0).first ?? -1 }
    }

    /// The first id of the user-side pooled feature named `user` (or the first
    /// user-side key) of each row: the user a row belongs to.
    public func users() -> [Int64] {
        let u = all.userSide.unique
        let k = u.index(ofKey: "user") ?? 0
        return (0..<count).map { u.keyCount > 0 ? (u.bag(key: k, sample: $0).first ?? -1) : -1 }
    }
}
