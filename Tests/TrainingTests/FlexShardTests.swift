import XCTest
import Collectives
import ShardedEmbeddings
import Sharding
import Training

/// FlexShard's promises beyond equivalence (EquivalenceTests covers that):
/// real tiers, identical replicas after every step, no more memory than row_wise.
final class FlexShardTests: XCTestCase {
    func config() -> RunConfig {
        var c = EquivalenceTests.tinyConfig()
        c.sharding.type = "flexshard"
        c.data.synthetic.zipfExponent = 1.2
        // Batches large enough that hot rows are read many times a step.
        c.data.synthetic.samples = 12_000
        c.run.batchSize = 400
        c.sharding.profileSteps = 10
        return c
    }

    func testTiersReplicasAndMemory() throws {
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        let config = config()
        let out = LocalCommunicator.run(worldSize: 4, topology: topo) { comm -> (ShardingPlan, [[UInt32]], Int, [TableConfig]) in
            let trainer = try! Trainer(config: config, comm: comm)
            var copies: [[UInt32]] = []
            for _ in 0..<10 {
                trainer.trainStep()
                copies.append(trainer.embeddings.replicatedRows().map(\.bitPattern))
            }
            return (trainer.plan, copies, trainer.embeddings.memoryBytes, trainer.layout.tables)
        }
        let plan = out[0].0
        let tiers = plan.tables.compactMap(\.tiers)
        XCTAssertEqual(tiers.count, plan.tables.count, "every table is flexshard")
        XCTAssertTrue(tiers.contains { $0.hot > 0 }, "some rows are replicated: \(tiers.map { ($0.hot, $0.warm) })")
        XCTAssertTrue(tiers.contains { $0.warm > 0 }, "some rows are warm (2 nodes): \(tiers.map { ($0.hot, $0.warm) })")
        // Every copy of every hot row is bit-identical on every rank after every step.
        for r in 1..<4 { XCTAssertEqual(out[r].1, out[0].1, "rank \(r)'s hot copies differ from rank 0's") }
        XCTAssertFalse(out[0].1[0].isEmpty)
        // Memory: no rank holds more than the row_wise baseline's largest rank.
        let baseline = ShardingPlan.uniform(.rowWise, tables: out[0].3, topology: topo)
            .memoryPerRank(tables: out[0].3, optimizer: config.optimizer.embedding).max()!
        for r in 0..<4 { XCTAssertLessThanOrEqual(out[r].2, baseline, "rank \(r) holds \(out[r].2) bytes, row_wise \(baseline)") }
    }

    func testFlexShardCutsInterNodeTrafficAgainstBaselines() throws {
        // On skewed ids the tiers must beat every baseline on inter-node bytes (modelled link speeds).
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        func interBytes(_ type: String) -> Double {
            var c = config()
            c.sharding.type = type
            c.run.steps = 3
            let r = LocalCommunicator.run(worldSize: 4, topology: topo) { comm -> Double in
                let t = try! Trainer(config: c, comm: comm)
                comm.ledger.resetAll()
                for _ in 0..<c.run.steps { t.trainStep() }
                let phases: [CommPhase] = [.idsA2A, .embFwdA2A, .embBwdA2A, .idsA2AIntra, .embFwdA2AIntra, .embBwdA2AIntra, .replicaGradSync]
                return Double(phases.reduce(0) { $0 + comm.ledger.run[$1.rawValue].interNodeBytesSent })
            }
            return r.reduce(0, +)
        }
        let flex = interBytes("flexshard")
        for b in ["table_wise", "row_wise", "table_row_wise"] {
            XCTAssertLessThan(flex, interBytes(b), "flexshard vs \(b)")
        }
    }
}
