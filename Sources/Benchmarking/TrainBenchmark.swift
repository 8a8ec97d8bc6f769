import Collectives
import Foundation
import Tensors
import Training

public enum TrainBenchmark {
    /// `strata bench train` on `world`: warm-up steps, then `settings.reps`
    /// repetitions of `steps` steps; rank 0 reports.
    public static func run(config cfg: RunConfig, configPath: String, overrides: [String], steps: Int,
                           settings: BenchSettings, world: Communicator) throws {
        BLAS.setThreads(settings.blasThreads)
        let (warmupSteps, reps) = (settings.warmup, settings.reps)
        let trainer: Trainer
        do {
            trainer = try Trainer(config: cfg, comm: world)
        } catch let e as ConfigError {
            throw InputError("\(configPath): \(e.description)")
        }
        if world.rank == 0 {
            // stderr: stdout may be the JSON report.
            if let note = trainer.model.gemm?.note { fputs("strata: \(note)\n", stderr) }
            for c in trainer.gemmChoices { fputs("gemm: \(c)\n", stderr) }
        }
        for _ in 0..<warmupSteps { trainer.trainStep() }
        world.ledger.resetAll()
        var seconds: [Double] = []
        var partMs: [[Double]] = []   // [rep][part], this rank, ms per step
        for _ in 0..<reps {
            world.barrier(.bench)
            let before = trainer.timers
            let t0 = monotonicSeconds()
            for _ in 0..<steps { trainer.trainStep() }
            let dt = monotonicSeconds() - t0
            let after = trainer.timers
            seconds.append(dt)
            var row = StepTimers.parts.map { 1e3 * (after[keyPath: $0.seconds] - before[keyPath: $0.seconds]) / Double(steps) }
            row.append(1e3 * dt / Double(steps) - row.reduce(0, +))   // other
            partMs.append(row)
        }
        let slowest = world.allreduce(.control, seconds, op: .max)
        let sentPerStep = TrainBenchReport.bytesSent(world.ledger.run) / Double(reps * steps)
        let worldSentPerStep = world.allreduce(.control, sentPerStep)
        let allreducePerStep = TrainBenchReport.allreducePayload(world.ledger.run, worldSize: world.size) / Double(reps * steps)
        let medians = (0..<(StepTimers.parts.count + 1)).map { p in Spread(partMs.map { $0[p] }) }
        let gathered = world.allgatherArrays(.control, medians.flatMap { [$0.median, $0.min, $0.max] })
        guard world.rank == 0 else { return }
        let global = Double(cfg.run.batchSize * steps)
        let names = StepTimers.parts.map(\.name) + ["other"]
        let perRank = gathered.map { v in
            Dictionary(uniqueKeysWithValues: names.enumerated().map { i, n in
                (n, TrainBenchPart(medianMs: v[3 * i], minMs: v[3 * i + 1], maxMs: v[3 * i + 2]))
            })
        }
        let report = TrainBenchReport(
            machine: .current(blasThreads: BLAS.threads), config: configPath, overrides: overrides,
            worldSize: world.size, batchSize: cfg.run.batchSize, tables: trainer.layout.tables.count,
            precision: TrainBenchReport.describe(cfg.precision),
            warmupSteps: warmupSteps, steps: steps, reps: reps,
            samplesPerSecond: Spread(slowest.map { global / $0 }),
            msPerStep: Spread(slowest.map { 1e3 * $0 / Double(steps) }),
            bytesSentPerStep: worldSentPerStep, bytesPerSample: worldSentPerStep / Double(cfg.run.batchSize),
            allreduceBytesPerStep: allreducePerStep,
            parts: names, perRank: perRank)
        try settings.emit(report) { report.table() }
    }
}

struct TrainBenchPart: Codable {
    var medianMs: Double
    var minMs: Double
    var maxMs: Double
}

struct TrainBenchReport: Codable {
    var machine: BenchMachine
    var config: String
    var overrides: [String]
    var worldSize: Int
    var batchSize: Int
    var tables: Int
    /// The number formats the step ran in (dense math is always fp32 here).
    var precision: String
    var warmupSteps: Int
    var steps: Int
    var reps: Int
    var samplesPerSecond: Spread
    var msPerStep: Spread
    /// Bytes all ranks sent to other ranks per step in the all-to-alls.
    var bytesSentPerStep: Double
    /// bytesSentPerStep / global batch.
    var bytesPerSample: Double
    /// Allreduce payload per step, one rank (dense gradients, loss).
    var allreduceBytesPerStep: Double
    var parts: [String]
    /// perRank[r][part]: rank r's milliseconds per step, median over repetitions.
    var perRank: [[String: TrainBenchPart]]

    static let trainingPhases = CommPhase.allCases.filter { $0 != .bench && $0 != .control }

    /// Bytes sent to other ranks in the all-to-alls, training phases (the
    /// allreduces' ring bytes are per-peer bytes too, so filter by phase).
    static func bytesSent(_ totals: [PhaseTotals]) -> Double {
        Double(trainingPhases.filter(\.isAllToAll).reduce(0) { $0 + totals[$1.rawValue].bytesSent })
    }

    /// The allreduces' payload (bytes passed to MPI), training phases; 0 on one rank.
    static func allreducePayload(_ totals: [PhaseTotals], worldSize: Int) -> Double {
        worldSize > 1 ? Double(trainingPhases.reduce(0) { $0 + totals[$1.rawValue].collectiveBytes }) : 0
    }

    static func describe(_ p: PrecisionConfig) -> String {
        "dense fp32, rows \(p.embedding.rawValue), payloads \(p.payload.forward.rawValue) forward / \(p.payload.backward.rawValue) backward"
    }

    func table() -> String {
        var out = "# strata bench train: \(config) \(overrides.joined(separator: " ")), \(worldSize) rank(s), global batch \(batchSize), \(tables) tables\n"
        out += "# precision: \(precision)\n"
        out += "# \(machine.cpu), \(machine.cores) cores, \(machine.blasThreads) BLAS thread(s); \(reps) reps x \(steps) steps after \(warmupSteps) warm-up\n"
        out += "samples/s: \(samplesPerSecond.text(0))   ms/step: \(msPerStep.text(2))   "
        out += "a2a bytes/step (all ranks): \(BenchFormat.fixed(bytesSentPerStep, 0))   a2a bytes/sample: \(BenchFormat.fixed(bytesPerSample, 1))   allreduce bytes/step/rank: \(BenchFormat.fixed(allreduceBytesPerStep, 0))\n"
        let total = (0..<worldSize).map { r in parts.reduce(0.0) { $0 + (perRank[r][$1]?.medianMs ?? 0) } }
        var rows = parts.map { p in
            [p] + (0..<worldSize).map { r -> String in
                let v = perRank[r][p]!
                return "\(BenchFormat.fixed(v.medianMs, 3)) (\(BenchFormat.fixed(v.minMs, 3))-\(BenchFormat.fixed(v.maxMs, 3)))  \(BenchFormat.fixed(100 * v.medianMs / max(total[r], 1e-12), 0))%"
            }
        }
        rows.append(["sum of medians"] + total.map { BenchFormat.fixed($0, 3) })
        out += BenchFormat.table(["ms/step"] + (0..<worldSize).map { "rank \($0)" }, rows)
        return out
    }
}
