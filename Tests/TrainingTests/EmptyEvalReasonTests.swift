import Training
import XCTest

/// An empty eval split names what emptied it: the key that holds no lines
/// out, or the skipped malformed lines when the key would have held some.
final class EmptyEvalReasonTests: XCTestCase {
    func testSkippedLinesAreBlamedNotAKeyThatHoldsLinesOut() {
        var c = RunConfig()
        c.data.source = .criteo
        c.data.criteoEvalEvery = 0
        XCTAssertEqual(TrainingRun.whyNoEval(c), "data.criteo_eval_every is 0; a positive N holds out every N-th line")
        c.data.criteoEvalEvery = 10
        XCTAssertEqual(TrainingRun.whyNoEval(c, badLines: 3),
                       "data.criteo_eval_every is 10, but data.skip_bad_lines skipped 3 malformed line(s) and no held-out line is left")
    }
}
