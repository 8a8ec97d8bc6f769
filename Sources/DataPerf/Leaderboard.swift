import Collectives
import Foundation

/// One row of a leaderboard.
public struct LeaderboardRow: Sendable, Codable, Equatable {
    public var submission: String
    /// Selection: the budget; debugging: nil.
    public var budget: Int?
    public var auc: Double?
    public var logloss: Double?
    /// Debugging: the fraction of rows fixed to reach the target (lower is better).
    public var score: Double?
    public var failedSeeds: [UInt64]
    public var trainSeconds: Double
}

/// Every scored submission of one task version, ranked: selection by AUC
/// (highest first) within each budget, debugging by score (lowest first).
public struct Leaderboard: Sendable, Codable, Equatable {
    public var task: String
    public var version: String
    public var track: DataPerfTrack
    public var noise: NoiseSpec?
    public var rows: [LeaderboardRow]
    /// Score files left out (another task or version), with why.
    public var skipped: [String]

    /// From the `scores/*.json` of each evaluation folder in `folders`.
    public static func gather(task: DataPerfTask, folders: [String]) throws -> Leaderboard {
        var rows: [String: LeaderboardRow] = [:], skipped: [String] = []
        let d = StrataJSON.decoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        for folder in folders {
            let dir = (folder as NSString).appendingPathComponent("scores")
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
                throw InputError("\(folder): no scores/ folder (an output of `strata dataperf evaluate`)")
            }
            for name in names.sorted() where name.hasSuffix(".json") {
                let path = (dir as NSString).appendingPathComponent(name)
                guard let data = FileManager.default.contents(atPath: path) else { continue }
                let s: SubmissionScore
                do { s = try d.decode(SubmissionScore.self, from: data) } catch {
                    throw InputError("\(path): not a score file: \(error)")
                }
                guard s.task == task.name, s.version == task.version else {
                    skipped.append("\(path): task \(s.task) \(s.version)"); continue
                }
                let row = LeaderboardRow(submission: s.submission, budget: s.selection?.budget, auc: s.selection?.auc,
                                         logloss: s.selection?.logloss, score: s.debugging?.score, failedSeeds: s.failedSeeds,
                                         trainSeconds: s.trainSeconds)
                rows["\(s.submission)#\(row.budget ?? -1)"] = row
            }
        }
        let ranked = rows.values.sorted { a, b in
            if task.track == .selection {
                return (a.budget ?? 0, -(a.auc ?? -1), a.submission) < (b.budget ?? 0, -(b.auc ?? -1), b.submission)
            }
            return (a.score ?? 2, a.submission) < (b.score ?? 2, b.submission)
        }
        return Leaderboard(task: task.name, version: task.version, track: task.track, noise: task.noise, rows: ranked, skipped: skipped)
    }

    public func markdown() -> String {
        func f(_ v: Double?, _ digits: Int = 4) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "-" }
        var lines = ["### \(task) (\(track.rawValue), version \(version))", ""]
        if let noise { lines.append("Noise: \(noise.kind.rawValue), \(noise.flipped) labels flipped (\(f(noise.fraction, 2)) of the pool).\n") }
        switch track {
        case .selection:
            lines += ["| budget | submission | eval AUC | eval logloss | failed seeds | train s |", "|---:|---|---:|---:|---|---:|"]
            lines += rows.map { r in
                "| \(r.budget ?? 0) | \(r.submission) | \(f(r.auc)) | \(f(r.logloss)) | \(r.failedSeeds.map(String.init).joined(separator: " ")) | \(f(r.trainSeconds, 1)) |"
            }
        case .debugging:
            lines += ["| submission | score (fraction fixed, lower is better) | failed seeds | train s |", "|---|---:|---|---:|"]
            lines += rows.map { r in
                "| \(r.submission) | \(f(r.score, 3)) | \(r.failedSeeds.map(String.init).joined(separator: " ")) | \(f(r.trainSeconds, 1)) |"
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
