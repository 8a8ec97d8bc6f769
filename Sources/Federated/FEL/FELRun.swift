import Collectives
import Foundation
import RunKit
import Tensors

/// FEL's settings (on top of the federation's).
public struct FELConfig: Sendable, Equatable, Codable {
    /// Leaf federations (clusters of clients by public features).
    public var k = 4
    /// k-means runs on at most this many clients' public features (a seeded sample), then assigns everyone.
    public var kmeansSample = 20_000
    public var overHidden = [8]
    public var overRounds = 10
    public var overClient = ClientRoundConfig(epochs: 1, batch: 0, learningRate: 0.5)
    /// The last fraction of each client's training samples (by time) held out
    /// from the leaves for the over-arch (0: both train on all of it).
    public var holdoutFraction = 0.0
    /// Centralized upper bound: SGD on the pooled training data of at most this many clients.
    public var centralClients = 5000
    public var centralEpochs = 2
    public var centralBatch = 64
    public var centralLR = 0.05
    public init() {}

    public func validate(population: Int) throws {
        if k < 1 { throw FLConfigError(key: "fel.k", "must be at least 1, got \(k)") }
        if k > population { throw FLConfigError(key: "fel.k", "\(k) clusters for \(population) clients") }
        if overRounds < 1 { throw FLConfigError(key: "fel.over_rounds", "must be at least 1, got \(overRounds)") }
        if overHidden.contains(where: { $0 < 1 }) { throw FLConfigError(key: "fel.over_hidden", "widths must be positive") }
        if centralEpochs < 0 { throw FLConfigError(key: "fel.central_epochs", "must be >= 0") }
        if !(holdoutFraction >= 0 && holdoutFraction < 1) {
            throw FLConfigError(key: "fel.holdout_fraction", "must be in [0, 1), got \(holdoutFraction)")
        }
        if centralBatch < 1 { throw FLConfigError(key: "fel.central_batch", "must be positive") }
    }
}

/// FEL against its baselines, in summary.json.
public struct FELComparison: Sendable, Codable {
    public var k: Int
    /// The share of each client's training samples held out from the leaves for the over-arch.
    public var holdoutFraction: Double
    public var clusterSizes: [Int]
    public var clientsPerLeafRound: [Int]
    public var singleFL: Quality?
    /// Each eval client scored by its own cluster's leaf (before the over-arch).
    public var routedLeaves: Quality?
    /// The leaves joined by the over-arch: FEL's model.
    public var fel: Quality?
    public var centralized: Quality?
    /// (single - fel) / single, in %: positive means FEL is better (for AUC: (fel - single) / single).
    public var loglossGainPercent: Double?
    public var neGainPercent: Double?
    public var aucGainPercent: Double?
    /// First round at which the routed leaves reached the single model's final eval logloss.
    public var roundsToSingleFinal: Int?
    public var simSecondsToSingleFinal: Double?
    public var singleSimSeconds: Double
    public var felSimSeconds: Double
}

/// FEL (arXiv 2206.03852) on the runtime: k leaf federations, one per k-means
/// cluster of clients' public features, trained at once, then an over-arch on
/// the server over the frozen leaves' outputs (with the client's public
/// cluster), trained federated with labels on the devices. Beside it, on the same clients and rounds: one FL model of
/// the same on-device size, and centralized training of that model.
///
/// "At once" on communicators of their own (`LeafGroups`): each round the
/// server starts every leaf's round before finishing any, so the leaves'
/// hosts train at the same time; then the baseline's round runs on the
/// world. Simulated time counts the leaves as concurrent (a FEL round lasts
/// as long as its slowest leaf), since their devices are disjoint. Leaf l samples
/// max(1, round(K * |cluster l| / N)) clients a round, so FEL and the
/// baseline train about the same number of clients a round.
public enum FELRun {
    public static func run(comm: Communicator, config: FederationConfig, fel: FELConfig, source: ClientSource,
                           directory: String?, watch: PhaseWatch? = nil, progress: (String) -> Void = { _ in }) throws -> FLSummary? {
        try config.validate(population: source.population)
        try fel.validate(population: source.population)
        let spec = config.model.spec(for: source)
        let model = ClientModel(spec: spec, maxBatch: config.maxBatch, seed: config.seed)
        let task = DLRMTask(source: source, model: model, seed: config.seed, failingClients: Set(config.failingClients))
        // With a holdout the leaves train on the leading part of each client's
        // training samples (their own task and model) and the over-arch on the rest;
        // the single model and the centralized bound keep all of it, so every
        // model sees the same data.
        let split = fel.holdoutFraction > 0
        let leafSource: ClientSource = split ? TrainSlice(source, fraction: fel.holdoutFraction, part: .leading) : source
        let overSource: ClientSource = split ? TrainSlice(source, fraction: fel.holdoutFraction, part: .heldOut) : source
        let leafTask = split ? DLRMTask(source: leafSource, model: ClientModel(spec: spec, maxBatch: config.maxBatch, seed: config.seed),
                                        seed: config.seed, failingClients: Set(config.failingClients)) : task
        // Inputs: k leaf logits, k cluster one-hot, k own-leaf logit (see leafOutputs);
        // the own leaf's logit is the residual the over-arch corrects.
        let arch = OverArch(inputs: 3 * fel.k, hidden: fel.overHidden, maxBatch: config.maxBatch, seed: config.seed,
                            residual: (2 * fel.k)..<(3 * fel.k))
        let overTask = OverArchTask(source: overSource, arch: arch, seed: config.seed)
        let engine = RoundEngine(comm: comm, tasks: [task, overTask], watch: watch)
        let groups = LeafGroups(world: engine, leaves: fel.k, task: leafTask)
        guard engine.isServer else { engine.serve(phase: groups.hostRound); return nil }
        defer { engine.stopHosts() }
        let t0 = monotonicSeconds()
        let writer = try directory.map { try RunFolder.federated($0) }
        let clusters = Clusters(source: source, config: config, fel: fel)
        progress("fel: \(fel.k) clusters of sizes \(clusters.members.map(\.count)), clients a leaf round \(clusters.perRound)")
        let initial = model.flat()
        let groupsOf = FederatedRun.groups(config, source) { ["kmeans:\(clusters.of[$0])"] }
        let server = Server(
            config: config, fel: fel, source: source, overSource: overSource, engine: engine, groups: groups, clusters: clusters,
            model: model, arch: arch, initial: initial,
            baseline: Federation(name: "fl", config: config, source: source, engine: engine, taskIndex: 0,
                                 initial: initial, flopsPerSample: model.flopsPerSample),
            leaves: (0..<fel.k).map {
                Federation(name: "leaf\($0)", config: config, source: leafSource, engine: groups.engine(leaf: $0), taskIndex: 0,
                           initial: initial, flopsPerSample: model.flopsPerSample, members: clusters.members[$0])
            },
            evalSet: try EvalSet(source: source, limit: config.evalClients, seed: config.seed, groupsOf: groupsOf),
            evalModel: ClientModel(spec: spec, maxBatch: config.maxBatch, seed: config.seed),
            leafModels: (0..<fel.k).map { _ in ClientModel(spec: spec, maxBatch: config.maxBatch, seed: config.seed) },
            writer: writer)
        let leaves = try server.trainLeaves(progress: progress)
        let over = try server.trainOverArch(progress: progress)
        let central = try server.centralized(progress: progress)
        var summary = FederatedRun.summarize(mode: "fel", records: leaves.base + leaves.leafRecords + over.records,
                                             config: config, source: source, comm: comm, parameters: model.parameterCount,
                                             wall: monotonicSeconds() - t0)
        summary.finalEval = over.quality
        summary.fel = server.comparison(leaves, over, central: central)
        if let writer { try server.write(summary, leaves, over, central: central, to: writer) }
        return summary
    }
}
