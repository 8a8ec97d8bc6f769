import XCTest
import Collectives
import Sharding
import StrataTrainingFixtures
import Training

/// The central invariant: training on R ranks, any plan, dedup on or off, gives
/// the model one process gets on the global batch (relative 1e-5 over 20 steps).
/// Ranks are threads here (LocalCommunicator); Tests/MPI runs the same check
/// under mpirun.
final class EquivalenceTests: XCTestCase {
    static func tinyConfig(dedup: Bool = true, encoder: EncoderChoice = .attention) -> RunConfig {
        TinyConfig.sequenceDLRM(dedup: dedup, encoder: encoder)
    }

    /// Losses per step, dense parameters, and every table, from rank 0.
    struct Outcome {
        var losses: [Double]
        var dense: [Float]
        var tables: [[Float]]
    }

    static func train(_ config: RunConfig, worldSize: Int, topology: Topology? = nil,
                      plan: ((Topology, [TableConfig]) -> ShardingPlan)? = nil) throws -> Outcome {
        let outcomes = try LocalCommunicator.run(worldSize: worldSize, topology: topology) { comm -> Outcome in
            let tables = try FeatureLayout(schema: DataSources.load(config.data, seed: 1).source.schema, model: config.model).tables
            let trainer = try Trainer(config: config, comm: comm, plan: plan?(comm.topology, tables))
            var losses: [Double] = []
            for _ in 0..<config.run.steps { losses.append(trainer.trainStep()) }
            let dense = Array(trainer.model.params.buffer)
            let tablesOut = trainer.layout.tables.indices.map { trainer.embeddings.gatherTable($0) }
            return Outcome(losses: losses, dense: dense, tables: tablesOut)
        }
        // Dense parameters must be bit-identical replicas on every rank.
        for o in outcomes.dropFirst() { XCTAssertEqual(o.dense, outcomes[0].dense, "dense replicas differ") }
        return outcomes[0]
    }

    static func assertClose(_ a: Outcome, _ b: Outcome, _ what: String, tolerance: Float = 1e-5,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.losses.count, b.losses.count)
        for (x, y) in zip(a.losses, b.losses) {
            XCTAssertEqual(x, y, accuracy: Double(tolerance) * max(abs(y), 1e-3), "\(what): losses \(a.losses) vs \(b.losses)", file: file, line: line)
        }
        assertArraysClose(a.dense, b.dense, "\(what): dense", tolerance: tolerance, file: file, line: line)
        for t in a.tables.indices {
            assertArraysClose(a.tables[t], b.tables[t], "\(what): table \(t)", tolerance: tolerance, file: file, line: line)
        }
    }

    static func assertArraysClose(_ a: [Float], _ b: [Float], _ what: String, tolerance: Float = 1e-5,
                                  file: StaticString, line: UInt) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let scale = b.reduce(Float(0)) { max($0, abs($1)) }
        var worst: Float = 0
        for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) }
        XCTAssertLessThanOrEqual(worst, tolerance * max(scale, 1e-6), "\(what): max difference \(worst) of scale \(scale)", file: file, line: line)
        XCTAssertFalse(a.contains { $0.isNaN }, "\(what): NaN", file: file, line: line)
    }

    /// Row-wise Adagrad keeps one accumulator per row and column shard, so a
    /// column_wise table is compared under SGD here (element-wise Adagrad,
    /// exact however columns are split, has its own test below).
    static func optimizer(for type: ShardingType) -> EmbeddingOptimizerKind {
        type == .columnWise ? .sgd : .rowwiseAdagrad
    }

    /// Element-wise Adagrad's state split by columns. Its step g / sqrt(sum g^2)
    /// turns the re-association noise of a gradient near zero into a full
    /// step, so over 20 steps the bound is relative 1e-4 (measured: about
    /// 1e-5); a misplaced accumulator or column would be off by far more.
    func testColumnWiseAdagradMatchesOneProcess() throws {
        for dedup in [true, false] {
            var config = Self.tinyConfig(dedup: dedup)
            config.optimizer.embedding = .adagrad
            let reference = try Self.train(config, worldSize: 1)
            for r in [2, 4] {
                var c = config
                c.sharding.type = .uniform(.columnWise)
                let topo: Topology? = r == 4 ? try .emulated(worldSize: 4, ranksPerNode: 2) : nil
                let got = try Self.train(c, worldSize: r, topology: topo)
                Self.assertClose(got, reference, "column_wise, element-wise Adagrad, on \(r) ranks, dedup \(dedup)",
                                 tolerance: 1e-4)
            }
        }
    }

    func testEveryShardingTypeOnEveryWorldSizeMatchesOneProcess() throws {
        for dedup in [true, false] {
            for type in ShardingType.allCases {
                var config = Self.tinyConfig(dedup: dedup)
                config.optimizer.embedding = Self.optimizer(for: type)
                let reference = try Self.train(config, worldSize: 1)
                XCTAssertLessThan(reference.losses.last!, reference.losses.first!, "the reference run learns")
                for r in [2, 3, 4] {
                    var c = config
                    c.sharding.type = .uniform(type)
                    let topo: Topology? = r == 4 ? try .emulated(worldSize: 4, ranksPerNode: 2) : nil
                    let got = try Self.train(c, worldSize: r, topology: topo)
                    Self.assertClose(got, reference, "\(type.rawValue) on \(r) ranks, dedup \(dedup)")
                }
            }
        }
    }

    func testMixedPlanAndTargetAttentionMatchOneProcess() throws {
        for dedup in [true, false] {
            var config = Self.tinyConfig(dedup: dedup, encoder: .targetAttention)
            config.optimizer.embedding = .sgd
            let reference = try Self.train(config, worldSize: 1)
            var c = config
            c.sharding.tables = ["item": .rowWise, "user": .tableWise, "c0": .dataParallel, "c1": .columnWise]
            c.sharding.type = .uniform(.tableRowWise)
            let got = try Self.train(c, worldSize: 4, topology: try .emulated(worldSize: 4, ranksPerNode: 2))
            Self.assertClose(got, reference, "mixed plan, target attention, 4 ranks as 2 nodes, dedup \(dedup)")
        }
    }

    /// The reference trainer's shape: pooled features only. One rank runs the
    /// self lane (no exchange) and, without dedup, the model reads the pooled
    /// outputs in place; with dedup they are copied through the inverse. All
    /// of it matches the exchanges on 2 and 4 ranks, and dedup on matches off.
    func testPooledOnlyShapeMatchesOnEveryPath() throws {
        var outcomes: [Bool: Outcome] = [:]
        for dedup in [true, false] {
            var config = Self.tinyConfig(dedup: dedup)
            config.model.useSequences = false
            config.optimizer.embedding = .sgd
            let reference = try Self.train(config, worldSize: 1)
            outcomes[dedup] = reference
            for (r, type) in [(2, ShardingType.tableWise), (4, .rowWise)] {
                var c = config
                c.sharding.type = .uniform(type)
                Self.assertClose(try Self.train(c, worldSize: r), reference, "\(type) on \(r) ranks, pooled only, dedup \(dedup)")
            }
        }
        Self.assertClose(outcomes[true]!, outcomes[false]!, "pooled only, one rank: dedup on (copied) vs off (in place)")
    }

    func testDedupIsExact() throws {
        let on = try Self.train(Self.tinyConfig(dedup: true), worldSize: 2)
        let off = try Self.train(Self.tinyConfig(dedup: false), worldSize: 2)
        Self.assertClose(on, off, "dedup on vs off")
    }

    func testSGDEmbeddingsMatchForEveryType() throws {
        var config = Self.tinyConfig(encoder: .mean)
        config.optimizer.embedding = .sgd
        config.model.pooling = .mean
        let reference = try Self.train(config, worldSize: 1)
        for type in ShardingType.allCases {
            var c = config
            c.sharding.type = .uniform(type)
            Self.assertClose(try Self.train(c, worldSize: 3), reference, "\(type.rawValue), sgd, mean pooling")
        }
    }
}
