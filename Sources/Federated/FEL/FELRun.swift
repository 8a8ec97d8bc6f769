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
                           directory: String?, progress: (String) -> Void = { _ in }) throws -> FLSummary? {
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
        let engine = RoundEngine(comm: comm, tasks: [task, overTask])
        let groups = LeafGroups(world: engine, leaves: fel.k, task: leafTask)
        guard engine.isServer else { engine.serve(phase: groups.hostRound); return nil }
        defer { engine.stopHosts() }
        let t0 = monotonicSeconds()
        let writer = try directory.map { try RunFolder.federated($0) }

        // Clusters of public features.
        let N = source.population
        let fitClients = N <= fel.kmeansSample ? Array(0..<N)
            : ClientSampler.sample(fel.kmeansSample, of: N, seed: config.seed, round: 0, stream: 0xC1)
        let km = KMeans.fit(fitClients.map { source.publicFeatures(client: $0) }, k: fel.k, seed: config.seed)
        var cluster = [Int32](repeating: 0, count: N)
        var members = [[Int]](repeating: [], count: fel.k)
        for c in 0..<N {
            let a = km.assign(source.publicFeatures(client: c))
            cluster[c] = Int32(a)
            members[a].append(c)
        }
        let kLeaf = members.map { $0.isEmpty ? 0 : min($0.count, max(1, Int((Double(config.clientsPerRound) * Double($0.count) / Double(N)).rounded()))) }
        progress("fel: \(fel.k) clusters of sizes \(members.map(\.count)), clients a leaf round \(kLeaf)")

        let initial = model.flat()
        let baseline = Federation(name: "fl", config: config, source: source, engine: engine, taskIndex: 0,
                                  initial: initial, flopsPerSample: model.flopsPerSample)
        let leaves = (0..<fel.k).map {
            Federation(name: "leaf\($0)", config: config, source: leafSource, engine: groups.engine(leaf: $0), taskIndex: 0,
                       initial: initial, flopsPerSample: model.flopsPerSample, members: members[$0])
        }
        let groupsOf = FederatedRun.groups(config, source) { ["kmeans:\(cluster[$0])"] }
        let evalSet = try EvalSet(source: source, limit: config.evalClients, seed: config.seed, groupsOf: groupsOf)
        let evalModel = ClientModel(spec: spec, maxBatch: config.maxBatch, seed: config.seed)
        let leafModels = (0..<fel.k).map { _ in ClientModel(spec: spec, maxBatch: config.maxBatch, seed: config.seed) }

        var baseRecords: [RoundRecord] = [], felRouted: [(round: Int, sim: Double, q: Quality)] = []
        var leafRecords: [String: [RoundRecord]] = [:]
        var felSim = 0.0
        for r in 1...config.rounds {
            var leafRecs = groups.round(r, leaves.indices.filter { kLeaf[$0] > 0 }.map {
                (leaf: $0, federation: leaves[$0], clients: kLeaf[$0], stream: 100 + UInt64($0))
            })
            felSim += leafRecs.reduce(0) { max($0, $1.simSeconds) }
            var base = baseline.round(r, clients: config.clientsPerRound, stream: 0)
            if r % config.evalEvery == 0 || r == config.rounds {
                evalModel.load(from: baseline.global.pointer)
                let q = evalSet.evaluate { evalModel.logits($1) }
                base.eval = q.overall
                base.evalGroups = q.groups
                for (l, leaf) in leaves.enumerated() { leafModels[l].load(from: leaf.global.pointer) }
                let routed = evalSet.evaluate { c, s in leafModels[Int(cluster[c])].logits(s) }
                felRouted.append((r, felSim, routed.overall))
                if var last = leafRecs.popLast() {
                    last.eval = routed.overall
                    last.evalGroups = routed.groups
                    leafRecs.append(last)
                }
            }
            for rec in leafRecs {
                try writer?.append(rec)
                leafRecords["fel_leaves", default: []].append(rec)
            }
            try writer?.append(base)
            baseRecords.append(base)
            progress(FederatedRun.progressLine(base))
            if let q = felRouted.last, q.round == r {
                progress(String(format: "fel leaves (routed) round %d: eval logloss %.4f NE %.4f AUC %.4f", r, q.q.logloss, q.q.ne, q.q.auc))
            }
        }

        // Phase 2: the over-arch over the frozen leaves.
        for (l, leaf) in leaves.enumerated() { leafModels[l].load(from: leaf.global.pointer) }
        // Over-arch inputs per sample: the k leaves' logits, the client's
        // cluster one-hot (public), and their product (the own leaf's logit in
        // its slot), so the over-arch can both route and blend.
        let width = 3 * fel.k
        func leafOutputs(_ client: Int, _ s: ClientSamples) -> [Float] {
            var out = [Float](repeating: 0, count: s.count * width)
            let own = Int(cluster[client])
            for l in 0..<fel.k {
                let z = leafModels[l].logits(s)
                for i in 0..<s.count {
                    out[i * width + l] = z[i]
                    if l == own {
                        out[i * width + fel.k + l] = 1
                        out[i * width + 2 * fel.k + l] = z[i]
                    }
                }
            }
            return out
        }
        var overConfig = config
        overConfig.client = fel.overClient
        overConfig.strategy = .fedAvg(serverLR: 1)
        overConfig.rounds = fel.overRounds
        let overFed = Federation(name: "over_arch", config: overConfig, source: overSource, engine: engine, taskIndex: 1,
                                 initial: Array(arch.params.buffer), flopsPerSample: 6 * Double(arch.parameterCount))
        let serverArch = OverArch(inputs: width, hidden: fel.overHidden, maxBatch: config.maxBatch, seed: config.seed,
                                  residual: (2 * fel.k)..<(3 * fel.k))
        let evalInputs = zip(evalSet.clients, evalSet.samples).map { leafOutputs($0, $1) }
        var overRecords: [RoundRecord] = []
        var felQuality: Quality?
        for r in 1...fel.overRounds {
            var rec = overFed.round(r, clients: config.clientsPerRound, stream: 999) { c in
                (try? overSource.data(client: c).train).map { leafOutputs(c, $0) } ?? []
            }
            if r % config.evalEvery == 0 || r == fel.overRounds {
                serverArch.params.pointer.update(from: overFed.global.pointer, count: serverArch.parameterCount)
                var index: [Int: Int] = [:]
                for (i, c) in evalSet.clients.enumerated() { index[c] = i }
                let q = evalSet.evaluate { c, s in serverArch.logits(evalInputs[index[c]!], count: s.count) }
                rec.eval = q.overall
                rec.evalGroups = q.groups
                felQuality = q.overall
            }
            try writer?.append(rec)
            overRecords.append(rec)
            progress(FederatedRun.progressLine(rec))
        }

        // Centralized upper bound.
        var central: Quality?
        if fel.centralEpochs > 0 {
            let pool = ClientSampler.sample(min(fel.centralClients, N), of: N, seed: config.seed, round: 0, stream: 0xCE).sorted()
            var all = ClientSamples.empty
            for c in pool { all = all.appending(try source.data(client: c).train) }
            let scratch = FlatBuffer<Float>(count: model.parameterCount)
            let init0 = FlatBuffer<Float>(count: model.parameterCount)
            for i in initial.indices { init0.pointer[i] = initial[i] }
            _ = evalModel.trainFull(from: init0.pointer, data: all, epochs: fel.centralEpochs, batch: fel.centralBatch,
                                learningRate: Float(fel.centralLR), proximalMu: 0, shuffleSeed: config.seed, update: scratch.pointer)
            for i in 0..<model.parameterCount { scratch.pointer[i] = init0.pointer[i] - scratch.pointer[i] }
            evalModel.load(from: scratch.pointer)
            central = evalSet.evaluate { evalModel.logits($1) }.overall
            progress(String(format: "centralized (%d samples, %d epochs): eval logloss %.4f NE %.4f AUC %.4f",
                            all.count, fel.centralEpochs, central!.logloss, central!.ne, central!.auc))
        }

        let single = baseRecords.last { $0.eval != nil }?.eval
        let singleSim = baseRecords.reduce(0) { $0 + $1.simSeconds }
        var cmp = FELComparison(k: fel.k, holdoutFraction: fel.holdoutFraction, clusterSizes: members.map(\.count), clientsPerLeafRound: kLeaf,
                                singleFL: single, routedLeaves: felRouted.last?.q, fel: felQuality, centralized: central,
                                loglossGainPercent: nil, neGainPercent: nil, aucGainPercent: nil,
                                roundsToSingleFinal: nil, simSecondsToSingleFinal: nil,
                                singleSimSeconds: singleSim, felSimSeconds: felSim + overRecords.reduce(0) { $0 + $1.simSeconds })
        if let s = single, let f = felQuality {
            cmp.loglossGainPercent = 100 * (s.logloss - f.logloss) / s.logloss
            cmp.neGainPercent = 100 * (s.ne - f.ne) / s.ne
            cmp.aucGainPercent = 100 * (f.auc - s.auc) / s.auc
        }
        if let s = single, let hit = felRouted.first(where: { $0.q.logloss <= s.logloss }) {
            cmp.roundsToSingleFinal = hit.round
            cmp.simSecondsToSingleFinal = hit.sim
        }
        var summary = FederatedRun.summarize(mode: "fel", records: baseRecords + (leafRecords["fel_leaves"] ?? []) + overRecords,
                                             config: config, source: source, comm: comm, parameters: model.parameterCount,
                                             wall: monotonicSeconds() - t0)
        summary.finalEval = felQuality
        summary.fel = cmp
        if let writer {
            try writer.writeJSON("summary.json", summary)
            var extra = [Plot.Series(name: "fel leaves (routed)", points: felRouted.map { (Double($0.round), $0.q.logloss) })]
            if let f = felQuality { extra.append(.init(name: "fel (over-arch)", points: [(Double(config.rounds), f.logloss)])) }
            if let c = central { extra.append(.init(name: "centralized", points: [(1, c.logloss), (Double(config.rounds), c.logloss)])) }
            try FederatedRun.writePlots(writer, series: ["single fl": baseRecords], extra: extra)
        }
        return summary
    }
}
