/// Repeated runs (seeds) at one x, summarised: the plot's error bars and the
/// natural input to a fit on means.
public struct RunGroup: Codable, Sendable, Equatable {
    public var x: Double
    public var mean: Double
    /// Sample standard deviation (n - 1); 0 for a single run.
    public var std: Double
    public var count: Int

    public init(x: Double, mean: Double, std: Double, count: Int) {
        self.x = x; self.mean = mean; self.std = std; self.count = count
    }

    /// The mean as a fit point weighted by the run count (the variance of a mean of n is sigma^2/n).
    public var meanPoint: ScalingPoint { ScalingPoint(x: x, y: mean, weight: Double(count)) }

    /// Groups runs by exact x (x is a configured run size, so equal runs have equal x),
    /// sorted by x. Point weights are ignored: each run counts once.
    public static func grouping(_ runs: [ScalingPoint]) -> [RunGroup] {
        Dictionary(grouping: runs, by: \.x).map { x, group in
            let n = Double(group.count)
            let mean = group.map(\.y).reduce(0, +) / n
            let ss = group.map { ($0.y - mean) * ($0.y - mean) }.reduce(0, +)
            let std = group.count > 1 ? (ss / (n - 1)).squareRoot() : 0
            return RunGroup(x: x, mean: mean, std: std, count: group.count)
        }.sorted { $0.x < $1.x }
    }
}
