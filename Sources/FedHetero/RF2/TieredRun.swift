import Collectives
import Federated
import Foundation
import RunKit

/// What a tiered run needs beyond the federation: the mapping and its seed,
/// and the optimizations.
public struct TierConfig: Sendable, Equatable, Codable {
    public var mapping = TierMapping.dirichlet(alpha: 0.005)
    public var seed: UInt64 = 2206
    public var optimizations = TierOptimizations()
    public init() {}
}

/// summary.json of a tiered run: the plain summary plus the tiers.
public struct TieredSummary: Sendable, Codable {
    public var fl: FLSummary
    public var mapping: String
    public var optimization: String
    public var tierSizes: [Int]
    /// Final eval AUC of tier 0, 1, 2 (nil where a tier has no eval samples).
    public var tierAUC: [Double?]
}

/// `strata fl` with `tiers` set: a plain federated run whose users have RF^2
/// tiers, the tier-aware optimizations applied, and per-tier eval every eval.
public enum TieredRun {
    public static func tierGroup(_ t: Int) -> String { "rf2_tier:\(t)" }

    public static func run(comm: Communicator, config: FederationConfig, tiers tc: TierConfig, source: ClientSource,
                           directory: String?, watch: PhaseWatch? = nil, progress: (String) -> Void = { _ in }) throws -> TieredSummary? {
        try config.validate(population: source.population)
        try tc.optimizations.validate()
        let tiers = try TierAssignment.build(tc.mapping, source: source, seed: tc.seed)
        let spec = config.model.spec(for: source)
        let model = ClientModel(spec: spec, maxBatch: config.maxBatch, seed: config.seed)
        let hetero = tc.optimizations.heteroWidths.map {
            HeteroTask(source: source, full: model, widths: $0, tiers: tiers, maxBatch: config.maxBatch, seed: config.seed,
                       failingClients: Set(config.failingClients))
        }
        let base: FederatedTask = hetero
            ?? DLRMTask(source: source, model: model, seed: config.seed, failingClients: Set(config.failingClients))
        let task: FederatedTask = tc.optimizations.touchesUpdates
            ? TieredTask(inner: base, tiers: tiers, optimizations: tc.optimizations, seed: config.seed) : base
        let engine = RoundEngine(comm: comm, tasks: [task], watch: watch)
        guard engine.isServer else { engine.serve(); return nil }
        defer { engine.stopHosts() }
        let selection = TieredSelection(tiers: tiers, optimizations: tc.optimizations)
        let members = selection.members
        if let m = members, m.count < config.clientsPerRound {
            throw OptError(key: "rf2.exclude_low", "leaves \(m.count) clients, fewer than clients_per_round \(config.clientsPerRound)")
        }
        let writer = try directory.map { try RunFolder.federated($0) }
        let fed = Federation(name: "fl", config: config, source: source, engine: engine, taskIndex: 0,
                             initial: model.flat(), flopsPerSample: model.flopsPerSample, members: members)
        if let hetero {
            fed.clientModel = { hetero.modelSize(of: $0) }
            // Masked aggregation where some tier trains part of the model (all widths 1 is plain FedAvg).
            if hetero.subModels.contains(where: { $0.index.count < hetero.parameterCount }) {
                fed.coverage = { hetero.subModels[tiers.tier(of: $0)].coverage }
            }
        }
        if tc.optimizations.overSelect > 0 {
            let pool = members?.count ?? source.population
            fed.selectClients = { [unowned fed] r, k in
                selection.keep(fed.sample(round: r, count: selection.asked(k, pool: pool), stream: 0), k: k)
            }
        }
        let groupsOf = FederatedRun.groups(config, source) { [tierGroup(tiers.tier(of: $0))] }
        let evaluation = try RoundEvaluation(config: config, source: source, engine: engine, taskIndex: 0, groupsOf: groupsOf)
        // Each device is evaluated with the model it runs: its tier's sub-model under HeteroFL.
        evaluation.scorer = TierEvaluator(full: model, hetero: hetero, tiers: tiers, maxBatch: config.maxBatch, seed: config.seed)
        let (records, wall) = try FederatedRun.rounds(fed, evaluation: evaluation, config: config, writer: writer,
                                                      progress: progress) { rec in
            var line = FederatedRun.progressLine(rec)
            if let g = rec.evalGroups {
                line += ", tier AUC " + (0..<TierAssignment.count).map { g[tierGroup($0)].map { String(format: "%.4f", $0.auc) } ?? "-" }
                    .joined(separator: "/")
            }
            return line
        }
        let fl = FederatedRun.summarize(mode: "fl", records: records, config: config, source: source, comm: comm,
                                        parameters: fed.parameterCount, wall: wall)
        let summary = TieredSummary(fl: fl, mapping: tc.mapping.name, optimization: tc.optimizations.name, tierSizes: tiers.sizes,
                                    tierAUC: (0..<TierAssignment.count).map { fl.finalEvalGroups?[tierGroup($0)]?.auc })
        if let writer {
            try writer.writeJSON("summary.json", summary)
            try FederatedRun.writePlots(writer, series: ["fl": records])
            var perTier: [Plot.Series] = []
            for t in 0..<TierAssignment.count {
                perTier.append(.init(name: "tier \(t)", points: records.compactMap { rec in
                    rec.evalGroups?[tierGroup(t)].map { (Double(rec.round), $0.auc) }
                }))
            }
            try writer.writeText("tier_auc.svg", Plot(title: "Eval AUC per tier (\(tc.mapping.name), \(tc.optimizations.name))",
                                          xLabel: "round", yLabel: "eval AUC", series: perTier).render())
        }
        return summary
    }
}
