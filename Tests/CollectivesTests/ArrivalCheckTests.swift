import XCTest
import Collectives

/// The step watchdog's decision on a clock the test sets: who did not arrive,
/// and not before the timeout.
final class ArrivalCheckTests: XCTestCase {
    /// Rank 0 of 2 begins step 1 at t = 0 with a 2 s timeout.
    func check(size: Int = 2) -> ArrivalCheck {
        var c = ArrivalCheck(rank: 0, size: size, timeout: 2, mark: m(0), now: 0)
        c.begin(mark: m(1), at: 0)
        return c
    }

    /// Step `s`'s mark, or a phase's after it.
    func m(_ s: Int, _ phase: WatchPoint.Phase = .step) -> Int { WatchPoint(step: s, phase: phase).mark }

    /// A board slot at step `s` (or a phase after it).
    func slot(_ s: Int, _ phase: WatchPoint.Phase = .step, beat: Int64) -> ProgressSlot {
        ProgressSlot(mark: Int64(m(s, phase)), beat: beat)
    }

    func testASilentRankIsNamedOnceItHasBeenQuietForTheTimeout() {
        var c = check()
        c.observe([slot(1, beat: 2), slot(1, beat: 2)], at: 0.25)
        // Rank 1 stops beating (a stopped process); rank 0's own slot keeps moving.
        for (i, t) in [0.5, 1.0, 1.5, 2.0, 2.2].enumerated() {
            c.observe([slot(1, beat: Int64(3 + i)), slot(1, beat: 2)], at: t)
        }
        XCTAssertNil(c.verdict(at: 1.9), "within the timeout nothing fires")
        XCTAssertNil(c.verdict(at: 2.2), "late, but rank 1 has been quiet for 1.95 s only")
        let v = c.verdict(at: 2.3)
        XCTAssertEqual(v?.point, WatchPoint(step: 1))
        XCTAssertEqual(v?.ranks.map(\.rank), [1])
        guard case .silent(let quiet)? = v?.ranks.first?.reason else { return XCTFail("rank 1 should be named silent: \(String(describing: v))") }
        XCTAssertEqual(quiet, 2.05, accuracy: 1e-9)
        XCTAssertTrue(v!.description.hasPrefix("step 1: rank(s) 1 did not arrive within 2 s (rank 1: no heartbeat for "), v!.description)
        XCTAssertTrue(v!.description.hasSuffix("exit 3"), v!.description)
        XCTAssertEqual(StepTimeout.exitCode, 3)
    }

    func testRanksThatKeepBeatingAreNamedOnlyAfterTwiceTheTimeoutAllOfThem() {
        var c = check()
        for i in 0..<40 {
            let t = Double(i) * 0.125
            c.observe([slot(1, beat: Int64(i + 2)), slot(1, beat: Int64(i + 2))], at: t)
            if t <= 4 { XCTAssertNil(c.verdict(at: t), "alive in the same step: no one to name before 2 x timeout (t \(t))") }
        }
        let v = c.verdict(at: 4.9)
        XCTAssertEqual(v?.ranks.map(\.rank), [0, 1])
        XCTAssertEqual(v?.ranks.map(\.reason), [.noneFinished, .noneFinished])
        XCTAssertTrue(v?.description.contains("none finished it") ?? false)
    }

    func testARankStillInAnEarlierStepIsNamedBehind() {
        var c = ArrivalCheck(rank: 0, size: 3, timeout: 2, mark: m(4), now: 0)
        c.begin(mark: m(5), at: 0)
        c.observe([slot(5, beat: 2), slot(5, beat: 2), slot(4, beat: 2)], at: 1.9)
        XCTAssertNil(c.verdict(at: 2.0))
        let v = c.verdict(at: 2.1)
        XCTAssertEqual(v?.point, WatchPoint(step: 5))
        XCTAssertEqual(v?.ranks.map(\.rank), [2])
        XCTAssertEqual(v?.ranks.map(\.reason), [.behind(WatchPoint(step: 4))])
    }

    /// Rank 1 is stopped; rank 3 still waits for a broadcast that rank 1
    /// relays, so it is at an earlier mark, alive. Only rank 1 is named: the
    /// rank behind a silent one is its victim, not a second culprit.
    func testWhenARankIsSilentARankBehindItIsNotBlamed() {
        var c = ArrivalCheck(rank: 0, size: 4, timeout: 2, mark: m(4), now: 0)
        c.begin(mark: m(5), at: 0)
        for (i, t) in [0.25, 1.0, 2.0, 2.4].enumerated() {
            c.observe([slot(5, beat: Int64(3 + i)), slot(4, beat: 2), slot(5, beat: Int64(3 + i)), slot(4, beat: Int64(3 + i))], at: t)
        }
        let v = c.verdict(at: 2.4)
        XCTAssertEqual(v?.ranks.map(\.rank), [1], "\(String(describing: v))")
        guard case .silent(let quiet)? = v?.ranks.first?.reason else { return XCTFail("rank 1 should be named silent: \(String(describing: v))") }
        XCTAssertEqual(quiet, 2.15, accuracy: 1e-9)
    }

    /// Rank 1 stopped a tick after its last beat, and the board still shows
    /// the mark it held a tick before (marks are published each tick): it is
    /// behind on the board but falling silent, so it is named once silent,
    /// for its silence, not a moment earlier as "still at" a stale mark.
    func testARankFallingSilentIsNamedSilentNotBehind() {
        var c = check()
        c.observe([slot(1, beat: 2), slot(0, beat: 2)], at: 0.3)
        for (i, t) in [0.5, 1.0, 1.5, 2.0, 2.2, 2.4].enumerated() {
            c.observe([slot(1, beat: Int64(3 + i)), slot(0, beat: 2)], at: t)
        }
        XCTAssertNil(c.verdict(at: 2.1), "behind on the board, but quiet for 1.8 s: falling silent")
        let v = c.verdict(at: 2.4)
        guard case .silent? = v?.ranks.first?.reason else { return XCTFail("rank 1 should be named silent: \(String(describing: v))") }
        XCTAssertEqual(v?.ranks.map(\.rank), [1])
    }

    /// A worker's watch of its coordinator (`WorkGroups.watchCoordinator`):
    /// marks mean nothing (rank 2 is far ahead, rank 0 never moves, nobody
    /// finishes anything for 10 s), only rank 0's silence is named.
    func testALivenessWatchNamesOnlyTheWatchedRanksSilence() {
        var c = ArrivalCheck(rank: 1, size: 3, timeout: 2, mark: 0, now: 0)
        c.silenceOnly = [0]
        for i in 0...40 {
            let t = Double(i) * 0.25
            c.observe([ProgressSlot(mark: 0, beat: Int64(i + 2)), ProgressSlot(mark: 0, beat: Int64(i + 2)), ProgressSlot(mark: 99, beat: 1)], at: t)
            XCTAssertNil(c.verdict(at: t), "rank 0 beats; rank 2's silence and marks are not watched (t \(t))")
        }
        // Rank 0 stops beating after t = 10.
        for t in [10.5, 11.0, 11.5, 12.0] {
            c.observe([ProgressSlot(mark: 0, beat: 42), ProgressSlot(mark: 0, beat: Int64(t * 4)), ProgressSlot(mark: 99, beat: 1)], at: t)
        }
        XCTAssertNil(c.verdict(at: 11.9))
        var v = c.verdict(at: 12.1)
        XCTAssertEqual(v?.ranks.map(\.rank), [0])
        v?.unit = WatchUnit(noun: "training", key: "--job-timeout-seconds")
        XCTAssertEqual(v?.description, "rank(s) 0 stopped responding (rank 0: no heartbeat for 2.1 s, its process is stopped or stuck); "
                       + "the watchdog (--job-timeout-seconds) ends the job, exit 3")
    }

    func testThisRankNamesItselfWhenTheOthersHaveMovedOn() {
        // Rank 0 is stuck after step 5's last collective (say, writing a file); rank 1 is in step 6.
        var c = ArrivalCheck(rank: 0, size: 2, timeout: 2, mark: m(4), now: 0)
        c.begin(mark: m(5), at: 0)
        c.observe([slot(5, beat: 2), slot(6, beat: 2)], at: 1.5)
        let v = c.verdict(at: 2.5)
        XCTAssertEqual(v?.point, WatchPoint(step: 6))
        XCTAssertEqual(v?.ranks.map(\.rank), [0])
        XCTAssertEqual(v?.ranks.map(\.reason), [.behind(WatchPoint(step: 5))])
    }

    func testAReaderThatWasItselfDescheduledSeesMissedBeatsAsLife() {
        var c = check()
        c.observe([slot(1, beat: 2), slot(1, beat: 2)], at: 0.1)
        // This rank's reader did not run for 3 s; rank 1 beat meanwhile.
        c.observe([slot(1, beat: 30), slot(1, beat: 25)], at: 3.1)
        XCTAssertNil(c.verdict(at: 3.2))
    }

    func testANewStepRestartsTheClock() {
        var c = check()
        c.observe([slot(1, beat: 2), slot(1, beat: 2)], at: 0)
        c.begin(mark: m(2), at: 1.8)
        XCTAssertNil(c.verdict(at: 3.5), "step 2 began 1.7 s ago")
        XCTAssertEqual(c.verdict(at: 3.9)?.ranks.map(\.rank), [1])
    }

    func testAPhaseAfterTheLastStepIsWatchedAndNamedInTheLine() {
        // Both ranks finished step 40; rank 1 stops in the final evaluation.
        var c = ArrivalCheck(rank: 0, size: 2, timeout: 2, mark: m(39), now: 0)
        c.begin(mark: m(40, .finalEvaluation), at: 0)
        c.observe([slot(40, .finalEvaluation, beat: 2), slot(40, .finalEvaluation, beat: 2)], at: 0.1)
        for (i, t) in [0.5, 1.0, 1.5, 2.0, 2.5].enumerated() {
            c.observe([slot(40, .finalEvaluation, beat: Int64(3 + i)), slot(40, .finalEvaluation, beat: 2)], at: t)
        }
        let v = c.verdict(at: 2.5)
        XCTAssertEqual(v?.point, WatchPoint(step: 40, phase: .finalEvaluation))
        XCTAssertEqual(v?.ranks.map(\.rank), [1])
        XCTAssertTrue(v?.description.hasPrefix("the final evaluation (after step 40): rank(s) 1 did not arrive within 2 s (rank 1: no heartbeat") ?? false,
                      "\(String(describing: v))")
    }

    func testARankStillInTheCheckpointIsNamedBehindTheEvaluation() {
        var c = ArrivalCheck(rank: 0, size: 2, timeout: 2, mark: m(10), now: 0)
        c.begin(mark: m(10, .evaluation), at: 0)
        c.observe([slot(10, .evaluation, beat: 2), slot(10, .checkpoint, beat: 2)], at: 1.9)
        let v = c.verdict(at: 2.1)
        XCTAssertEqual(v?.ranks.map(\.reason), [.behind(WatchPoint(step: 10, phase: .checkpoint))])
        XCTAssertTrue(v?.description.contains("rank 1: still at the checkpoint after step 10") ?? false, "\(String(describing: v))")
    }

    func testMarksRiseThroughAStepsPhasesToTheNextStep() {
        let order: [WatchPoint] = [WatchPoint(step: 12), WatchPoint(step: 12, phase: .checkpoint), WatchPoint(step: 12, phase: .evaluation),
                                   WatchPoint(step: 13), WatchPoint(step: 13, phase: .finalCheckpoint), WatchPoint(step: 13, phase: .finalReport),
                                   WatchPoint(step: 13, phase: .finalEvaluation), WatchPoint(step: 13, phase: .finalSummary), WatchPoint(step: 14)]
        XCTAssertEqual(order.map(\.mark), order.map(\.mark).sorted())
        XCTAssertEqual(Set(order.map(\.mark)).count, order.count)
        for p in order { XCTAssertEqual(WatchPoint(mark: p.mark), p) }
        XCTAssertEqual(order.map(\.token), ["step:12", "checkpoint:12", "evaluation:12", "step:13", "final_checkpoint",
                                            "final_report", "final_evaluation", "final_summary", "step:14"])
    }

    /// A rank that was itself stopped, and woke when the job's end continued
    /// it, must not blame the ranks that ended the job (their slots froze
    /// when they exited): nothing from it for a timeout of grace and then a
    /// whole timeout, by when the job's end has killed it.
    func testARankThatWakesFromAStopBlamesNoOneForTwoTimeouts() {
        var c = ArrivalCheck(rank: 1, size: 2, timeout: 2, mark: m(4), now: 0)
        c.begin(mark: m(5), at: 0)
        c.observe([slot(5, beat: 3), slot(5, beat: 3)], at: 0.1)
        // Stopped from t = 0.2 to t = 9; rank 0 named it and exited at about t = 2.5.
        c.resumed(at: 9)
        for t in stride(from: 9.0, through: 12.9, by: 0.25) {
            c.observe([slot(5, beat: 12), slot(5, beat: Int64(40 + t * 4))], at: t)
            XCTAssertNil(c.verdict(at: t), "t \(t)")
        }
        // Only a rank that stays silent past both windows is named.
        XCTAssertEqual(c.verdict(at: 13.1)?.ranks.map(\.rank), [0])
    }

    func testAJobPausedAsAWholeIsNeverNamedAfterItResumes() {
        var c = check()
        c.observe([slot(1, beat: 2), slot(1, beat: 2)], at: 0.1)
        // Every rank stopped from 0.2 to 30 (a suspended machine), in step 1
        // for 30 s by the clock; then both beat again and step on, a step a second.
        c.resumed(at: 30)
        for (i, t) in stride(from: 30.0, through: 40, by: 0.25).enumerated() {
            let step = t < 31 ? 1 : Int(t) - 29
            if t >= 31 && t == t.rounded() { c.begin(mark: m(step), at: t) }
            c.observe([slot(step, beat: Int64(3 + i)), slot(step, beat: Int64(3 + i))], at: t)
            XCTAssertNil(c.verdict(at: t), "t \(t)")
        }
    }
}
