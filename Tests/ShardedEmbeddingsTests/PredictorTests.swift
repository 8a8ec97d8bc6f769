import XCTest
import Collectives
import ShardedEmbeddings
import Sharding
import StrataTestSupport
import Training

/// `strata plan`'s predicted bytes are what a run measures: the predictor
/// routes every rank's ids like the exchanges do; the ledger records what the
/// exchanges passed. Every phase, every rank, every link class, exactly.
final class PredictorTests: XCTestCase {
    @discardableResult
    func check(type: ShardingType, worldSize: Int, ranksPerNode: Int, dedup: Bool, dedupIds: Bool = false) throws -> PredictedTraffic {
        var config = TinyConfig.sequenceDLRM(dedup: dedup)
        config.sharding.type = .uniform(type)
        config.sharding.dedupIds = dedupIds
        config.run.steps = 4
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
        for p in predicted.phases {
            let phase = CommPhase.allCases.first { $0.tag == p.phase }!
            for r in 0..<worldSize {
                let measured = results[r].0[phase.rawValue]
                let what = "\(type), \(worldSize) ranks by \(ranksPerNode), dedup \(dedup), dedup_ids \(dedupIds), \(p.phase), rank \(r)"
                XCTAssertEqual(p.bytesSent[r], measured.bytesSent, "\(what): bytes sent")
                XCTAssertEqual(p.intraNodeBytes[r], measured.intraNodeBytesSent, "\(what): intra-node bytes")
                XCTAssertEqual(p.interNodeBytes[r], measured.interNodeBytesSent, "\(what): inter-node bytes")
            }
        }
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
}
