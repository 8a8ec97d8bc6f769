/// Accesses per row of every table over the first `steps` global batches:
/// FlexShard ranks rows by it. A plain value: Training counts it from data
/// (`AccessProfile.measure`), and a plan made from the same counts is the same
/// plan whatever produced them.
public struct AccessProfile: Sendable, Codable, Equatable {
    public var steps: Int
    /// counts[table][row], tables in the order of the plan's `TableConfig`s.
    public var counts: [[Int]]

    public init(steps: Int, counts: [[Int]]) {
        self.steps = steps
        self.counts = counts
    }
}
