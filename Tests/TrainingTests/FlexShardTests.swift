import XCTest
import Collectives
import ShardedEmbeddings
import Sharding
import StrataTrainingFixtures
import Training

/// FlexShard's promises beyond equivalence (EquivalenceTests covers that):
/// real tiers, identical replicas after every step, no more memory than row_wise.
final class FlexShardTests: XCTestCase {
    func config() -> RunConfig {
        var c = EquivalenceTests.tinyConfig()
        c.sharding.type = .uniform(.flexShard)
        c.data.synthetic.zipfExponent = 1.2
        // Batches large enough that hot rows are read many times a step.
        c.data.synthetic.samples = 12_000
        c.run.batchSize = 400
        c.sharding.profileSteps = 10
        c.run.steps = 10   // the profile sees every batch the run trains on
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
        func interBytes(_ type: ShardingType) -> Double {
            var c = config()
            c.sharding.type = .uniform(type)
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
        let flex = interBytes(.flexShard)
        for b in [ShardingType.tableWise, .rowWise, .tableRowWise] {
            XCTAssertLessThan(flex, interBytes(b), "flexshard vs \(b)")
        }
    }

    /// `sharding.memory_budget_bytes` bounds the tiers: every budget holds on
    /// every rank, a larger one buys at least as many copies, and with a
    /// table_wise table beside them the FlexShard tables get what it leaves.
    func testMemoryBudgetBoundsTheTiers() throws {
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        let config = config()
        let source = try DataSources.load(config.data, seed: 1).source
        let layout = try FeatureLayout(schema: source.schema, model: config.model)
        let profile = AccessProfile.measure(source: source, layout: layout, batchSize: config.run.batchSize,
                                            steps: config.sharding.profileSteps, dedup: config.data.dedup)
        let optimizer = config.optimizer.embedding
        let rowWise = ShardingPlan.uniform(.rowWise, tables: layout.tables, topology: topo)
            .memoryPerRank(tables: layout.tables, optimizer: optimizer).max()!
        func planned(_ budget: Int?, tableWise: String? = nil) throws -> (memory: Int, copies: Int) {
            var s = config.sharding
            if let t = tableWise { s.tables = [t: .tableWise] }
            s.memoryBudgetBytes = budget ?? 0
            let plan = try ShardingPlanner.propose(s, for: .init(tables: layout.tables, topology: topo, optimizer: optimizer)) { profile }.plan
            let memory = plan.memoryPerRank(tables: layout.tables, optimizer: optimizer,
                                            nodeRanks: [2], nodeLocalRank: [0, 1, 0, 1]).max()!
            let copies = plan.tables.compactMap(\.tiers).reduce(0) { $0 + 4 * $1.hot + 2 * $1.warm }
            return (memory, copies)
        }
        // The least any tiering holds (every row it stores kept once): a
        // budget below it cannot be met, and the run's plan check says so.
        let least = try planned(1).memory
        XCTAssertLessThanOrEqual(least, rowWise)
        var previous = -1
        for factor in [1.0, 1.5, 2, 4, 8] {
            let budget = Int(Double(least) * factor)
            let p = try planned(budget)
            XCTAssertLessThanOrEqual(p.memory, budget, "budget \(factor)x the least")
            XCTAssertGreaterThanOrEqual(p.copies, previous, "budget \(factor)x the least buys no fewer copies")
            previous = p.copies
        }
        XCTAssertLessThan(try planned(least).copies, try planned(8 * least).copies, "the budget binds")
        let fixed = layout.tables[0].name
        let budget = try planned(1, tableWise: fixed).memory + least
        let mixed = try planned(budget, tableWise: fixed)
        XCTAssertLessThanOrEqual(mixed.memory, budget, "table_wise \(fixed) plus FlexShard within the budget")
        XCTAssertLessThan(mixed.copies, try planned(budget).copies, "the table_wise table's memory is not spent twice")
    }

    /// A run three times as long as its profile, and its eval, stay within a
    /// budget that binds: the plan takes room for the rows the rest of the run
    /// is expected to read first (without it, they would be stored on top of a
    /// plan that spent their memory on copies).
    func testBudgetHoldsOverARunLongerThanItsProfile() throws {
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        var config = config()
        config.sharding.profileSteps = 10
        config.run.steps = 30   // the whole split once
        // Tables long enough that the run leaves rows unread, to pay for copies.
        config.data.synthetic.itemRows = 5_000
        config.data.synthetic.userRows = 2_000
        config.data.synthetic.extraTables[1].rows = 3_000
        let tables = try FeatureLayout(schema: DataSources.load(config.data, seed: 1).source.schema, model: config.model).tables
        let optimizer = config.optimizer.embedding
        let rowWise = ShardingPlan.uniform(.rowWise, tables: tables, topology: topo)
            .memoryPerRank(tables: tables, optimizer: optimizer).max()!
        config.sharding.memoryBudgetBytes = rowWise * 13 / 20   // binds: the unread rows could pay for more copies
        let out = LocalCommunicator.run(worldSize: 4, topology: topo) { comm -> (held: Int, plan: ShardingPlan) in
            let t = try! Trainer(config: config, comm: comm)
            for _ in 0..<config.run.steps { t.trainStep() }
            _ = t.evaluate()
            return (t.embeddings.memoryBytes, t.plan)
        }
        let tiers = out[0].plan.tables.compactMap(\.tiers)
        XCTAssertTrue(tiers.contains { ($0.lazyReserve ?? 0) > 0 }, "room was taken for rows read after the profile")
        XCTAssertTrue(tiers.contains { $0.hot > 0 }, "some rows still have copies: \(tiers.map { ($0.hot, $0.warm) })")
        let planned = out[0].plan.memoryPerRank(tables: tables, optimizer: optimizer, nodeRanks: [2], nodeLocalRank: [0, 1, 0, 1])
        for r in 0..<4 {
            XCTAssertLessThanOrEqual(planned[r], config.sharding.memoryBudgetBytes, "rank \(r): planned")
            XCTAssertLessThanOrEqual(out[r].held, config.sharding.memoryBudgetBytes, "rank \(r) holds \(out[r].held) bytes")
        }
    }

    /// The plan check counts the warm tier per node, as the stores hold it:
    /// a budget between the per-world and the per-node count is refused.
    func testPlanCheckPlacesWarmRowsPerNode() throws {
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        let config = config()
        let tables = try FeatureLayout(schema: DataSources.load(config.data, seed: 1).source.schema, model: config.model).tables
        let plan = try Self.tieredPlan(config, topology: topo, tables: tables, hot: .allreduce, warm: .allreduce)
        XCTAssertTrue(plan.tables.contains { ($0.tiers?.warm ?? 0) > 1 })
        let optimizer = config.optimizer.embedding
        let perNode = plan.memoryPerRank(tables: tables, optimizer: optimizer, topology: topo).max()!
        let perWorld = plan.memoryPerRank(tables: tables, optimizer: optimizer).max()!
        XCTAssertLessThan(perWorld, perNode)
        XCTAssertNoThrow(try plan.validate(tables: tables, worldSize: 4, memoryBudgetBytes: perNode, optimizer: optimizer, topology: topo))
        XCTAssertThrowsError(try plan.validate(tables: tables, worldSize: 4, memoryBudgetBytes: perNode - 1, optimizer: optimizer,
                                               topology: topo))
    }

    /// A lazy cold store that comes to hold every row it may hold allocates
    /// no room past them: each rank holds at most its tier rows, all stored,
    /// plus the slot maps (a store that grew by a fixed fraction could end up
    /// that fraction past its rows).
    func testLazyStoresNeverGrowPastTheirRows() throws {
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        var config = config()
        config.data.synthetic.zipfExponent = 0   // uniform: the epoch reads nearly every row
        config.sharding.profileSteps = 1         // so most cold rows start unstored
        config.run.steps = 30
        // Planned as for a run no longer than its profile (no room taken up
        // front), so the stores grow as rows come.
        let tables = try FeatureLayout(schema: DataSources.load(config.data, seed: 1).source.schema, model: config.model).tables
        let plan = try Self.tieredPlan(config, topology: topo, tables: tables, hot: .allreduce, warm: .allreduce)
        XCTAssertTrue(plan.tables.allSatisfy { $0.tiers?.lazyReserve == nil })
        let out = LocalCommunicator.run(worldSize: 4, topology: topo) { comm -> (held: Int, plan: ShardingPlan, tables: [TableConfig]) in
            let t = try! Trainer(config: config, comm: comm, plan: plan)
            for _ in 0..<config.run.steps { t.trainStep() }
            return (t.embeddings.memoryBytes, t.plan, t.layout.tables)
        }
        let optimizer = config.optimizer.embedding
        for r in 0..<4 {
            var bound = 0
            for c in out[r].tables {
                let tiers = try XCTUnwrap(out[r].plan.sharding(of: c.name)?.tiers)
                let perRow = (c.dim + optimizer.stateFloats(width: c.dim)) * 4
                let warm = FlexShardCounts.share(tiers.warm, of: 2, index: r % 2)
                let cold = FlexShardCounts.share(tiers.cold, of: 4, index: r)
                let seen = FlexShardCounts.share(tiers.seenCold, of: 4, index: r)
                bound += (tiers.hot + warm + cold) * perRow + (cold - seen) * 8
            }
            let planned = out[r].plan.memoryPerRank(tables: out[r].tables, optimizer: optimizer,
                                                    nodeRanks: [2], nodeLocalRank: [0, 1, 0, 1])[r]
            XCTAssertGreaterThan(out[r].held, planned, "rank \(r): rows were stored lazily")
            XCTAssertLessThanOrEqual(out[r].held, bound, "rank \(r)")
        }
    }

    /// An eval reads a lazy row nobody trained as it would start, and stores
    /// none: what a rank holds is what training left (an eval once stored
    /// every row it read, and a run ended over its budget), and the metrics
    /// equal row_wise's, which stores every row, on the same trained model.
    func testEvalStoresNoRow() throws {
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        var config = config()
        config.data.synthetic.zipfExponent = 0.5   // flat enough that eval reads rows training never did
        config.sharding.profileSteps = 1
        config.run.steps = 3
        config.run.evalSamples = 2_000
        func run(_ type: ShardingType) -> [(trained: Int, evaluated: Int, eval: EvalMetrics)] {
            var c = config
            c.sharding.type = .uniform(type)
            return LocalCommunicator.run(worldSize: 4, topology: topo) { comm in
                let t = try! Trainer(config: c, comm: comm)
                for _ in 0..<c.run.steps { t.trainStep() }
                let trained = t.embeddings.memoryBytes
                let eval = t.evaluate()
                return (trained, t.embeddings.memoryBytes, eval)
            }
        }
        let flex = run(.flexShard), rowWise = run(.rowWise)
        for r in 0..<4 {
            XCTAssertEqual(flex[r].evaluated, flex[r].trained, "rank \(r): the eval stored rows")
            XCTAssertEqual(flex[r].eval.logloss, rowWise[r].eval.logloss, accuracy: 1e-5 * rowWise[r].eval.logloss)
            XCTAssertEqual(flex[r].eval.auc, rowWise[r].eval.auc, accuracy: 1e-6)
        }
    }

    /// The profiled FlexShard plan with both tiers' cross-node sync forced.
    static func tieredPlan(_ config: RunConfig, topology: Topology, tables: [TableConfig],
                           hot: RowTiers.CrossNodeSync, warm: RowTiers.CrossNodeSync) throws -> ShardingPlan {
        let source = try DataSources.load(config.data, seed: 1).source
        let layout = try FeatureLayout(schema: source.schema, model: config.model)
        precondition(tables == layout.tables)
        var plan = try ShardingPlanner.plan(for: config, layout: layout, source: source, topology: topology,
                                            roomForLaterRows: false).plan
        for i in plan.tables.indices {
            plan.tables[i].tiers?.hotSync = hot
            plan.tables[i].tiers?.warmSync = warm
        }
        return plan
    }

    func testEveryCrossNodeSyncIsExactIdenticalAndPredicted() throws {
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        var config = config()
        config.run.steps = 5
        var single = config
        single.sharding.type = .uniform(.tableWise)
        let reference = try EquivalenceTests.train(single, worldSize: 1)
        let modes: [(RowTiers.CrossNodeSync, RowTiers.CrossNodeSync)] = [(.allreduce, .allreduce), (.gather, .gather),
                                                                         (.allreduce, .gather), (.gather, .allreduce)]
        for (hot, warm) in modes {
            let what = "hot by \(hot), warm by \(warm)"
            let makePlan = { (t: Topology, tables: [TableConfig]) in
                try! Self.tieredPlan(config, topology: t, tables: tables, hot: hot, warm: warm)
            }
            // One process's model.
            let got = try EquivalenceTests.train(config, worldSize: 4, topology: topo, plan: makePlan)
            EquivalenceTests.assertClose(got, reference, what)
            // Bit-identical hot copies after every step; predicted bytes == the ledger's.
            let out = LocalCommunicator.run(worldSize: 4, topology: topo) { comm -> ([[UInt32]], [PhaseTotals], [[FeatureIds]], Trainer) in
                let tables = try! FeatureLayout(schema: DataSources.load(config.data, seed: 1).source.schema, model: config.model).tables
                let trainer = try! Trainer(config: config, comm: comm, plan: makePlan(comm.topology, tables))
                comm.ledger.resetAll()
                var copies: [[UInt32]] = [], ids: [[FeatureIds]] = []
                for s in 0..<config.run.steps {
                    ids.append(trainer.layout.ids(of: trainer.localBatch(s)))
                    trainer.trainStep()
                    copies.append(trainer.embeddings.replicatedRows().map(\.bitPattern))
                }
                return (copies, comm.ledger.run, ids, trainer)
            }
            let plan = out[0].3.plan
            XCTAssertTrue(plan.tables.contains { ($0.tiers?.hot ?? 0) > 0 } && plan.tables.contains { ($0.tiers?.warm ?? 0) > 0 },
                          "\(what): the plan has hot and warm rows")
            for r in 1..<4 { XCTAssertEqual(out[r].0, out[0].0, "\(what): rank \(r)'s hot copies differ from rank 0's") }
            let t0 = out[0].3
            let steps = (0..<config.run.steps).map { s in (0..<4).map { out[$0].2[s] } }
            let predicted = TrafficPredictor.predict(plan: plan, tables: t0.layout.tables, features: t0.layout.features,
                                                     topology: topo, steps: steps, denseParameters: t0.model.parameterCount)
            for line in PhaseComparison.mismatches(predicted, out.map(\.1), what: what) { XCTFail(line) }
            XCTAssertGreaterThan(predicted.phase(.replicaGradSync)?.bytesSent.reduce(0, +) ?? 0, 0, what)
        }
    }
}
