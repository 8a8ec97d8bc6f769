import Collectives
import Foundation
import RunKit
import ScalingLaws
import Tensors

/// The coordinator's side of a GEVO run: the population, the fitness cache,
/// NSGA-II selection, the held-out check, minimisation and the run folder.
struct Search {
    let config: EvolveConfig
    let workspace: KernelWorkspace
    let groups: WorkGroups
    let local: (Evolution.Job) -> Fitness
    let out: RunFolder
    let progress: ((String) -> Void)?
    let heldOutTolerance: Double
    var rng: StrataRNG
    var cache = FitnessCache()
    var history: [GenerationRecord] = []

    init(config: EvolveConfig, workspace: KernelWorkspace, groups: WorkGroups, local: @escaping (Evolution.Job) -> Fitness,
         out: RunFolder, heldOutTolerance: Double, progress: ((String) -> Void)?) {
        self.heldOutTolerance = heldOutTolerance
        self.config = config
        self.workspace = workspace
        self.groups = groups
        self.local = local
        self.out = out
        self.progress = progress
        rng = StrataRNG(seed: config.seed)
    }

    var verify: ((String) -> Bool)? { config.verifyNewEdits ? { workspace.verifies(module: $0) } : nil }

    /// Evaluates the genomes not in the cache (each distinct one once, spread
    /// over the groups) and returns every genome's fitness.
    mutating func evaluate(_ genomes: [Genome], heldOut: Bool = false) throws -> [Fitness] {
        if heldOut {
            var results = Array(repeating: Fitness.invalid("not run", applied: 0), count: genomes.count)
            try groups.dispatch(genomes.map { Evolution.Job(edits: $0, heldOut: true) }, local: local) { i, f, _ in results[i] = f }
            return results
        }
        var todo: [Genome] = []
        var seen = Set<String>()
        for g in genomes where cache[g] == nil && seen.insert(cacheKey(g)).inserted { todo.append(g) }
        var results = Array(repeating: Fitness.invalid("not run", applied: 0), count: todo.count)
        try groups.dispatch(todo.map { Evolution.Job(edits: $0, heldOut: false) }, local: local) { i, f, _ in results[i] = f }
        for (g, f) in zip(todo, results) {
            cache[g] = f
            try out.appendEvaluation(Individual(edits: g, fitness: f))
        }
        return genomes.map { cache[$0]! }
    }

    mutating func run() throws -> EvolveSummary {
        let start = Date()
        try out.writeConfig(config)
        try out.writeText("original.ll", workspace.originalModule)
        let baseline = try evaluate([[]])[0]
        guard baseline.valid else { throw EvolveError("the original kernel does not pass its own check: \(baseline.reason ?? "")") }
        progress?("evolve: \(config.evaluation.kernel.rawValue), \(workspace.original.editableIDs.count) editable instructions, "
                  + "population \(config.population), \(config.generations) generations on \(max(groups.groupCount, 1)) evaluating rank(s); "
                  + "original \(format(baseline.runtime))")

        // Generation 0: individuals of `initialEdits` valid edits.
        var genomes: [Genome] = []
        for _ in 0..<config.population {
            var g: Genome = []
            for _ in 0..<config.initialEdits {
                if let e = GenomeOps.validEdit(for: g, original: workspace.original, rng: &rng, verify: verify) { g.append(e) }
            }
            genomes.append(g)
        }
        var population = zip(genomes, try evaluate(genomes)).map { Individual(edits: $0, fitness: $1) }
        try record(generation: 0, population, baseline: baseline.runtime)

        for generation in 1...max(config.generations, 1) where config.generations > 0 {
            let offspring = try breed(population)
            population = survivors(of: population + offspring)
            try record(generation: generation, population, baseline: baseline.runtime)
        }

        // The final front, re-checked on held-out inputs with the stricter tolerance.
        let front = frontOf(population)
        let heldOut = try evaluate(front.map(\.edits), heldOut: true)
        let passing = zip(front, heldOut).filter { $0.1.valid }.map(\.0)
        progress?("evolve: \(passing.count) of \(front.count) front variant(s) pass the held-out check")
        let best = passing.min { ($0.fitness.runtime, $0.edits.count, $0.key) < ($1.fitness.runtime, $1.edits.count, $1.key) }
        var summary = EvolveSummary(kernel: config.evaluation.kernel, measure: config.evaluation.measure,
                                    population: config.population, generations: config.generations,
                                    evaluations: cache.count, ranks: groups.world.size,
                                    frontSize: front.count, heldOutPassing: passing.count)
        if let best {
            let minimised = try Minimiser(workspace: workspace, threshold: config.minimiseThreshold,
                                          repetitions: config.finalRepetitions,
                                          heldOutTolerance: heldOutTolerance).minimise(best.edits)
            summary.bestEdits = best.edits
            summary.edits = minimised
            try finalTiming(&summary, edits: minimised.map(\.edit))
            let (f, _) = workspace.variant(minimised.map(\.edit))
            try out.writeText("best.ll", f.moduleText)
        } else {
            try finalTiming(&summary, edits: [])
        }
        summary.seconds = Date().timeIntervalSince(start)
        summary.builds = workspace.builds
        try out.writeJSON("summary.json", summary)
        try out.writeText("runtime.svg", RuntimePlot.render(history, title: "GEVO: \(config.evaluation.kernel.rawValue)",
                                                           unit: config.evaluation.measure == .runtime ? "ns" : "instructions"))
        progress?(summary.line)
        return summary
    }

    /// Tournaments, crossover, mutation: `population.count` children, evaluated.
    mutating func breed(_ population: [Individual]) throws -> [Individual] {
        let (rank, crowd) = NSGA2.rankAndCrowding(population.map(\.objectives))
        func pick(_ rng: inout StrataRNG) -> Int {
            let a = rng.nextIndex(below: population.count), b = rng.nextIndex(below: population.count)
            return (rank[a], -crowd[a], a) <= (rank[b], -crowd[b], b) ? a : b
        }
        var children: [Genome] = []
        while children.count < population.count {
            let p = population[pick(&rng)].edits, q = population[pick(&rng)].edits
            var (c1, c2) = rng.nextUnit() < config.crossoverRate ? GenomeOps.crossover(p, q, rng: &rng) : (p, q)
            for k in 0..<2 where rng.nextUnit() < config.mutationRate {
                let g = k == 0 ? c1 : c2
                if let e = GenomeOps.validEdit(for: g, original: workspace.original, rng: &rng, verify: verify) {
                    if k == 0 { c1.append(e) } else { c2.append(e) }
                }
            }
            children.append(c1)
            if children.count < population.count { children.append(c2) }
        }
        return zip(children, try evaluate(children)).map { Individual(edits: $0, fitness: $1) }
    }

    /// The elite (best valid runtimes) first, the rest by NSGA-II.
    func survivors(of all: [Individual]) -> [Individual] {
        let valid = all.indices.filter { all[$0].fitness.valid }
        let elite = Array(valid.sorted { (all[$0].fitness.runtime, all[$0].fitness.error, all[$0].key, $0)
            < (all[$1].fitness.runtime, all[$1].fitness.error, all[$1].key, $1) }.prefix(config.elite))
        let rest = all.indices.filter { !elite.contains($0) }
        let chosen = NSGA2.select(rest.map { all[$0].objectives }, count: config.population - elite.count)
        return elite.map { all[$0] } + chosen.map { all[rest[$0]] }
    }

    /// The first front's distinct valid genomes, by runtime.
    func frontOf(_ population: [Individual]) -> [Individual] {
        let valid = population.filter { $0.fitness.valid }
        var seen = Set<String>()
        let front = (NSGA2.fronts(valid.map(\.objectives)).first ?? []).map { valid[$0] }.filter { seen.insert($0.key).inserted }
        return front.sorted { ($0.fitness.runtime, $0.key) < ($1.fitness.runtime, $1.key) }
    }

    mutating func record(generation: Int, _ population: [Individual], baseline: Double) throws {
        let front = frontOf(population)
        let r = GenerationRecord(generation: generation, evaluations: cache.count,
                                 valid: population.filter { $0.fitness.valid }.count,
                                 bestRuntime: front.first?.fitness.runtime, baselineRuntime: baseline, front: front)
        history.append(r)
        try out.appendGeneration(r)
        let best = r.bestRuntime.map { String(format: "%@ (%.3fx)", format($0), baseline / $0) } ?? "none valid"
        progress?("[gen \(generation)/\(config.generations)] best \(best), front \(front.count), "
                  + "valid \(r.valid)/\(population.count), evaluations \(cache.count)")
    }

    func format(_ runtime: Double) -> String {
        config.evaluation.measure == .runtime ? String(format: "%.0f ns", runtime) : String(format: "%.0f instructions", runtime)
    }

    /// Times the original and the variant side by side on the held-out seeds
    /// (and, for the naive alignment kernel, the hand-optimised one too).
    func finalTiming(_ s: inout EvolveSummary, edits: Genome) throws {
        guard case .success(let orig) = workspace.build(module: workspace.originalModule, name: "final-original") else {
            throw EvolveError("the original no longer builds")
        }
        let (f, _) = workspace.variant(edits)
        guard case .success(let best) = workspace.build(module: f.moduleText, name: "final-best") else {
            throw EvolveError("the best variant no longer builds")
        }
        let (a, b) = workspace.compare(orig.path, best.path, rounds: config.finalRounds, repetitions: config.finalRepetitions)
        s.originalNanoseconds = a
        s.bestNanoseconds = b
        if config.evaluation.kernel == .smithWatermanNaive {
            var settings = config.evaluation
            settings.kernel = .smithWaterman
            let hand = try KernelWorkspace(settings: settings, toolchain: workspace.toolchain,
                                           directory: workspace.directory + "/hand-optimised")
            guard case .success(let h) = hand.build(module: hand.originalModule, name: "final-hand") else {
                throw EvolveError("the hand-optimised kernel does not build")
            }
            let (bb, hh) = workspace.compare(best.path, h.path, rounds: config.finalRounds, repetitions: config.finalRepetitions)
            s.handOptimisedNanoseconds = hh
            s.bestNanosecondsBesideHandOptimised = bb
        }
    }
}
