import Foundation

/// A step that did not finish within `run.step_timeout_seconds`: the step
/// watchdog's verdict, naming the ranks that did not arrive at it. The job is
/// then aborted with `exitCode` (3; docs/RELIABILITY.md lists the codes), so a
/// stopped process or a stuck file system ends the job instead of hanging it.
public struct StepTimeout: Equatable, CustomStringConvertible {
    /// Why a rank was named.
    public enum Reason: Equatable {
        /// Its heartbeat has not changed for `seconds`: its process is stopped,
        /// or its file system is stuck (its watchdog cannot write either).
        case silent(seconds: Double)
        /// Alive, but still in an earlier step than the others.
        case behind(step: Int)
        /// Every rank is alive in the step and none finished it (a deadlock,
        /// a file system stuck for every rank): all are named.
        case noneFinished
    }

    /// The exit status of a job the watchdog ended; no other failure uses it.
    public static let exitCode: Int32 = 3

    /// The step the furthest rank is in.
    public var step: Int
    /// The ranks that did not arrive, ascending, each with why.
    public var ranks: [(rank: Int, reason: Reason)]
    /// `run.step_timeout_seconds`.
    public var timeout: Double

    public init(step: Int, ranks: [(rank: Int, reason: Reason)], timeout: Double) {
        self.step = step
        self.ranks = ranks.sorted { $0.rank < $1.rank }
        self.timeout = timeout
    }

    public static func == (a: StepTimeout, b: StepTimeout) -> Bool {
        a.step == b.step && a.timeout == b.timeout && a.ranks.map(\.rank) == b.ranks.map(\.rank)
            && a.ranks.map(\.reason) == b.ranks.map(\.reason)
    }

    /// "step 12: rank(s) 1 did not arrive within 2 s (rank 1: no heartbeat for 2.1 s, ...)".
    public var description: String {
        let why = ranks.map { r -> String in
            switch r.reason {
            case .silent(let s): return "rank \(r.rank): no heartbeat for \(String(format: "%.1f", s)) s, its process is stopped or stuck"
            case .behind(let s): return "rank \(r.rank): still in step \(s)"
            case .noneFinished: return "rank \(r.rank): alive in the step"
            }
        }
        let all = ranks.allSatisfy { $0.reason == .noneFinished }
            ? "; every rank is alive and none finished the step: a deadlock or a file system stuck for all" : ""
        return "step \(step): rank(s) \(ranks.map { String($0.rank) }.joined(separator: ",")) did not arrive within "
            + "\(String(format: "%g", timeout)) s (\(why.joined(separator: "; "))\(all)); "
            + "the step watchdog (run.step_timeout_seconds) ends the job, exit \(Self.exitCode)"
    }
}
