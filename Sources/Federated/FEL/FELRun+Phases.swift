import Collectives
import Foundation
import RunKit
import Tensors

/// FEL's phases on the server, in the order `FELRun.run` calls them: the
/// leaves beside the single model, the over-arch over the frozen leaves, the
/// centralized bound, then the comparison and the run folder.
extension FELRun {
    /// Clients' k-means clusters of public features, and each leaf's clients a round.
    struct Clusters {
        /// Each client's cluster.
        let of: [Int32]
        let members: [[Int]]
        /// max(1, round(K * |cluster| / N)) (0 for an empty cluster).
        let perRound: [Int]

        init(source: ClientSource, config: FederationConfig, fel: FELConfig) {
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
            of = cluster
            self.members = members
            perRound = members.map {
                $0.isEmpty ? 0 : min($0.count, max(1, Int((Double(config.clientsPerRound) * Double($0.count) / Double(N)).rounded())))
            }
        }
    }

    /// Phase 1's records: the single model's rounds, the leaves' rounds, and
    /// the routed leaves' quality at each evaluation (with FEL's simulated time).
    struct LeafPhase {
        var base: [RoundRecord] = []
        var leafRecords: [RoundRecord] = []
        var routed: [(round: Int, sim: Double, q: Quality)] = []
        var simSeconds = 0.0
    }

    /// Phase 2's records and the over-arch's last evaluation.
    struct OverPhase {
        var records: [RoundRecord] = []
        var quality: Quality?
    }

    /// What the server's phases share.
    struct Server {
        let config: FederationConfig, fel: FELConfig
        let source: ClientSource, overSource: ClientSource
        let engine: RoundEngine, groups: LeafGroups
        let clusters: Clusters
        let model: ClientModel, arch: OverArch
        let initial: [Float]
        let baseline: Federation, leaves: [Federation]
        let evalSet: EvalSet
        let evalModel: ClientModel, leafModels: [ClientModel]
        let writer: RunFolder?

        /// The leaves (at once, on their own communicators) and the single
        /// model, round by round; at each evaluation the single model and the
        /// leaves routed by cluster.
        func trainLeaves(progress: (String) -> Void) throws -> LeafPhase {
            var out = LeafPhase()
            for r in 1...config.rounds {
                var leafRecs = groups.round(r, leaves.indices.filter { clusters.perRound[$0] > 0 }.map {
                    (leaf: $0, federation: leaves[$0], clients: clusters.perRound[$0], stream: 100 + UInt64($0))
                })
                out.simSeconds += leafRecs.reduce(0) { max($0, $1.simSeconds) }
                var base = baseline.round(r, clients: config.clientsPerRound, stream: 0)
                if r % config.evalEvery == 0 || r == config.rounds {
                    evalModel.load(from: baseline.global.pointer)
                    let q = evalSet.evaluate { evalModel.logits($1) }
                    base.eval = q.overall
                    base.evalGroups = q.groups
                    for (l, leaf) in leaves.enumerated() { leafModels[l].load(from: leaf.global.pointer) }
                    let routed = evalSet.evaluate { c, s in leafModels[Int(clusters.of[c])].logits(s) }
                    out.routed.append((r, out.simSeconds, routed.overall))
                    if var last = leafRecs.popLast() {
                        last.eval = routed.overall
                        last.evalGroups = routed.groups
                        leafRecs.append(last)
                    }
                }
                for rec in leafRecs {
                    try writer?.append(rec)
                    out.leafRecords.append(rec)
                }
                try writer?.append(base)
                out.base.append(base)
                progress(FederatedRun.progressLine(base))
                if let q = out.routed.last, q.round == r {
                    progress(String(format: "fel leaves (routed) round %d: eval logloss %.4f NE %.4f AUC %.4f", r, q.q.logloss, q.q.ne, q.q.auc))
                }
            }
            return out
        }

        /// Over-arch inputs per sample: the k leaves' logits, the client's
        /// cluster one-hot (public), and their product (the own leaf's logit in
        /// its slot), so the over-arch can both route and blend.
        func leafOutputs(_ client: Int, _ s: ClientSamples) -> [Float] {
            let width = 3 * fel.k
            var out = [Float](repeating: 0, count: s.count * width)
            let own = Int(clusters.of[client])
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

        /// Phase 2: the over-arch trained federated over the frozen leaves.
        func trainOverArch(progress: (String) -> Void) throws -> OverPhase {
            for (l, leaf) in leaves.enumerated() { leafModels[l].load(from: leaf.global.pointer) }
            var overConfig = config
            overConfig.client = fel.overClient
            overConfig.strategy = .fedAvg(serverLR: 1)
            overConfig.rounds = fel.overRounds
            let overFed = Federation(name: "over_arch", config: overConfig, source: overSource, engine: engine, taskIndex: 1,
                                     initial: Array(arch.params.buffer), flopsPerSample: 6 * Double(arch.parameterCount))
            let serverArch = OverArch(inputs: 3 * fel.k, hidden: fel.overHidden, maxBatch: config.maxBatch, seed: config.seed,
                                      residual: (2 * fel.k)..<(3 * fel.k))
            let evalInputs = zip(evalSet.clients, evalSet.samples).map { leafOutputs($0, $1) }
            var out = OverPhase()
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
                    out.quality = q.overall
                }
                try writer?.append(rec)
                out.records.append(rec)
                progress(FederatedRun.progressLine(rec))
            }
            return out
        }

        /// The centralized upper bound: SGD on the pooled data of a sample of clients.
        func centralized(progress: (String) -> Void) throws -> Quality? {
            guard fel.centralEpochs > 0 else { return nil }
            let N = source.population
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
            let central = evalSet.evaluate { evalModel.logits($1) }.overall
            progress(String(format: "centralized (%d samples, %d epochs): eval logloss %.4f NE %.4f AUC %.4f",
                            all.count, fel.centralEpochs, central.logloss, central.ne, central.auc))
            return central
        }

        /// FEL against the single model and the centralized bound.
        func comparison(_ leavesPhase: LeafPhase, _ over: OverPhase, central: Quality?) -> FELComparison {
            let single = leavesPhase.base.last { $0.eval != nil }?.eval
            var cmp = FELComparison(k: fel.k, holdoutFraction: fel.holdoutFraction, clusterSizes: clusters.members.map(\.count),
                                    clientsPerLeafRound: clusters.perRound, singleFL: single, routedLeaves: leavesPhase.routed.last?.q,
                                    fel: over.quality, centralized: central,
                                    loglossGainPercent: nil, neGainPercent: nil, aucGainPercent: nil,
                                    roundsToSingleFinal: nil, simSecondsToSingleFinal: nil,
                                    singleSimSeconds: leavesPhase.base.reduce(0) { $0 + $1.simSeconds },
                                    felSimSeconds: leavesPhase.simSeconds + over.records.reduce(0) { $0 + $1.simSeconds })
            if let s = single, let f = over.quality {
                cmp.loglossGainPercent = 100 * (s.logloss - f.logloss) / s.logloss
                cmp.neGainPercent = 100 * (s.ne - f.ne) / s.ne
                cmp.aucGainPercent = 100 * (f.auc - s.auc) / s.auc
            }
            if let s = single, let hit = leavesPhase.routed.first(where: { $0.q.logloss <= s.logloss }) {
                cmp.roundsToSingleFinal = hit.round
                cmp.simSecondsToSingleFinal = hit.sim
            }
            return cmp
        }

        /// summary.json and the logloss plots.
        func write(_ summary: FLSummary, _ leavesPhase: LeafPhase, _ over: OverPhase, central: Quality?, to writer: RunFolder) throws {
            try writer.writeJSON("summary.json", summary)
            var extra = [Plot.Series(name: "fel leaves (routed)", points: leavesPhase.routed.map { (Double($0.round), $0.q.logloss) })]
            if let f = over.quality { extra.append(.init(name: "fel (over-arch)", points: [(Double(config.rounds), f.logloss)])) }
            if let c = central { extra.append(.init(name: "centralized", points: [(1, c.logloss), (Double(config.rounds), c.logloss)])) }
            try FederatedRun.writePlots(writer, series: ["single fl": leavesPhase.base], extra: extra)
        }
    }
}
