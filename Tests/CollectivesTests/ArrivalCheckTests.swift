import XCTest
import Collectives

/// The step watchdog's decision on a clock the test sets: who did not arrive,
/// and not before the timeout.
final class ArrivalCheckTests: XCTestCase {
    /// Rank 0 of 2 begins step 1 at t = 0 with a 2 s timeout.
    func check(size: Int = 2) -> ArrivalCheck {
        var c = ArrivalCheck(rank: 0, size: size, timeout: 2, step: 0, now: 0)
        c.begin(step: 1, at: 0)
        return c
    }

    func testASilentRankIsNamedOnceItHasBeenQuietForTheTimeout() {
        var c = check()
        c.observe([ProgressSlot(step: 1, beat: 2), ProgressSlot(step: 1, beat: 2)], at: 0.25)
        // Rank 1 stops beating (a stopped process); rank 0's own slot keeps moving.
        for (i, t) in [0.5, 1.0, 1.5, 2.0, 2.2].enumerated() {
            c.observe([ProgressSlot(step: 1, beat: Int64(3 + i)), ProgressSlot(step: 1, beat: 2)], at: t)
        }
        XCTAssertNil(c.verdict(at: 1.9), "within the timeout nothing fires")
        XCTAssertNil(c.verdict(at: 2.2), "late, but rank 1 has been quiet for 1.95 s only")
        let v = c.verdict(at: 2.3)
        XCTAssertEqual(v?.step, 1)
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
            c.observe([ProgressSlot(step: 1, beat: Int64(i + 2)), ProgressSlot(step: 1, beat: Int64(i + 2))], at: t)
            if t <= 4 { XCTAssertNil(c.verdict(at: t), "alive in the same step: no one to name before 2 x timeout (t \(t))") }
        }
        let v = c.verdict(at: 4.9)
        XCTAssertEqual(v?.ranks.map(\.rank), [0, 1])
        XCTAssertEqual(v?.ranks.map(\.reason), [.noneFinished, .noneFinished])
        XCTAssertTrue(v?.description.contains("none finished the step") ?? false)
    }

    func testARankStillInAnEarlierStepIsNamedBehind() {
        var c = ArrivalCheck(rank: 0, size: 3, timeout: 2, step: 4, now: 0)
        c.begin(step: 5, at: 0)
        c.observe([ProgressSlot(step: 5, beat: 2), ProgressSlot(step: 5, beat: 2), ProgressSlot(step: 4, beat: 2)], at: 1.9)
        XCTAssertNil(c.verdict(at: 2.0))
        let v = c.verdict(at: 2.1)
        XCTAssertEqual(v?.step, 5)
        XCTAssertEqual(v?.ranks.map(\.rank), [2])
        XCTAssertEqual(v?.ranks.map(\.reason), [.behind(step: 4)])
    }

    func testThisRankNamesItselfWhenTheOthersHaveMovedOn() {
        // Rank 0 is stuck after step 5's last collective (say, writing a file); rank 1 is in step 6.
        var c = ArrivalCheck(rank: 0, size: 2, timeout: 2, step: 4, now: 0)
        c.begin(step: 5, at: 0)
        c.observe([ProgressSlot(step: 5, beat: 2), ProgressSlot(step: 6, beat: 2)], at: 1.5)
        let v = c.verdict(at: 2.5)
        XCTAssertEqual(v?.step, 6)
        XCTAssertEqual(v?.ranks.map(\.rank), [0])
        XCTAssertEqual(v?.ranks.map(\.reason), [.behind(step: 5)])
    }

    func testAReaderThatWasItselfDescheduledSeesMissedBeatsAsLife() {
        var c = check()
        c.observe([ProgressSlot(step: 1, beat: 2), ProgressSlot(step: 1, beat: 2)], at: 0.1)
        // This rank's reader did not run for 3 s; rank 1 beat meanwhile.
        c.observe([ProgressSlot(step: 1, beat: 30), ProgressSlot(step: 1, beat: 25)], at: 3.1)
        XCTAssertNil(c.verdict(at: 3.2))
    }

    func testANewStepRestartsTheClock() {
        var c = check()
        c.observe([ProgressSlot(step: 1, beat: 2), ProgressSlot(step: 1, beat: 2)], at: 0)
        c.begin(step: 2, at: 1.8)
        XCTAssertNil(c.verdict(at: 3.5), "step 2 began 1.7 s ago")
        XCTAssertEqual(c.verdict(at: 3.9)?.ranks.map(\.rank), [1])
    }
}
