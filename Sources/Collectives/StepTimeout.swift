import Foundation

/// A step or phase that did not finish within `run.step_timeout_seconds` (or
/// another command's timeout: fl's rounds, iae's phases; `WatchUnit`): the
/// watchdog's verdict, naming the ranks that did not arrive at it. The job is
/// then aborted with `exitCode` (3; docs/RELIABILITY.md lists the codes), so a
/// stopped process or a stuck file system ends the job instead of hanging it.
public struct StepTimeout: Equatable, CustomStringConvertible {
    /// Why a rank was named.
    public enum Reason: Equatable {
        /// Its heartbeat has not changed for `seconds`: its process is stopped,
        /// or its file system is stuck (its watchdog cannot write either).
        case silent(seconds: Double)
        /// Alive, but still at an earlier step or phase than the others.
        case behind(WatchPoint)
        /// Every rank is alive at the point and none finished it (a deadlock,
        /// a file system stuck for every rank): all are named.
        case noneFinished
    }

    /// The exit status of a job the watchdog ended; no other failure uses it.
    public static let exitCode: Int32 = 3

    /// The step or phase the furthest rank is at.
    public var point: WatchPoint
    /// The ranks that did not arrive, ascending, each with why.
    public var ranks: [(rank: Int, reason: Reason)]
    /// `run.step_timeout_seconds` (or `unit`'s key).
    public var timeout: Double
    /// What the points count and the key that set the timeout (the line's words).
    public var unit: WatchUnit
    /// From a liveness watch (`ArrivalCheck.silenceOnly`): the ranks named
    /// stopped responding, wherever they were; the line names no point.
    public var liveness: Bool

    public init(at point: WatchPoint, ranks: [(rank: Int, reason: Reason)], timeout: Double, unit: WatchUnit = .trainingStep,
                liveness: Bool = false) {
        self.point = point
        self.ranks = ranks.sorted { $0.rank < $1.rank }
        self.timeout = timeout
        self.unit = unit
        self.liveness = liveness
    }

    public static func == (a: StepTimeout, b: StepTimeout) -> Bool {
        a.point == b.point && a.timeout == b.timeout && a.unit == b.unit && a.liveness == b.liveness && a.ranks.map(\.rank) == b.ranks.map(\.rank)
            && a.ranks.map(\.reason) == b.ranks.map(\.reason)
    }

    /// "step 12: rank(s) 1 did not arrive within 2 s (rank 1: no heartbeat for 2.1 s, ...)";
    /// "the final evaluation (after step 40): rank(s) 1 did not arrive ...".
    public var description: String {
        let why = ranks.map { r -> String in
            switch r.reason {
            case .silent(let s): return "rank \(r.rank): no heartbeat for \(String(format: "%.1f", s)) s, its process is stopped or stuck"
            case .behind(let p): return "rank \(r.rank): still at \(p.describe(unit))"
            case .noneFinished: return "rank \(r.rank): alive at it"
            }
        }
        let who = ranks.map { String($0.rank) }.joined(separator: ",")
        if liveness {
            return "rank(s) \(who) stopped responding (\(why.joined(separator: "; "))); the watchdog (\(unit.key)) ends the job, exit \(Self.exitCode)"
        }
        let all = ranks.allSatisfy { $0.reason == .noneFinished }
            ? "; every rank is alive and none finished it: a deadlock or a file system stuck for all" : ""
        return "\(point.describe(unit)): rank(s) \(who) did not arrive within "
            + "\(String(format: "%g", timeout)) s (\(why.joined(separator: "; "))\(all)); "
            + "the watchdog (\(unit.key)) ends the job, exit \(Self.exitCode)"
    }
}
