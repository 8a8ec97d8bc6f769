import Collectives
import Data
import Foundation
import Serving
import Sparse
import StrataTrainingFixtures
import Training

/// Shared by ServingTests (the engine) and ServingHTTPTests (the server), so
/// neither test target holds the other's fixtures.
/// A trained tiny run on disk (2 ranks, row_wise, so the served model merges
/// two ranks' shards) and the request bodies for its batches.
public enum ServingFixtures {
    /// TinyConfig's sequence DLRM with random weights (no training).
    public static func tinyModel() throws -> ServedModel {
        let c = TinyConfig.sequenceDLRM(encoder: .targetAttention)
        return try ServedModel.random(schema: SyntheticDataset(c.data.synthetic).schema, model: c.model, seed: 3,
                                      maxHistory: 16, memoryBudgetBytes: 0, origin: "test")
    }

    public static func config(encoder: EncoderChoice) -> RunConfig {
        var c = TinyConfig.sequenceDLRM(encoder: encoder)
        c.sharding.type = .uniform(.rowWise)
        c.run.steps = 6
        return c
    }

    /// Trains `config` on `ranks` ranks into `dir` and checkpoints the end.
    public static func train(_ config: RunConfig, ranks: Int, into dir: String) throws {
        _ = try LocalCommunicator.run(worldSize: ranks) { comm -> Int in
            let trainer = try Trainer(config: config, comm: comm)
            while trainer.step < config.run.steps { _ = trainer.trainStep() }
            try Checkpoint.write(trainer, runDirectory: dir, keep: 1)
            return 0
        }
    }

    /// A 1-rank trainer holding the checkpoint: the oracle's eval forward.
    public static func restoredTrainer(_ config: RunConfig, dir: String) throws -> Trainer {
        let comm = LocalCommunicator()
        let trainer = try Trainer(config: config, comm: comm)
        try trainer.restore(from: Checkpoint.latest(in: dir))
        return trainer
    }

    /// The request for user `u` of `batch` (its dense row and user-side row)
    /// scoring the item-side bags of `candidates`.
    public static func requestJSON(_ batch: Batch, user u: Int, candidates: [Int]) -> [String: Any] {
        let C = batch.dense.count / batch.size
        var user: [String: [Int64]] = [:]
        let row = Int(batch.userSide.inverse[u])
        for (k, key) in batch.userSide.keys.enumerated() { user[key] = Array(batch.userSide.unique.bag(key: k, sample: row)) }
        var items: [String: Any] = [:]
        for (k, key) in batch.itemSide.keys.enumerated() {
            let bags = candidates.map { Array(batch.itemSide.bag(key: k, sample: $0)) }
            if bags.allSatisfy({ $0.count == 1 }) {
                items[key] = bags.map { $0[0] }
            } else {
                items[key] = ["lengths": bags.map(\.count), "values": bags.flatMap { $0 }]
            }
        }
        return ["dense": Array(batch.dense[(u * C)..<((u + 1) * C)]), "user": user, "candidates": items]
    }

    public static func body(_ json: [String: Any]) -> [UInt8] {
        [UInt8](try! JSONSerialization.data(withJSONObject: json))
    }

    /// The same request as a trainer batch: `candidates.count` samples that
    /// share user `u`'s dense row and user-side row (U = 1, inverse zeros).
    public static func oracleBatch(_ batch: Batch, user u: Int, candidates: [Int]) throws -> Batch {
        let C = batch.dense.count / batch.size, B = candidates.count
        let row = Int(batch.userSide.inverse[u])
        let userKeys = batch.userSide.keys
        let unique = try KeyedJaggedTensor(keys: userKeys, bags: userKeys.indices.map { k in [Array(batch.userSide.unique.bag(key: k, sample: row))] })
        let items = try KeyedJaggedTensor(keys: batch.itemSide.keys, bags: batch.itemSide.keys.indices.map { k in
            candidates.map { Array(batch.itemSide.bag(key: k, sample: $0)) }
        })
        let dense = (0..<B).flatMap { _ in batch.dense[(u * C)..<((u + 1) * C)] }
        return Batch(size: B, labels: [Float](repeating: 0, count: B), dense: dense, itemSide: items,
                     userSide: try InverseKeyedJaggedTensor(unique: unique, inverse: [Int32](repeating: 0, count: B)),
                     sampleIndex: 0)
    }

    public static func temporaryDirectory(_ tag: String) throws -> String {
        let root = NSTemporaryDirectory() + "strata-serve-\(tag)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        return root
    }
}
