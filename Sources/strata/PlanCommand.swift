import ArgumentParser
import Cluster
import Collectives
import Data
import Foundation
import Model
import ShardedEmbeddings
import Sharding
import Training

/// `strata plan`: every sharding strategy side by side for a config and a
/// world, without running it: memory per rank, bytes per step by phase and
/// link class (the traffic predictor routes the configured data's first
/// batches exactly as the exchanges will), and modelled communication time
/// from the topology's bandwidths.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Compare sharding strategies for a config: memory, bytes per step by link class, modelled time.",
        discussion: """
        For each TorchRec baseline (table_wise, row_wise, column_wise, table_row_wise, \
        data_parallel), FlexShard and the `auto` planner, on --ranks ranks in nodes of \
        --ranks-per-node: the largest per-rank embedding memory (rows plus optimizer state), \
        all-to-all and inter-node bytes per step (summed over ranks), all bytes per step \
        (replica and dense syncs included, allreduce counted as a ring), and the modelled \
        communication seconds per step (busiest rank's bytes over each link class's \
        bandwidth, summed over phases). Predictions use sharding.profile_steps global \
        batches of the configured data; a run on the same batches measures the same bytes. \
        sharding.dedup_ids: true predicts the exchange with each distinct id sent once per         rank and step; sharding.profile: TRACE ranks FlexShard's rows by an access trace         (strata data profile) instead of the data's counts. No MPI is needed.
        """
    )

    @Option(help: "YAML config file.")
    var config: String?

    @Option(name: .customLong("set"), help: "Override a config key, key=value (repeatable).")
    var overrides: [String] = []

    @Option(help: "World size to plan for.")
    var ranks: Int

    @Option(name: .customLong("ranks-per-node"), help: "Ranks per node (default: topology.ranks_per_node, else all on one node).")
    var ranksPerNode: Int?

    @Option(help: "Write the comparison as JSON to FILE ('-': standard output, instead of the table).")
    var json: String?

    func validate() throws {
        guard ranks > 0 else { throw ValidationError("--ranks must be positive, got \(ranks)") }
        if let l = ranksPerNode, l <= 0 || ranks % l != 0 {
            throw ValidationError("--ranks-per-node \(l) must be positive and divide --ranks \(ranks)")
        }
    }

    struct Row: Codable {
        var strategy: String
        var maxMemoryBytesPerRank: Int
        var allToAllBytesPerStep: Double
        var interNodeBytesPerStep: Double
        var totalBytesPerStep: Double
        var embeddingBytesPerStep: Double
        var embeddingInterNodeBytesPerStep: Double
        var modelledSecondsPerStep: Double
        var phases: [PredictedTraffic.Phase]
        var tiers: [String: [Int]]?
    }

    func run() throws {
        let cfg: RunConfig
        do { cfg = try ConfigLoader.load(file: config, overrides: overrides) } catch {
            printError("strata: error: \(error)")
            throw ExitCode(2)
        }
        let L = ranksPerNode ?? cfg.topology.ranksPerNode ?? ranks
        guard ranks % L == 0 else {
            printError("strata: error: topology.ranks_per_node = \(L) does not divide --ranks \(ranks)")
            throw ExitCode(2)
        }
        let topology = try Topology.emulated(worldSize: ranks, ranksPerNode: L,
                                             intraNodeBandwidth: cfg.topology.intraNodeGiBps * 1_073_741_824,
                                             interNodeBandwidth: cfg.topology.interNodeGiBps * 1_073_741_824)
        let data = try DataSources.load(cfg.data, seed: cfg.run.seed)
        let layout = try FeatureLayout(schema: data.source.schema, model: cfg.model)
        let G = cfg.run.batchSize
        let steps = max(1, min(cfg.sharding.profileSteps, data.source.sampleCount(.train) / G))
        let batches = (0..<steps).map { s in
            (0..<ranks).map { r -> [FeatureIds] in
                let range = sliceRange(globalBatch: s, rank: r, worldSize: ranks, step: G)
                return layout.ids(of: data.source.batch(globalStart: range.lowerBound, count: range.count, split: .train,
                                                        dedup: cfg.data.dedup))
            }
        }
        let dense = Self.denseParameters(cfg, layout: layout, denseCount: data.source.schema.denseCount)
        let profile: AccessProfile
        if let path = cfg.sharding.profilePath {
            // The trace stands in for the data's counts; the bytes are still routed from the data's batches.
            do { profile = try AccessTrace.read(path).profile(for: layout.tables, file: path) } catch {
                throw inputFailure("\(error)")
            }
        } else {
            profile = AccessProfile.measure(source: data.source, layout: layout, batchSize: G, steps: steps, dedup: cfg.data.dedup)
        }
        var rows: [Row] = []
        var refused: [String] = []
        let target = ShardingPlanner.Target(tables: layout.tables, topology: topology, optimizer: cfg.optimizer.embedding,
                                            trainingSteps: AccessProfile.trainingBatches(steps: cfg.run.steps, source: data.source,
                                                                                         batchSize: G),
                                            elementBytes: cfg.precision.embedding.bytes)
        for choice in ShardingChoice.allCases {
            let strategy = choice.name
            var s = cfg.sharding
            s.type = choice
            s.tables = [:]
            let plan: ShardingPlan
            do { plan = try ShardingPlanner.plan(s, for: target) { profile }.plan } catch let e as PlanError {
                refused.append("\(strategy): \(e.description)")
                continue
            }
            let traffic = TrafficPredictor.predict(plan: plan, tables: layout.tables, features: layout.features,
                                                   topology: topology, steps: batches, denseParameters: dense,
                                                   dedupIds: cfg.sharding.dedupIds, payload: cfg.precision.payload)
            let memory = plan.memoryPerRank(tables: layout.tables, optimizer: cfg.optimizer.embedding,
                                            nodeRanks: [L], nodeLocalRank: (0..<ranks).map { $0 % L },
                                            elementBytes: cfg.precision.embedding.bytes)
            let tiers = plan.tables.compactMap { t in t.tiers.map { (t.table, [$0.hot, $0.warm, $0.cold, $0.seenCold]) } }
            rows.append(Row(strategy: strategy, maxMemoryBytesPerRank: memory.max() ?? 0,
                            allToAllBytesPerStep: traffic.allToAllBytesPerStep, interNodeBytesPerStep: traffic.interNodeBytesPerStep,
                            totalBytesPerStep: traffic.totalBytesPerStep, embeddingBytesPerStep: traffic.embeddingBytesPerStep,
                            embeddingInterNodeBytesPerStep: traffic.embeddingInterNodeBytesPerStep,
                            modelledSecondsPerStep: traffic.modelledSecondsPerStep,
                            phases: traffic.phases, tiers: tiers.isEmpty ? nil : Dictionary(uniqueKeysWithValues: tiers)))
        }
        for r in refused { printError("strata plan: refused \(r)") }
        if let json {
            do { try StrataJSON.write(rows, to: json) } catch {
                printError("strata: error: cannot write \(json): \(error.localizedDescription)")
                throw ExitCode(2)
            }
            if json == "-" { return }
        }
        print("# strata plan: \(ranks) ranks, \(ranks / L) node(s) of \(L); \(steps) profiled global batches of \(G); "
              + "dedup_ids \(cfg.sharding.dedupIds); "
              + "bandwidths intra \(cfg.topology.intraNodeGiBps) GiB/s, inter \(cfg.topology.interNodeGiBps) GiB/s")
        print(["strategy", "mem/rank MB", "a2a MB/step", "emb MB/step", "emb inter MB", "all MB/step", "model ms/step"]
            .map { $0.padding(toLength: 16, withPad: " ", startingAt: 0) }.joined())
        print("(a2a: all-to-all of both lanes; emb: a2a plus replica syncs; all: every phase incl. the dense allreduce; summed over ranks)")
        for r in rows {
            let cols = [r.strategy, String(format: "%.3f", Double(r.maxMemoryBytesPerRank) / 1e6),
                        String(format: "%.4f", r.allToAllBytesPerStep / 1e6), String(format: "%.4f", r.embeddingBytesPerStep / 1e6),
                        String(format: "%.4f", r.embeddingInterNodeBytesPerStep / 1e6),
                        String(format: "%.4f", r.totalBytesPerStep / 1e6), String(format: "%.4f", r.modelledSecondsPerStep * 1e3)]
            print(cols.map { $0.padding(toLength: 16, withPad: " ", startingAt: 0) }.joined())
        }
        if let flex = rows.first(where: { $0.strategy == ShardingType.flexShard.rawValue }), let tiers = flex.tiers {
            print("flexshard tiers (hot / warm / cold / cold seen by the profile):")
            for (t, v) in tiers.sorted(by: { $0.key < $1.key }) { print("  \(t): \(v.map(String.init).joined(separator: " / "))") }
            let baselines = rows.filter { ["table_wise", "row_wise", "table_row_wise"].contains($0.strategy) }
            if let best = baselines.min(by: { $0.embeddingBytesPerStep < $1.embeddingBytesPerStep }) {
                print(String(format: "flexshard against the best of table_wise/row_wise/table_row_wise (%@): all-to-all %.1f%% less, embedding bytes %.1f%% less, embedding inter-node %.1f%% less, modelled time %.2fx lower, memory/rank %.2fx",
                             best.strategy, 100 * (1 - flex.allToAllBytesPerStep / max(best.allToAllBytesPerStep, 1)),
                             100 * (1 - flex.embeddingBytesPerStep / max(best.embeddingBytesPerStep, 1)),
                             100 * (1 - flex.embeddingInterNodeBytesPerStep / max(best.embeddingInterNodeBytesPerStep, 1)),
                             best.modelledSecondsPerStep / max(flex.modelledSecondsPerStep, 1e-12),
                             Double(flex.maxMemoryBytesPerRank) / Double(max(best.maxMemoryBytesPerRank, 1))))
            }
            if topology.nodeCount > 1, let best = baselines.min(by: { $0.modelledSecondsPerStep < $1.modelledSecondsPerStep }) {
                var oneCopy = 0.0, floor = 0.0
                for (t, table) in layout.tables.enumerated() {
                    let b = FlexShardPlanner.interNodeFloor(counts: profile.counts[t], steps: profile.steps, table: table,
                                                            topology: topology)
                    oneCopy += b.oneCopy; floor += b.floor
                }
                print(String(format: "placement floor (FlexShardPlanner.interNodeFloor): any placement moves at least %.4f MB/step of embedding bytes between nodes, %.1f%% less than one copy per row (%.4f MB/step); flexshard's plan: %.4f MB/step",
                             floor / 1e6, 100 * (1 - floor / max(oneCopy, 1)), oneCopy / 1e6,
                             flex.embeddingInterNodeBytesPerStep / 1e6))
                // Modelled time: the embedding phases take at least the mean rank's
                // share of the floor over the slow link; the dense allreduce is the same for every plan.
                var dense = 0.0
                if let p = flex.phases.first(where: { $0.phase == CommPhase.denseAllreduce.tag }) {
                    for r in 0..<ranks {
                        let intra = Double(p.intraNodeBytes[r]) / topology.intraNodeBandwidth
                        let inter = Double(p.interNodeBytes[r]) / topology.interNodeBandwidth
                        dense = max(dense, (intra + inter) / Double(steps))
                    }
                }
                let fastest = floor / Double(ranks) / topology.interNodeBandwidth + dense
                print(String(format: "so no placement models under %.4f ms/step (dense allreduce %.4f of it): at most %.2fx lower than %@",
                             fastest * 1e3, dense * 1e3, best.modelledSecondsPerStep / fastest, best.strategy))
            }
        }
    }

    static func denseParameters(_ cfg: RunConfig, layout: FeatureLayout, denseCount: Int) -> Int {
        DLRMDense(shape: layout.dlrmShape(cfg.model, denseFeatures: denseCount, maxBatch: 1, maxSequenceRows: 1), seed: 0)
            .parameterCount
    }
}
