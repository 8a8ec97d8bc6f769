import Foundation

/// One seed's training: its metrics or why it failed.
public struct SeedScore: Sendable, Codable, Equatable {
    public var seed: UInt64
    public var auc: Double?
    public var logloss: Double?
    public var error: String?
    public var trainSeconds: Double
}

/// Selection: the frozen trainer on the submitted rows, averaged over the seeds.
public struct SelectionScore: Sendable, Codable, Equatable {
    public var budget: Int
    public var rows: Int
    public var seeds: [SeedScore]
    /// Means over the seeds that trained (nil when none did).
    public var auc: Double?
    public var logloss: Double?
}

/// Debugging: one point of the grid.
public struct GridPoint: Sendable, Codable, Equatable {
    /// Rows fixed over pool rows (the first `rowsFixed` of the ranking).
    public var fraction: Double
    public var rowsFixed: Int
    /// Flipped labels among them.
    public var flipsFixed: Int
    public var auc: Double?
    public var seeds: [SeedScore]
}

/// Debugging, DataPerf's convention made explicit: train after fixing the first
/// i rows of the ranking; the score is the smallest grid fraction i/n whose
/// seed-mean AUC reaches `targetAuc = noisyAuc + target * (cleanAuc - noisyAuc)`
/// (1 when none does). Every grid point is trained, none skipped, so the score
/// does not depend on the order of the search.
public struct DebuggingScore: Sendable, Codable, Equatable {
    public var noisyAuc: Double?
    public var cleanAuc: Double?
    public var targetAuc: Double?
    /// The fraction; nil when a reference training failed on every seed.
    public var score: Double?
    public var grid: [GridPoint]
}

/// What `evaluate` writes per submission (`scores/<name>.json`).
public struct SubmissionScore: Sendable, Codable, Equatable {
    public var submission: String
    public var file: String
    public var task: String
    public var version: String
    public var track: DataPerfTrack
    public var selection: SelectionScore?
    public var debugging: DebuggingScore?
    /// Seeds with a failed training (reported; the others still score).
    public var failedSeeds: [UInt64]
    /// Sum of the step loops' seconds over this submission's trainings.
    public var trainSeconds: Double
}

/// A whole evaluation (`summary.json`).
public struct EvaluationSummary: Sendable, Codable, Equatable {
    public var task: String
    public var version: String
    public var worldSize: Int
    public var groups: Int
    public var trainings: Int
    public var wallSeconds: Double
    public var trainSeconds: Double
    public var scores: [SubmissionScore]
}

/// The mean of the non-nil values (nil when there are none).
func mean(_ values: [Double?]) -> Double? {
    let v = values.compactMap { $0 }
    return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
}
