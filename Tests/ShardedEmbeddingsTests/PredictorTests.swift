import XCTest
import Collectives
import ShardedEmbeddings
import Sharding
import StrataTrainingFixtures
import Training

/// `strata plan`'s predicted bytes are what a run measures: the predictor
/// routes every rank's ids like the exchanges do; the ledger records what the
/// exchanges passed. Every phase either side has, every rank, every link
/// class, exactly: a phase on one side only fails.
final class PredictorTests: XCTestCase {
    @discardableResult
    func check(type: ShardingType, worldSize: Int, ranksPerNode: Int, dedup: Bool, dedupIds: Bool = false,
               batchSize: Int? = nil, steps: Int = 4) throws -> PredictedTraffic {
        var config = TinyConfig.sequenceDLRM(dedup: dedup)
        if let batchSize { config.run.batchSize = batchSize }
        config.sharding.type = .uniform(type)
        config.sharding.dedupIds = dedupIds
        config.run.steps = steps
        let topo = try Topology.emulated(worldSize: worldSize, ranksPerNode: ranksPerNode)
        let results = LocalCommunicator.run(worldSize: worldSize, topology: topo) { comm -> ([PhaseTotals], [[FeatureIds]], Trainer) in
            let trainer = try! Trainer(config: config, comm: comm)
            comm.ledger.resetAll()
            var ids: [[FeatureIds]] = []
            for s in 0..<config.run.steps {
                ids.append(trainer.layout.ids(of: trainer.localBatch(s)))
                trainer.trainStep()
            }
            return (comm.ledger.run, ids, trainer)
        }
        let t0 = results[0].2
        let steps = (0..<config.run.steps).map { s in (0..<worldSize).map { results[$0].1[s] } }
        let predicted = TrafficPredictor.predict(plan: t0.plan, tables: t0.layout.tables, features: t0.layout.features,
                                                 topology: topo, steps: steps, denseParameters: t0.model.parameterCount,
                                                 dedupIds: dedupIds)
        let what = "\(type), \(worldSize) ranks by \(ranksPerNode), dedup \(dedup), dedup_ids \(dedupIds)"
        for line in PhaseComparison.mismatches(predicted, results.map(\.0), what: what) { XCTFail(line) }
        XCTAssertGreaterThan(predicted.totalBytesPerStep, 0)
        return predicted
    }

    func testPredictedBytesEqualMeasuredForEveryPlan() throws {
        for type in ShardingType.allCases {
            try check(type: type, worldSize: 4, ranksPerNode: 2, dedup: true)
            try check(type: type, worldSize: 3, ranksPerNode: 3, dedup: false)
        }
    }

    /// With ids deduplicated the ledger still matches the prediction exactly,
    /// and the ids exchange never grows (distinct ids, no bag lengths); with
    /// the tiny config's repeated history ids it shrinks for every type that
    /// sends ids (data_parallel sends none). Rows back may grow on pooled
    /// tables (one row per distinct id instead of one sum per bag).
    func testPredictedBytesEqualMeasuredWithDedupIds() throws {
        for type in ShardingType.allCases {
            let on = try check(type: type, worldSize: 4, ranksPerNode: 2, dedup: true, dedupIds: true)
            try check(type: type, worldSize: 3, ranksPerNode: 3, dedup: false, dedupIds: true)
            let off = try check(type: type, worldSize: 4, ranksPerNode: 2, dedup: true, dedupIds: false)
            if type == .dataParallel { continue }
            let ids: (PredictedTraffic) -> Int = { t in
                [CommPhase.idsA2A, .idsA2AIntra].reduce(0) { $0 + (t.phase($1).map { $0.bytesSent.reduce(0, +) } ?? 0) }
            }
            XCTAssertLessThan(ids(on), ids(off), "\(type): dedup_ids sends as many id bytes")
        }
    }

    /// At 64 ranks (8 nodes of 8, ranks as threads), a world no MPI test
    /// runs, the predictor's bytes still equal the ledger's for every phase,
    /// rank and link class: the plans whose routing depends on the world
    /// (row blocks over 64 ranks or over a node's 8, FlexShard's node lane
    /// and its replica syncs across 8 nodes), with and without id dedup.
    func testPredictedBytesEqualMeasuredAt64Ranks() throws {
        for type in [ShardingType.rowWise, .tableRowWise, .flexShard] {
            for dedupIds in [false, true] {
                let p = try check(type: type, worldSize: 64, ranksPerNode: 8, dedup: true, dedupIds: dedupIds, batchSize: 384, steps: 2)
                XCTAssertGreaterThan(p.phase(.idsA2A)!.interNodeBytes.filter { $0 > 0 }.count, 32, "\(type): most ranks send between nodes")
                if type == .flexShard {
                    // Warm rows (the node lane) and replicas synced across nodes are in play.
                    XCTAssertGreaterThan(p.phase(.idsA2AIntra)!.bytesSent.reduce(0, +), 0)
                    XCTAssertGreaterThan(p.phase(.replicaGradSync)!.interNodeBytes.reduce(0, +), 0)
                }
            }
        }
    }
}
