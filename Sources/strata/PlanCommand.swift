import ArgumentParser
import CLISupport
import Cluster
import Collectives
import Data
import Foundation
import Model
import ShardedEmbeddings
import Sharding
import Tensors
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
        communication seconds per step (alpha-beta: each collective pays its link class's \
        latency per round, ceil(log2 ranks) rounds, plus the busiest rank's bytes over each \
        link class's bandwidth, summed over phases; latencies from --calibration FILE or \
        topology.calibration, written by strata bench comm --calibrate, else this machine's \
        figures), and the collectives per step of the busiest rank. Predictions use sharding.profile_steps global \
        batches of the configured data; a run on the same batches measures the same bytes. \
        sharding.dedup_ids: true predicts the exchange with each distinct id sent once per \
        rank and step; sharding.profile: TRACE ranks FlexShard's rows by an access trace \
        (strata data profile) instead of the data's counts. FlexShard's tiers are cut with \
        the calibration file's latencies where one is named (a tier whose sync latency \
        exceeds the link time it saves is not cut), else by bytes alone, as strata train \
        cuts them; either way the command prints FlexShard's collectives a step and, in one \
        line, a tier the latencies drop and why. For weak-scaled worlds of \
        hundreds of ranks, sharding.profile_samples=N profiles a seeded sample of the \
        batches and --routed-nodes K routes only K seeded nodes' batches, estimating the \
        other ranks from them (docs/benchmarks/flexshard.md, "Sampled profiles", states the error). \
        No MPI is needed. The config's keys are strata train's (strata train --help lists them).
        """
    )

    @OptionGroup var configOptions: ConfigOptions
    var config: String? { configOptions.config }
    var overrides: [String] { configOptions.overrides }

    @Option(help: "World size to plan for.")
    var ranks: Int

    @Option(name: .customLong("ranks-per-node"), help: "Ranks per node (default: topology.ranks_per_node, else all on one node).")
    var ranksPerNode: Int?

    @Option(help: "Link figures for the model (JSON from strata bench comm --calibrate; default: topology.calibration, else this machine's).")
    var calibration: String?

    @Option(name: .customLong("routed-nodes"),
            help: "Route the batches of K seeded nodes only and estimate the other ranks from them (default: every node, exact).")
    var routedNodes: Int?

    @Flag(name: .customLong("sampling-error"),
          help: "Instead of the comparison: FlexShard planned from the sampled profile (sharding.profile_samples) against the whole one, and --routed-nodes' estimate against routing every node: hot-set overlap and error of the bytes per rank.")
    var samplingError = false

    @Option(help: "Write the comparison as JSON to FILE ('-': standard output, instead of the table).")
    var json: String?

    func validate() throws {
        guard ranks > 0 else { throw ValidationError("--ranks must be positive, got \(ranks)") }
        if let k = routedNodes, k <= 0 { throw ValidationError("--routed-nodes must be positive, got \(k)") }
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
        /// The busiest rank's collectives per step (every phase).
        var collectivesPerStep: Double?
        var phases: [PredictedTraffic.Phase]
        var tiers: [String: [Int]]?
        /// FlexShard's row: the placement floor (`PlanFloor`), on several nodes.
        var floor: Floor?
    }

    struct Floor: Codable {
        var oneCopyBytesPerStep: Double, interNodeBytesPerStep: Double
        var denseSecondsPerStep: Double, secondsPerStep: Double
    }

    /// What both modes read: the config, the world, the data and its layout.
    struct Setup {
        var cfg: RunConfig
        var L: Int
        var topology: Topology
        var source: any BatchSource
        var layout: FeatureLayout
        /// Global batch, and the profiled (and routed) global batches.
        var G: Int, steps: Int
        var dense: Int
        var calibration: CommCalibration
        /// Whether a calibration file was named: then FlexShard's tiers are
        /// cut with its latencies, as `strata train` cuts them with
        /// `topology.calibration`; without one, by bytes alone, as train does.
        var calibrationFile: Bool
    }

    func setup() throws -> Setup {
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
        var calibration = CommCalibration.machineDefault
        if let path = self.calibration ?? cfg.topology.calibration {
            do { calibration = try CommCalibration.read(path) } catch { throw inputFailure("\(error)") }
        }
        let topology = try Topology.emulated(worldSize: ranks, ranksPerNode: L,
                                             intraNodeBandwidth: calibration.intraNodeBandwidth ?? cfg.topology.intraNodeGiBps * 1_073_741_824,
                                             interNodeBandwidth: calibration.interNodeBandwidth ?? cfg.topology.interNodeGiBps * 1_073_741_824)
        let data = try DataSources.load(cfg.data, seed: cfg.run.seed)
        let layout = try FeatureLayout(schema: data.source.schema, model: cfg.model)
        let G = cfg.run.batchSize
        let steps = max(1, min(cfg.sharding.profileSteps, data.source.sampleCount(.train) / G))
        return Setup(cfg: cfg, L: L, topology: topology, source: data.source, layout: layout, G: G, steps: steps,
                     dense: Self.denseParameters(cfg, layout: layout, denseCount: data.source.schema.denseCount),
                     calibration: calibration, calibrationFile: self.calibration ?? cfg.topology.calibration != nil)
    }

    /// `--routed-nodes`' seeded choice of nodes (nil: every node).
    func routedNodeList(_ s: Setup) -> [Int]? {
        routedNodes.map { k in
            var g = StrataRNG(seed: StrataRNG.hash(seed: s.cfg.run.seed, stream: 0x524F_5554, index: UInt64(s.topology.nodeCount)))
            return g.distinct(min(k, s.topology.nodeCount), of: s.topology.nodeCount)
        }
    }

    /// Routes the profiled batches (or `batches`) through every accumulator (all
    /// route the same ranks): each rank's batch is made once, routed for all, dropped.
    static func route(_ accumulators: [TrafficAccumulator], _ s: Setup, batches: Range<Int>? = nil) {
        TrafficAccumulator.route(accumulators, source: s.source, layout: s.layout, batchSize: s.G, dedup: s.cfg.data.dedup,
                                 batches: batches ?? 0..<s.steps)
    }

    func run() throws {
        let setup = try setup()
        if samplingError { return try reportSamplingError(setup) }
        let profile = try profile(setup)
        let (plans, refused, autoLine, flexSync) = try plans(setup, profile: profile)
        let rows = rows(setup, plans: plans, profile: profile)
        for r in refused { printError("strata plan: refused \(r)") }
        if let json {
            do { try StrataJSON.write(rows, to: json) } catch {
                printError("strata: error: cannot write \(json): \(error.localizedDescription)")
                throw ExitCode(2)
            }
            if json == "-" { return }
        }
        printTable(setup, rows)
        if let autoLine { print(autoLine) }
        if let flex = rows.first(where: { $0.strategy == ShardingType.flexShard.rawValue }) {
            printFlexShard(flex, among: rows, sync: flexSync)
        }
    }

    /// The ids' access counts: the trace's (`sharding.profile_path`), else the data's.
    func profile(_ setup: Setup) throws -> AccessProfile {
        let (cfg, layout, G, steps) = (setup.cfg, setup.layout, setup.G, setup.steps)
        let profile: AccessProfile
        if let path = cfg.sharding.profilePath {
            // The trace stands in for the data's counts; the bytes are still routed from the data's batches.
            do { profile = try AccessTrace.read(path).profile(for: layout.tables, file: path) } catch {
                throw inputFailure(error)
            }
        } else {
            profile = AccessProfile.measure(source: setup.source, layout: layout, batchSize: G, steps: steps, dedup: cfg.data.dedup,
                                            samples: cfg.sharding.profileSamples, seed: cfg.run.seed)
        }
        return profile
    }

    /// Every strategy's plan for this config, and the strategies the planner refused (with why).
    func plans(_ setup: Setup, profile: AccessProfile) throws
        -> (plans: [(strategy: String, plan: ShardingPlan)], refused: [String], autoLine: String?, flexSync: FlexSync) {
        let (cfg, topology, layout, G) = (setup.cfg, setup.topology, setup.layout, setup.G)
        var refused: [String] = []
        let target = ShardingPlanner.Target(tables: layout.tables, topology: topology, optimizer: cfg.optimizer.embedding,
                                            trainingSteps: AccessProfile.trainingBatches(steps: cfg.run.steps, source: setup.source,
                                                                                         batchSize: G),
                                            elementBytes: cfg.precision.embedding.bytes,
                                            calibration: setup.calibrationFile ? setup.calibration : nil)
        var plans: [(strategy: String, plan: ShardingPlan)] = []
        var autoLine: String?
        var flexSync = FlexSync()
        for choice in ShardingChoice.allCases {
            var s = cfg.sharding
            s.type = choice
            s.tables = [:]
            do {
                if choice == .auto {
                    // Priced as `strata train` prices it, with this command's calibration.
                    let planned = try AutoSharding.plan(s, for: target, config: cfg, layout: layout, source: setup.source,
                                                        calibration: setup.calibration) { profile }
                    autoLine = planned.auto?.line
                    plans.append((choice.name, planned.plan))
                } else {
                    let planned = try ShardingPlanner.plan(s, for: target) { profile }
                    if choice == .uniform(.flexShard) {
                        flexSync.planned = planned.flexShardSync
                        if !setup.calibrationFile {
                            var latencyAware = target
                            latencyAware.calibration = setup.calibration
                            flexSync.withLatency = try ShardingPlanner.plan(s, for: latencyAware) { profile }.flexShardSync
                        }
                    }
                    plans.append((choice.name, planned.plan))
                }
            } catch let e as PlanError {
                refused.append("\(choice.name): \(e.description)")
            }
        }
        return (plans, refused, autoLine, flexSync)
    }

    /// Each plan's memory, modelled bytes and time, routed from the data's batches.
    func rows(_ setup: Setup, plans: [(strategy: String, plan: ShardingPlan)], profile: AccessProfile) -> [Row] {
        let (cfg, L, topology, layout, steps, dense) = (setup.cfg, setup.L, setup.topology, setup.layout, setup.steps, setup.dense)
        let routed = routedNodeList(setup)
        let accumulators = plans.map {
            TrafficAccumulator(plan: $0.plan, tables: layout.tables, features: layout.features, topology: topology,
                               denseParameters: dense, dedupIds: cfg.sharding.dedupIds, payload: cfg.precision.payload,
                               routedNodes: routed, calibration: setup.calibration)
        }
        Self.route(accumulators, setup)
        var rows: [Row] = []
        for ((strategy, plan), acc) in zip(plans, accumulators) {
            let traffic = acc.traffic
            let memory = plan.memoryPerRank(tables: layout.tables, optimizer: cfg.optimizer.embedding,
                                            nodeRanks: [L], nodeLocalRank: (0..<ranks).map { $0 % L },
                                            elementBytes: cfg.precision.embedding.bytes)
            let tiers = plan.tables.compactMap { t in t.tiers.map { (t.table, [$0.hot, $0.warm, $0.cold, $0.seenCold]) } }
            rows.append(Row(strategy: strategy, maxMemoryBytesPerRank: memory.max() ?? 0,
                            allToAllBytesPerStep: traffic.allToAllBytesPerStep, interNodeBytesPerStep: traffic.interNodeBytesPerStep,
                            totalBytesPerStep: traffic.totalBytesPerStep, embeddingBytesPerStep: traffic.embeddingBytesPerStep,
                            embeddingInterNodeBytesPerStep: traffic.embeddingInterNodeBytesPerStep,
                            modelledSecondsPerStep: traffic.modelledSecondsPerStep, collectivesPerStep: traffic.collectivesPerStep,
                            phases: traffic.phases, tiers: tiers.isEmpty ? nil : Dictionary(uniqueKeysWithValues: tiers),
                            floor: plan.tables.contains { $0.tiers != nil }
                                ? PlanFloor(profile: profile, tables: layout.tables, topology: topology,
                                            dense: traffic.phase(.denseAllreduce), steps: steps).map {
                                      Floor(oneCopyBytesPerStep: $0.oneCopyBytes, interNodeBytesPerStep: $0.interNodeBytes,
                                            denseSecondsPerStep: $0.denseSeconds, secondsPerStep: $0.seconds)
                                  } : nil))
        }
        return rows
    }

    /// The comparison table, with its header line.
    func printTable(_ setup: Setup, _ rows: [Row]) {
        let (cfg, L, topology, G, steps) = (setup.cfg, setup.L, setup.topology, setup.G, setup.steps)
        let routed = routedNodeList(setup)
        print("# strata plan: \(ranks) ranks, \(ranks / L) node(s) of \(L); \(steps) profiled global batches of \(G); "
              + (cfg.sharding.profileSamples > 0 ? "profile of \(cfg.sharding.profileSamples) sampled samples; " : "")
              + (routed.map { "routed nodes \($0.map(String.init).joined(separator: ",")), others estimated; " } ?? "")
              + "dedup_ids \(cfg.sharding.dedupIds); "
              + String(format: "bandwidths intra %.4g GiB/s, inter %.4g GiB/s; latency per round intra %.1f us, inter %.1f us",
                       topology.intraNodeBandwidth / 1_073_741_824, topology.interNodeBandwidth / 1_073_741_824,
                       setup.calibration.intraNodeLatency * 1e6, setup.calibration.interNodeLatency * 1e6))
        print(["strategy", "mem/rank MB", "a2a MB/step", "emb MB/step", "emb inter MB", "all MB/step", "coll/step", "model ms/step"]
            .map { $0.padding(toLength: 16, withPad: " ", startingAt: 0) }.joined())
        print("(a2a: all-to-all of both lanes; emb: a2a plus replica syncs; all: every phase incl. the dense allreduce; summed over ranks; coll: the busiest rank's collectives)")
        for r in rows {
            let cols = [r.strategy, String(format: "%.3f", Double(r.maxMemoryBytesPerRank) / 1e6),
                        String(format: "%.4f", r.allToAllBytesPerStep / 1e6), String(format: "%.4f", r.embeddingBytesPerStep / 1e6),
                        String(format: "%.4f", r.embeddingInterNodeBytesPerStep / 1e6),
                        String(format: "%.4f", r.totalBytesPerStep / 1e6), String(format: "%.0f", r.collectivesPerStep ?? 0),
                        String(format: "%.4f", r.modelledSecondsPerStep * 1e3)]
            print(cols.map { $0.padding(toLength: 16, withPad: " ", startingAt: 0) }.joined())
        }
    }

    /// FlexShard's tiers and how it compares with the best TorchRec baseline and the placement floor.
    /// What FlexShard's tier planner reported (`FlexShardPlanner.SyncReport`):
    /// for the plan shown, and, where no calibration file was named (the
    /// tiers cut by bytes alone), what this machine's latencies would cut.
    struct FlexSync {
        var planned: FlexShardPlanner.SyncReport?
        var withLatency: FlexShardPlanner.SyncReport?
    }

    func printFlexShard(_ flex: Row, among rows: [Row], sync flexSync: FlexSync) {
        let sync = flexSync.planned
        guard let tiers = flex.tiers else { return }
        print("flexshard tiers (hot / warm / cold / cold seen by the profile):")
        for (t, v) in tiers.sorted(by: { $0.key < $1.key }) { print("  \(t): \(v.map(String.init).joined(separator: " / "))") }
        if let c = sync?.chosen {
            print(String(format: "flexshard collectives a step: %.0f (replica syncs %d)", flex.collectivesPerStep ?? 0, c.collectivesPerStep))
        }
        if let line = sync?.line { print(line) }
        if let line = flexSync.withLatency?.line {
            print("with this machine's latencies (cut by bytes alone above, as strata train cuts them without topology.calibration), " + line)
        }
        let baselines = rows.filter { ["table_wise", "row_wise", "table_row_wise"].contains($0.strategy) }
        if let best = baselines.min(by: { $0.embeddingBytesPerStep < $1.embeddingBytesPerStep }) {
            print(String(format: "flexshard against the best of table_wise/row_wise/table_row_wise (%@): all-to-all %.1f%% less, embedding bytes %.1f%% less, embedding inter-node %.1f%% less, modelled time %.2fx lower, memory/rank %.2fx",
                         best.strategy, 100 * (1 - flex.allToAllBytesPerStep / max(best.allToAllBytesPerStep, 1)),
                         100 * (1 - flex.embeddingBytesPerStep / max(best.embeddingBytesPerStep, 1)),
                         100 * (1 - flex.embeddingInterNodeBytesPerStep / max(best.embeddingInterNodeBytesPerStep, 1)),
                         best.modelledSecondsPerStep / max(flex.modelledSecondsPerStep, 1e-12),
                         Double(flex.maxMemoryBytesPerRank) / Double(max(best.maxMemoryBytesPerRank, 1))))
        }
        if let best = baselines.min(by: { $0.modelledSecondsPerStep < $1.modelledSecondsPerStep }),
           flex.modelledSecondsPerStep >= best.modelledSecondsPerStep {
            let untiered = sync.map { $0.chosen.hotTables + $0.chosen.warmTables == 0 } ?? false
            let why = untiered
                ? "no copy saves more link time than its sync's latency costs, so the planner cut no hot or warm tier: one copy a row, as the baselines"
                : String(format: "its %.0f collectives a step (%@: %.0f) each pay the link latency, more than its %.1f%% fewer embedding inter-node bytes save",
                         flex.collectivesPerStep ?? 0, best.strategy, best.collectivesPerStep ?? 0,
                         100 * (1 - flex.embeddingInterNodeBytesPerStep / max(best.embeddingInterNodeBytesPerStep, 1)))
            print(String(format: "flexshard is not worth it here: modelled %.2f ms/step against %@'s %.2f; ", flex.modelledSecondsPerStep * 1e3,
                         best.strategy, best.modelledSecondsPerStep * 1e3) + why)
        }
        if let floor = flex.floor, let best = baselines.min(by: { $0.modelledSecondsPerStep < $1.modelledSecondsPerStep }) {
            print(String(format: "placement floor (FlexShardPlanner.interNodeFloor): any placement moves at least %.4f MB/step of embedding bytes between nodes, %.1f%% less than one copy per row (%.4f MB/step); flexshard's plan: %.4f MB/step",
                         floor.interNodeBytesPerStep / 1e6, 100 * (1 - floor.interNodeBytesPerStep / max(floor.oneCopyBytesPerStep, 1)),
                         floor.oneCopyBytesPerStep / 1e6, flex.embeddingInterNodeBytesPerStep / 1e6))
            print(String(format: "so no placement models under %.4f ms/step (dense allreduce %.4f of it): at most %.2fx lower than %@",
                         floor.secondsPerStep * 1e3, floor.denseSecondsPerStep * 1e3, best.modelledSecondsPerStep / floor.secondsPerStep,
                         best.strategy))
        }
    }

    static func denseParameters(_ cfg: RunConfig, layout: FeatureLayout, denseCount: Int) -> Int {
        DLRMDense(shape: layout.dlrmShape(cfg.model, denseFeatures: denseCount, maxBatch: 1, maxSequenceRows: 1), seed: 0)
            .parameterCount
    }
}
