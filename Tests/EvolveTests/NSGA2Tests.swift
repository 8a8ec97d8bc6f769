import Evolve
import XCTest

final class NSGA2Tests: XCTestCase {
    /// Hand-made points: three fronts, ties handled, invalid (inf, inf) last.
    func testNonDominatedSortOnHandMadeFronts() {
        let p: [(Double, Double)] = [(1, 5), (2, 3), (4, 1), (3, 4), (5, 5), (2, 3), (.infinity, .infinity), (6, 0.5)]
        // (2,3) twice: equal points do not dominate each other, both in front 0.
        // (3,4) is dominated by (2,3); (5,5) by (3,4) and others; (6,0.5) is non-dominated (best error).
        XCTAssertEqual(NSGA2.fronts(p), [[0, 1, 2, 5, 7], [3], [4], [6]])
        XCTAssertTrue(NSGA2.dominates((1, 1), (1, 2)))
        XCTAssertFalse(NSGA2.dominates((1, 2), (1, 2)))
        XCTAssertFalse(NSGA2.dominates((1, 3), (2, 2)))
    }

    /// Crowding on a front of four points along a line: extremes infinite, interior the normalised neighbour gaps.
    func testCrowdingDistanceOnHandMadeFront() {
        // runtime 1, 2, 4, 8 ; error 8, 4, 2, 1 (ranges 7 and 7)
        let p: [(Double, Double)] = [(1, 8), (2, 4), (4, 2), (8, 1)]
        let d = NSGA2.crowding(p, front: [0, 1, 2, 3])
        XCTAssertEqual(d[0], .infinity)
        XCTAssertEqual(d[3], .infinity)
        // point 1: runtime gap (4-1)/7, error gap (8-2)/7 -> 9/7 ; point 2: (8-2)/7 + (4-1)/7 = 9/7
        XCTAssertEqual(d[1], 9.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(d[2], 9.0 / 7, accuracy: 1e-12)
        // uneven spacing: the crowded point gets the smaller distance
        let q: [(Double, Double)] = [(0, 10), (1, 9), (9, 1), (10, 0), (5, 5)]
        let e = NSGA2.crowding(q, front: [0, 1, 2, 3, 4])
        XCTAssertEqual(e[1], (5.0 - 0) / 10 + (10.0 - 5) / 10, accuracy: 1e-12)
        XCTAssertEqual(e[4], (9.0 - 1) / 10 + (9.0 - 1) / 10, accuracy: 1e-12)
        XCTAssertLessThan(e[1], e[4])
    }

    /// Selection fills whole fronts, then cuts the last by crowding (extremes kept first).
    func testSelectFillsFrontsThenCutsByCrowding() {
        let p: [(Double, Double)] = [(0, 10), (1, 9), (5, 5), (9, 1), (10, 0), (11, 11), (.infinity, .infinity)]
        // front 0 = points 0...4; crowding: 0 and 4 infinite, 1 -> 0.5 + 0.5, 2 -> 0.8 + 0.8, 3 -> 0.5 + 0.5.
        // Taking 4 keeps the extremes, then 2, then the tie 1/3 by the lower index.
        XCTAssertEqual(NSGA2.select(p, count: 4), [0, 4, 2, 1])
        XCTAssertEqual(NSGA2.select(p, count: 6), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(NSGA2.select(p, count: 7).last, 6, "invalid variants come last")
    }
}
