/// A genome with its fitness.
public struct Individual: Codable, Sendable, Equatable {
    public var edits: Genome
    public var fitness: Fitness

    public var key: String { cacheKey(edits) }
    var objectives: (Double, Double) { fitness.objectives }
}

/// One generation's record (a line of pareto.jsonl). With the
/// static-instructions measure every field is deterministic, so two seeded
/// runs on any number of ranks write the same lines.
public struct GenerationRecord: Codable, Sendable, Equatable {
    public var generation: Int
    /// Distinct genomes evaluated so far (the fitness cache's size).
    public var evaluations: Int
    public var valid: Int
    public var bestRuntime: Double?
    public var baselineRuntime: Double
    /// The first front, one entry per distinct genome, by runtime.
    public var front: [Individual]
}
