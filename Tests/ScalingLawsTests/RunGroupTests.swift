import ScalingLaws
import XCTest

final class RunGroupTests: XCTestCase {
    func testGroupsSeedsByXWithMeanStdCount() {
        let runs = [
            ScalingPoint(x: 100, y: 2), ScalingPoint(x: 10, y: 5),
            ScalingPoint(x: 100, y: 4), ScalingPoint(x: 100, y: 3),
        ]
        let groups = RunGroup.grouping(runs)
        XCTAssertEqual(groups.map(\.x), [10, 100])
        XCTAssertEqual(groups[0], RunGroup(x: 10, mean: 5, std: 0, count: 1))
        XCTAssertEqual(groups[1].mean, 3)
        XCTAssertEqual(groups[1].std, 1, accuracy: 1e-12) // sample std of 2, 3, 4
        XCTAssertEqual(groups[1].count, 3)
        XCTAssertEqual(groups[1].meanPoint, ScalingPoint(x: 100, y: 3, weight: 3))
        XCTAssertEqual(RunGroup.grouping([]), [])
    }
}
