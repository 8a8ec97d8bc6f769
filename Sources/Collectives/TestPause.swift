#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// TEST ONLY: `STRATA_TEST_PAUSE_RANK=R STRATA_TEST_PAUSE_AT=POINT` makes rank R
/// stop itself with SIGSTOP when it reaches POINT (a `WatchPoint.token`:
/// `step:N`, `checkpoint:N`, `evaluation:N`, `final_checkpoint`, `final_report`,
/// `final_evaluation`, `final_summary`; in another command its unit's token:
/// `round:N` in `strata fl`, `phase:N` in `strata iae` and `strata distill`;
/// a `WorkGroups` coordinator, after its Nth result: `point:N` in a sweep,
/// `training:N` in dataperf evaluate),
/// as if an operator had stopped it there.
/// Tests/MPI/watchdog.sh uses it so that where the stop lands does not depend
/// on the machine's speed or load. Read once, at the first point; unset (every
/// real run), it costs one comparison per point.
public enum TestPause {
    static let target: (rank: Int, token: String)? = {
        let env = ProcessInfo.processInfo.environment
        guard let r = env["STRATA_TEST_PAUSE_RANK"].flatMap(Int.init), let at = env["STRATA_TEST_PAUSE_AT"] else { return nil }
        return (r, at)
    }()

    /// Stops this process when `rank` at `point` is the one named.
    public static func check(rank: Int, at point: WatchPoint, unit: WatchUnit = .trainingStep) {
        guard let target, target.rank == rank, target.token == point.token(unit) else { return }
        raise(SIGSTOP)
    }
}
