import Collectives
import Federated
import Foundation
import RunKit

/// One round of a FedGPO comparison run (gpo_rounds.jsonl).
public struct GPORound: Sendable, Codable {
    public var run: String
    public var round: Int
    public var state: Int
    public var action: GPOAction
    /// Cumulative simulated seconds and joules after this round.
    public var simSeconds: Double
    public var simJoules: Double
    public var auc: Double
    public var logloss: Double
    public var reward: Double
}

/// A run's result against the target.
public struct GPOOutcome: Sendable, Codable {
    public var name: String
    public var finalAUC: Double
    public var simSeconds: Double
    public var simJoules: Double
    public var secondsToTarget: Double?
    public var joulesToTarget: Double?
}

/// gpo.json of `strata fl gpo`.
public struct GPOReport: Sendable, Codable {
    public var source: String
    public var rounds: Int
    public var targetAUC: Double
    public var common: GPOOutcome
    public var bestFixed: GPOOutcome
    public var fedgpo: GPOOutcome
    public var grid: [GPOOutcome]
    /// FedGPO's greedy actions in its measured run, "(B, E, K)" -> rounds.
    public var actionsUsed: [String: Int]
}

/// FedGPO on the runtime: every fixed (B, E, K) of the grid and the common
/// setting, then Q-learning episodes, then the learned policy run greedily;
/// all measured runs see the same candidates and device draws (stream 0).
public enum GPORun {
    public static func run(comm: Communicator, config: FederationConfig, gpo: GPOConfig, source: ClientSource,
                           directory: String?, watch: PhaseWatch? = nil, progress: (String) -> Void = { _ in }) throws -> GPOReport? {
        var config = config
        if config.device == nil { config.device = DeviceModel(seed: config.seed) }
        try config.validate(population: source.population)
        try gpo.validate(population: source.population)
        let spec = config.model.spec(for: source)
        let model = ClientModel(spec: spec, maxBatch: config.maxBatch, seed: config.seed)
        let engine = RoundEngine(comm: comm, tasks: [DLRMTask(source: source, model: model, seed: config.seed)], watch: watch)
        guard engine.isServer else { engine.serve(); return nil }
        defer { engine.stopHosts() }
        let device = config.device!
        let initial = model.flat()
        let grid = gpo.grid
        let kMax = (gpo.clients + [gpo.common.clients]).max()!
        let evalSet = try EvalSet(source: source, limit: config.evalClients, seed: config.seed, groupsOf: { _ in [] })
        let evalModel = ClientModel(spec: spec, maxBatch: config.maxBatch, seed: config.seed)
        evalModel.load(from: initial)
        let loss0 = evalSet.evaluate { evalModel.logits($1) }.overall.logloss
        var jRef = 0.0
        var log: [GPORound] = []

        /// One run of `config.rounds` rounds; `choose(state index)` gives the grid
        /// action, `learn` updates the agent with each transition.
        func episode(_ name: String, stream: UInt64, choose: (Int) -> GPOAction, learn: ((Int, Int, Double, Int?) -> Void)?) -> [GPORound] {
            let fed = Federation(name: name, config: config, source: source, engine: engine, taskIndex: 0,
                                 initial: initial, flopsPerSample: model.flopsPerSample)
            var action = gpo.common, candidates: [Int] = []
            let lr = config.client.learningRate, mu = Double(config.strategy.proximalMu)
            fed.configure = { _, _ in ClientRoundConfig(epochs: action.epochs, batch: action.batch, learningRate: lr, proximalMu: mu) }
            fed.selectClients = { _, k in Array(candidates.prefix(k)) }
            var out: [GPORound] = [], prevLoss = loss0, secs = 0.0, joules = 0.0
            var pending: (Int, Int, Double)?
            for r in 1...config.rounds {
                candidates = fed.sample(round: r, count: kMax, stream: stream)
                let s = RoundState.observe(candidates: candidates, round: r, device: device, source: source,
                                           parameters: fed.parameterCount, flopsPerSample: model.flopsPerSample).index
                if let (ps, pa, pr) = pending { learn?(ps, pa, pr, s) }
                action = choose(s)
                let rec = fed.round(r, clients: action.clients, stream: stream)
                secs += rec.simSeconds
                joules += rec.simJoules
                if jRef == 0 { jRef = max(rec.simJoules, 1e-9) }
                evalModel.load(from: fed.global.pointer)
                let q = evalSet.evaluate { evalModel.logits($1) }.overall
                // Relative logloss gain (in %) per reference round of energy; a fall in quality is penalised.
                let gain = 100 * (prevLoss - q.logloss) / loss0
                let reward = gain >= 0 ? gain / (rec.simJoules / jRef) : gpo.penalty * (gain - 1)
                prevLoss = q.logloss
                pending = (s, grid.firstIndex(of: action) ?? 0, reward)
                out.append(GPORound(run: name, round: r, state: s, action: action, simSeconds: secs, simJoules: joules,
                                    auc: q.auc, logloss: q.logloss, reward: reward))
            }
            if let (ps, pa, pr) = pending { learn?(ps, pa, pr, nil) }
            return out
        }

        let common = episode("common", stream: 0, choose: { _ in gpo.common }, learn: nil)
        progress(String(format: "common %@: final AUC %.4f, %.1f sim s, %.1f J", gpo.common.description, common.last!.auc,
                        common.last!.simSeconds, common.last!.simJoules))
        var fixed: [[GPORound]] = []
        for a in grid {
            let run = episode("fixed \(a)", stream: 0, choose: { _ in a }, learn: nil)
            progress(String(format: "fixed %@: final AUC %.4f, %.1f sim s, %.1f J", a.description, run.last!.auc,
                            run.last!.simSeconds, run.last!.simJoules))
            fixed.append(run)
        }
        var agent = QAgent(states: RoundState.count, actions: grid.count, learningRate: gpo.learningRate,
                           discount: gpo.discount, epsilon: gpo.epsilon, seed: config.seed)
        for e in 0..<gpo.episodes {
            let run = episode("fedgpo learn \(e + 1)", stream: UInt64(e + 1), choose: { grid[agent.choose($0)] },
                              learn: { agent.update(state: $0, action: $1, reward: $2, next: $3) })
            log += run
            progress(String(format: "fedgpo episode %d: final AUC %.4f, %.1f J", e + 1, run.last!.auc, run.last!.simJoules))
        }
        let learned = episode("fedgpo", stream: 0, choose: { grid[agent.greedy($0)] }, learn: nil)
        log += [common, learned].flatMap { $0 } + fixed.flatMap { $0 }

        let report = Self.report(common: common, fixed: fixed, learned: learned, gpo: gpo, config: config, source: source)
        if let directory { try Self.write(report, log: log, shown: [common, learned, fixed[report.grid.firstIndex { $0.name == report.bestFixed.name }!]],
                                          to: directory) }
        return report
    }

    /// The runs against the target (the given AUC, else 99 % of the common
    /// setting's final): each run's outcome, the best fixed setting in
    /// hindsight, and the actions the learned policy used.
    static func report(common: [GPORound], fixed: [[GPORound]], learned: [GPORound], gpo: GPOConfig,
                       config: FederationConfig, source: ClientSource) -> GPOReport {
        let target = gpo.targetAUC ?? 0.99 * common.last!.auc
        func outcome(_ rs: [GPORound]) -> GPOOutcome {
            let hit = rs.first { $0.auc >= target }
            return GPOOutcome(name: rs[0].run, finalAUC: rs.last!.auc, simSeconds: rs.last!.simSeconds, simJoules: rs.last!.simJoules,
                              secondsToTarget: hit?.simSeconds, joulesToTarget: hit?.simJoules)
        }
        let gridOut = fixed.map(outcome)
        // Best fixed in hindsight: least energy to the target; if none reaches it, the best final AUC.
        let best = gridOut.filter { $0.joulesToTarget != nil }.min { $0.joulesToTarget! < $1.joulesToTarget! }
            ?? gridOut.max { $0.finalAUC < $1.finalAUC }!
        var used: [String: Int] = [:]
        for r in learned { used[r.action.description, default: 0] += 1 }
        return GPOReport(source: source.describe, rounds: config.rounds, targetAUC: target, common: outcome(common),
                         bestFixed: best, fedgpo: outcome(learned), grid: gridOut, actionsUsed: used)
    }

    /// gpo.json, every round in gpo_rounds.jsonl, and AUC against simulated
    /// time and energy for the `shown` runs (common, learned, best fixed).
    static func write(_ report: GPOReport, log: [GPORound], shown: [[GPORound]], to directory: String) throws {
        let folder = try RunFolder(path: directory)
        try folder.writeJSON("gpo.json", report, newline: true)
        try folder.startLines("gpo_rounds.jsonl")
        for round in log { try folder.appendLine("gpo_rounds.jsonl", round) }
        for (file, x, label) in [("gpo_time.svg", \GPORound.simSeconds, "simulated seconds"), ("gpo_energy.svg", \GPORound.simJoules, "simulated joules")] {
            let series = shown.map { rs in Plot.Series(name: rs[0].run, points: rs.map { ($0[keyPath: x], $0.auc) }) }
            try folder.writeText(file, Plot(title: "Eval AUC against \(label) (target \(String(format: "%.4f", report.targetAUC)))", xLabel: label,
                                                yLabel: "eval AUC", series: series).render())
        }
    }
}
