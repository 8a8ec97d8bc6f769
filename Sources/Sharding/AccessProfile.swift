/// Accesses per row of every table over the first `steps` global batches:
/// FlexShard ranks rows by it. A plain value: Training counts it from data
/// (`AccessProfile.measure`), and a plan made from the same counts is the same
/// plan whatever produced them.
public struct AccessProfile: Sendable, Codable, Equatable {
    public var steps: Int
    /// counts[table][row], tables in the order of the plan's `TableConfig`s.
    public var counts: [[Int]]
    /// The share of the batches' samples counted (1: all; less for a
    /// sampled profile, `ProfileSample`). The counts stay as counted, so the
    /// planner sees which rows the sample missed and keeps room for the
    /// ones the whole batches read (`FlexShardPlanner.unseenRowsRead`);
    /// per-step rates divide by `steps * sampledFraction`.
    public var sampledFraction: Double

    public init(steps: Int, counts: [[Int]], sampledFraction: Double = 1) {
        self.steps = steps
        self.counts = counts
        self.sampledFraction = sampledFraction
    }

    /// Batches' worth of samples the counts cover.
    public var countedSteps: Double { Double(steps) * sampledFraction }
}
