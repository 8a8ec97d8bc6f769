import Collectives
import Sharding
import StrataTestSupport
import Training

/// Distributed training under mpirun against one process on the global batch
/// (computed here, in-process, on every rank): every sharding type and a mixed
/// plan, dedup on and off; losses and parameters to relative 1e-5, dense
/// replicas bit-identical across ranks.
enum EquivalenceChecks {
    static func config(dedup: Bool, type: String, encoder: String = "attention") -> RunConfig {
        var c = TinyConfig.sequenceDLRM(dedup: dedup, encoder: encoder)
        c.sharding.type = type
        // One accumulator per row *and column shard* would differ from one
        // process; element-wise Adagrad is exact however columns are split.
        // The mixed plan uses SGD: Adagrad's g / sqrt(sum g^2) turns the
        // re-association noise of a gradient that is ~0 into a full step.
        c.optimizer.embedding = type == "column_wise" ? .adagrad : type == "mixed" ? .sgd : .rowwiseAdagrad
        if type == "mixed" {
            c.sharding.type = "table_row_wise"
            c.sharding.tables = ["item": "row_wise", "user": "table_wise", "c0": "data_parallel", "c1": "column_wise"]
        }
        return c
    }

    struct Outcome {
        var losses: [Double]
        var dense: [Float]
        var tables: [[Float]]
    }

    static func train(_ config: RunConfig, comm: Communicator) throws -> Outcome {
        let trainer = try Trainer(config: config, comm: comm)
        var losses: [Double] = []
        for _ in 0..<config.run.steps { losses.append(trainer.trainStep()) }
        return Outcome(losses: losses, dense: Array(trainer.model.params.buffer),
                       tables: trainer.layout.tables.indices.map { trainer.embeddings.gatherTable($0) })
    }

    static func close(_ a: [Float], _ b: [Float]) -> Bool {
        guard a.count == b.count else { return false }
        let scale = b.reduce(Float(0)) { max($0, abs($1)) }
        return zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 * max(scale, 1e-6) }
    }

    static func run(_ world: Communicator, _ checks: inout Checks) throws {
        for dedup in [true, false] {
            for type in ShardingType.allCases.map(\.rawValue) + ["mixed"] {
                let c = config(dedup: dedup, type: type, encoder: type == "mixed" ? "target_attention" : "attention")
                let got = try train(c, comm: world)
                let ref = try train(c, comm: LocalCommunicator())
                let what = "\(type), dedup \(dedup), \(world.size) ranks on \(world.topology.nodeCount) node(s)"
                checks.expect(zip(got.losses, ref.losses).allSatisfy { abs($0 - $1) <= 1e-5 * abs($1) },
                              "\(what): losses \(got.losses.suffix(3)) vs \(ref.losses.suffix(3))")
                checks.expect(close(got.dense, ref.dense), "\(what): dense parameters")
                for t in got.tables.indices where !close(got.tables[t], ref.tables[t]) {
                    let worst = zip(got.tables[t], ref.tables[t]).map { abs($0 - $1) }.max() ?? 0
                    let scale = ref.tables[t].map(abs).max() ?? 0
                    checks.expect(false, "\(what): table \(t) differs by up to \(worst) (scale \(scale))")
                }
                checks.expect(true, "\(what): embedding tables")
                // Replicas: every rank holds the same dense bits.
                let bits = got.dense.map { Int64($0.bitPattern) }
                let lo = world.allreduce(.control, bits, op: .min), hi = world.allreduce(.control, bits, op: .max)
                checks.expect(lo == hi, "\(what): dense replicas differ across ranks")
            }
        }
    }
}
