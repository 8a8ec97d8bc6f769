import XCTest
import Collectives

/// The watchdog's words outside `strata train`: a command's unit ("round",
/// "phase") and key in the line and in the test hook's tokens, training's unchanged.
final class WatchUnitTests: XCTestCase {
    let round = WatchUnit(noun: "round", key: "round_timeout_seconds")

    func testAVerdictInRoundsNamesTheRoundItsEvaluationAndTheKey() {
        let v = StepTimeout(at: WatchPoint(step: 3), ranks: [(2, .behind(WatchPoint(step: 2, phase: .evaluation))), (1, .silent(seconds: 5.04))],
                            timeout: 5, unit: round)
        XCTAssertEqual(v.description, "round 3: rank(s) 1,2 did not arrive within 5 s (rank 1: no heartbeat for 5.0 s, its process is stopped "
                       + "or stuck; rank 2: still at the evaluation after round 2); the watchdog (round_timeout_seconds) ends the job, exit 3")
        var training = v
        training.unit = .trainingStep
        XCTAssertTrue(training.description.hasPrefix("step 3: rank(s) 1,2"), training.description)
        XCTAssertTrue(training.description.hasSuffix("the watchdog (run.step_timeout_seconds) ends the job, exit 3"), training.description)
        XCTAssertNotEqual(v, training, "the unit is part of the verdict")
    }

    func testPointsInAUnitsWords() {
        XCTAssertEqual(WatchPoint(step: 0).describe(round), "the start (before round 1)")
        XCTAssertEqual(WatchPoint(step: 0).description, "step 0", "training's last finished step reads as before")
        XCTAssertEqual(WatchPoint(step: 4, phase: .evaluation).describe(round), "the evaluation after round 4")
        XCTAssertEqual(WatchPoint(step: 7).describe(WatchUnit(noun: "phase", key: "iae.phase_timeout_seconds")), "phase 7")
    }

    func testTheTestHooksTokensNameTheUnit() {
        XCTAssertEqual(WatchPoint(step: 3).token(round), "round:3")
        XCTAssertEqual(WatchPoint(step: 3, phase: .evaluation).token(round), "evaluation:3")
        XCTAssertEqual(WatchPoint(step: 3).token, "step:3")
        XCTAssertEqual(WatchPoint(step: 40, phase: .finalSummary).token(round), "final_summary")
    }

    func testAWatchWithNoTimeoutIsOffAndMakesNoBoard() throws {
        let watches = try LocalCommunicator.run(worldSize: 2) { comm in
            try PhaseWatch.start(comm: comm, timeout: 0, directory: nil, unit: self.round) == nil
        }
        XCTAssertEqual(watches, [true, true])
    }
}
