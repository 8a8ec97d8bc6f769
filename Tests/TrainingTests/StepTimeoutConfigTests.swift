import XCTest
import Collectives
import StrataTrainingFixtures
import Training

/// `run.step_timeout_seconds`: range-checked naming the key, absent from old
/// configs (off), and a run with it on that steps normally is never stopped.
final class StepTimeoutConfigTests: XCTestCase {
    func testNegativeOrNonFiniteTimeoutsAreRefusedNamingTheKey() {
        for bad in [-1.0, -0.001, .nan, .infinity] {
            var c = TinyConfig.sequenceDLRM()
            c.run.stepTimeoutSeconds = bad
            XCTAssertThrowsError(try c.validate(), "\(bad)") { e in
                XCTAssertTrue("\(e)".contains("run.step_timeout_seconds must be a finite number of seconds, at least 0"), "\(e)")
            }
        }
        var c = TinyConfig.sequenceDLRM()
        c.run.stepTimeoutSeconds = 2.5
        XCTAssertNoThrow(try c.validate())
    }

    func testAConfigWithoutTheKeyDecodesWithTheWatchdogOff() throws {
        var c = TinyConfig.sequenceDLRM()
        c.run.stepTimeoutSeconds = 7
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as! [String: Any]
        var run = json["run"] as! [String: Any]
        XCTAssertEqual(run.removeValue(forKey: "stepTimeoutSeconds") as? Double, 7)
        json["run"] = run
        let old = try JSONDecoder().decode(RunConfig.self, from: JSONSerialization.data(withJSONObject: json))
        XCTAssertEqual(old.run.stepTimeoutSeconds, 0)
    }

    func testARunWithTheWatchdogOnFinishesWhenEveryRankSteps() throws {
        var c = TinyConfig.sequenceDLRM()
        c.run.steps = 8
        c.run.stepTimeoutSeconds = 5
        let losses = try LocalCommunicator.run(worldSize: 2) { comm in
            try TrainingRun(trainer: Trainer(config: c, comm: comm), runDirectory: nil, progress: nil).run().metrics.trainLogloss
        }
        XCTAssertTrue(losses.allSatisfy(\.isFinite))
        XCTAssertEqual(losses[0], losses[1])
    }
}
