/// A GEVO run's settings (decoded from YAML by the CLI; see Configs/evolve-*.yaml).
public struct EvolveConfig: Codable, Sendable, Equatable {
    public var evaluation: EvaluationSettings
    /// Individuals per generation (GEVO: 256).
    public var population: Int
    public var generations: Int
    /// Probability that two parents are crossed (0.7); otherwise they are copied.
    public var crossoverRate: Double
    /// Probability that a child gets one more valid edit (0.3).
    public var mutationRate: Double
    /// Valid edits in each initial individual (3).
    public var initialEdits: Int
    /// The best valid individuals (by runtime) carried over unchanged.
    public var elite: Int
    public var seed: UInt64
    /// Minimisation drops an edit when the runtime without it stays within this fraction (1 %).
    public var minimiseThreshold: Double
    /// Side-by-side timing of the original and the best variant at the end: rounds (median) and repetitions (minimum).
    public var finalRounds: Int
    public var finalRepetitions: Int
    /// Check each new edit with `opt -passes=verify` before it enters a genome.
    public var verifyNewEdits: Bool

    public init(evaluation: EvaluationSettings, population: Int = 256, generations: Int = 10, crossoverRate: Double = 0.7,
                mutationRate: Double = 0.3, initialEdits: Int = 3, elite: Int = 2, seed: UInt64 = 1,
                minimiseThreshold: Double = 0.01, finalRounds: Int = 5, finalRepetitions: Int = 20, verifyNewEdits: Bool = true) {
        self.evaluation = evaluation
        self.population = population
        self.generations = generations
        self.crossoverRate = crossoverRate
        self.mutationRate = mutationRate
        self.initialEdits = initialEdits
        self.elite = elite
        self.seed = seed
        self.minimiseThreshold = minimiseThreshold
        self.finalRounds = finalRounds
        self.finalRepetitions = finalRepetitions
        self.verifyNewEdits = verifyNewEdits
    }

    public func validate() throws {
        func need(_ ok: Bool, _ key: String, _ what: String) throws { if !ok { throw EvolveError("\(key): \(what)") } }
        try need(population >= 2, "population", "must be at least 2, got \(population)")
        try need(generations >= 0, "generations", "must be 0 or more, got \(generations)")
        try need((0...1).contains(crossoverRate), "crossover", "must be in [0, 1], got \(crossoverRate)")
        try need((0...1).contains(mutationRate), "mutation", "must be in [0, 1], got \(mutationRate)")
        try need(initialEdits >= 1, "initial_edits", "must be at least 1, got \(initialEdits)")
        try need(elite >= 0 && elite < population, "elite", "must be in 0..<population, got \(elite)")
        try need(evaluation.tolerance >= 0, "tolerance", "must be 0 or more")
        try need(evaluation.timeout > 0, "timeout", "must be positive")
        try need(evaluation.repetitions >= 1, "repetitions", "must be at least 1")
        try need(!evaluation.trainSeeds.isEmpty, "train_seeds", "needs at least one seed")
        try need(!evaluation.heldOutSeeds.isEmpty, "held_out_seeds", "needs at least one seed")
        try need(Set(evaluation.trainSeeds).isDisjoint(with: evaluation.heldOutSeeds), "held_out_seeds", "must differ from train_seeds")
        try need(finalRounds >= 1 && finalRepetitions >= 1, "final_rounds", "final_rounds and final_repetitions must be at least 1")
    }
}
