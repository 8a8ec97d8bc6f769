/// Fitness by genome, keyed by the sorted edit list (`cacheKey`): a genome
/// met again, in any order of the same edits, is not built and run again.
public struct FitnessCache: Sendable {
    private var entries: [String: Fitness] = [:]

    public init() {}

    public var count: Int { entries.count }

    public subscript(edits: Genome) -> Fitness? {
        get { entries[cacheKey(edits)] }
        set { entries[cacheKey(edits)] = newValue }
    }
}
