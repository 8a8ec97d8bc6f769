import Collectives
import Foundation
import Model
import RunKit

/// summary.json of a `strata fl` run.
public struct FLSummary: Sendable, Codable {
    public var mode: String
    public var source: String
    public var worldSize: Int
    public var parameters: Int
    public var rounds: Int
    public var clientsPerRound: Int
    public var strategy: String
    public var finalEval: Quality?
    public var finalEvalGroups: [String: Quality]?
    public var simSeconds: Double
    public var simJoules: Double
    public var deviceBytes: Int
    public var mpiBytes: Int
    public var wallSeconds: Double
    public var medianRoundSeconds: Double
    public var clientUpdates: Int
    public var clientUpdatesPerSecond: Double
    public var failures: Int
    public var epsilon: Double?
    /// The last federated evaluation (on-client, sampled clients) and its groups, and
    /// the devices' cost of every federated evaluation (nil: federated eval off).
    public var finalFederatedEval: Quality?
    public var finalFederatedEvalGroups: [String: Quality]?
    public var federatedEvalCost: EvalDeviceCost?
    /// FEL only: the comparison (nil for a plain FL run).
    public var fel: FELComparison?
}

/// A plain federated run (one model) on `comm`: rank 0 serves and writes the
/// run folder, the other ranks host clients until it is done.
public enum FederatedRun {
    /// Groups a client is evaluated in: its device tier, its true cluster.
    public static func groups(_ config: FederationConfig, _ source: ClientSource, extra: ((Int) -> [String])? = nil) -> (Int) -> [String] {
        { c in
            var g: [String] = []
            if let d = config.device { g.append("tier:" + d.tiers[d.tier(of: c)].name) }
            if let t = source.trueGroup(client: c) { g.append("cluster:\(t)") }
            if let extra { g += extra(c) }
            return g
        }
    }

    /// `watch`: the round watchdog (round_timeout_seconds; nil: off).
    public static func run(comm: Communicator, config: FederationConfig, source: ClientSource, directory: String?,
                           watch: PhaseWatch? = nil,
                           progress: (String) -> Void = { _ in }) throws -> (summary: FLSummary, model: [Float], records: [RoundRecord])? {
        try config.validate(population: source.population)
        let spec = config.model.spec(for: source)
        let model = ClientModel(spec: spec, maxBatch: config.maxBatch, seed: config.seed, gemm: config.model.gemmOptions,
                                gemmBatch: config.client.batch > 0 ? config.client.batch : nil)
        // Rank 0 times the kernels, every host adopts them: the same kernels on every rank.
        model.dense.gemm?.tuneAgreed(isRoot: comm.rank == 0) { k in
            k.withUnsafeMutableBufferPointer { comm.broadcast(.control, $0, root: 0) }
        }
        if comm.rank == 0 {
            if let note = model.dense.gemm?.note { progress("fl: \(note)") }
            for choice in model.dense.gemm?.choices ?? [] { progress("gemm: \(choice)") }
        }
        let task = DLRMTask(source: source, model: model, seed: config.seed, failingClients: Set(config.failingClients))
        let engine = RoundEngine(comm: comm, tasks: [task], watch: watch)
        guard engine.isServer else { engine.serve(); return nil }
        defer { engine.stopHosts() }
        let writer = try directory.map { try RunFolder.federated($0) }
        let initial = model.flat()
        let fed = Federation(name: "fl", config: config, source: source, engine: engine, taskIndex: 0,
                             initial: initial, flopsPerSample: model.flopsPerSample)
        let evaluation = try RoundEvaluation(config: config, source: source, engine: engine, taskIndex: 0, groupsOf: groups(config, source))
        let (records, wall) = try rounds(fed, evaluation: evaluation, config: config, writer: writer, progress: progress)
        let summary = summarize(mode: "fl", records: records, config: config, source: source, comm: comm,
                                parameters: fed.parameterCount, wall: wall)
        if let writer {
            try writer.writeJSON("summary.json", summary)
            try writePlots(writer, series: ["fl": records])
        }
        return (summary, Array(fed.global.buffer), records)
    }

    /// The round loop of a one-model run (plain and tiered): train a round, evaluate it,
    /// append it to the folder, report its line. Returns the records and the loop's wall seconds.
    public static func rounds(_ fed: Federation, evaluation: RoundEvaluation, config: FederationConfig, writer: RunFolder?,
                              progress: (String) -> Void,
                              line: (RoundRecord) -> String = progressLine) throws -> (records: [RoundRecord], wall: Double) {
        var records: [RoundRecord] = []
        let t0 = monotonicSeconds()
        for r in 1...config.rounds {
            var rec = fed.round(r, clients: config.clientsPerRound, stream: 0)
            evaluation.evaluate(&rec, global: fed.global)
            try writer?.append(rec)
            records.append(rec)
            progress(line(rec))
        }
        return (records, monotonicSeconds() - t0)
    }

    public static func progressLine(_ r: RoundRecord) -> String {
        var s = "\(r.federation) round \(r.round): \(r.participants.count)/\(r.sampled.count) clients"
        if !r.failures.isEmpty { s += ", \(r.failures.count) failed" }
        if r.noUpdate { s += ", NO UPDATE (model unchanged)" }
        if let l = r.trainLoss { s += String(format: ", train loss %.4f", l) }
        if let q = r.eval { s += String(format: ", eval logloss %.4f NE %.4f AUC %.4f", q.logloss, q.ne, q.auc) }
        if let f = r.federatedEval {
            s += ", federated eval \(f.evaluated.count)/\(f.sampled.count) clients"
            if let q = f.quality { s += String(format: " logloss %.4f AUC %.4f", q.logloss, q.auc) }
        }
        s += String(format: ", sim %.1f s, %.0f updates/s", r.simSeconds, r.clientUpdatesPerSecond)
        if let e = r.epsilon { s += String(format: ", eps %.2f", e) }
        return s
    }

    public static func summarize(mode: String, records: [RoundRecord], config: FederationConfig, source: ClientSource,
                          comm: Communicator, parameters: Int, wall: Double) -> FLSummary {
        let last = records.last { $0.eval != nil }
        let lastFederated = records.last { $0.federatedEval != nil }?.federatedEval
        let federatedCost = records.compactMap(\.federatedEval).reduce(into: nil as EvalDeviceCost?) { sum, f in
            sum = sum ?? EvalDeviceCost()
            sum?.add(f.cost)
        }
        let walls = records.map(\.wallSeconds).sorted()
        let updates = records.reduce(0) { $0 + $1.participants.count + $1.failures.count }
        let busy = records.reduce(0) { $0 + $1.wallSeconds }
        return FLSummary(mode: mode, source: source.describe, worldSize: comm.size, parameters: parameters,
                         rounds: records.map(\.round).max() ?? 0, clientsPerRound: config.clientsPerRound,
                         strategy: config.strategy.name + (config.dp == nil ? "" : " + central DP"),
                         finalEval: last?.eval, finalEvalGroups: last?.evalGroups,
                         simSeconds: records.reduce(0) { $0 + $1.simSeconds }, simJoules: records.reduce(0) { $0 + $1.simJoules },
                         deviceBytes: records.reduce(0) { $0 + $1.deviceBytes }, mpiBytes: records.reduce(0) { $0 + $1.mpiBytes },
                         wallSeconds: wall, medianRoundSeconds: walls.isEmpty ? 0 : walls[walls.count / 2],
                         clientUpdates: updates, clientUpdatesPerSecond: busy > 0 ? Double(updates) / busy : 0,
                         failures: records.reduce(0) { $0 + $1.failures.count }, epsilon: records.last?.epsilon,
                         finalFederatedEval: lastFederated?.quality, finalFederatedEvalGroups: lastFederated?.groups,
                         federatedEvalCost: federatedCost, fel: nil)
    }

    /// eval_rounds.svg (logloss against rounds) and eval_time.svg (against simulated time), one line per federation.
    public static func writePlots(_ writer: RunFolder, series: [String: [RoundRecord]], extra: [Plot.Series] = []) throws {
        var byRound: [Plot.Series] = [], byTime: [Plot.Series] = []
        for (name, recs) in series.sorted(by: { $0.key < $1.key }) {
            // Central eval, and federated eval where the run has it (a line of its own).
            let lines: [(String, (RoundRecord) -> Quality?)] = [(name, \.eval), (name + " (federated eval)", { $0.federatedEval?.quality })]
            for (label, quality) in lines {
                var t = 0.0
                var pr: [(Double, Double)] = [], pt: [(Double, Double)] = []
                for r in recs {
                    t += r.simSeconds
                    if let q = quality(r) { pr.append((Double(r.round), q.logloss)); pt.append((t, q.logloss)) }
                }
                guard !pr.isEmpty || label == name else { continue }
                byRound.append(.init(name: label, points: pr))
                byTime.append(.init(name: label, points: pt))
            }
        }
        try writer.writeText("eval_rounds.svg", Plot(title: "Eval logloss by round", xLabel: "round", yLabel: "eval logloss", series: byRound + extra).render())
        try writer.writeText("eval_time.svg", Plot(title: "Eval logloss by simulated time", xLabel: "simulated seconds", yLabel: "eval logloss", series: byTime).render())
    }
}
