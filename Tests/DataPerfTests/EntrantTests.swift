import Collectives
import Data
import DataPerf
import Foundation
import XCTest

/// The Distill-CF entrant: a valid selection, the same every time, spent on
/// the users its summary represents best.
final class EntrantTests: XCTestCase {
    func testDistillCFEntrantSpendsTheBudgetOnTheBestRepresentedUsers() throws {
        let (task, dir) = Fixtures.selection
        let pool = PoolRows(try BinaryDataset(path: dir + "/pool.strata"))
        let comm = LocalCommunicator()
        var entrant = DistillCFEntrant()
        entrant.steps = 10
        let budget = 100
        let rows = try entrant.select(pool, budget: budget, comm: comm)
        XCTAssertEqual(rows.count, budget)
        XCTAssertEqual(Set(rows).count, budget)
        XCTAssertTrue(rows.allSatisfy { (0..<pool.count).contains($0) })
        XCTAssertEqual(try entrant.select(pool, budget: budget, comm: comm), rows, "seeded: the same rows")
        // Half from each label, and within a label no row left out belongs to a
        // better-represented user than a row taken.
        let (score, m) = try entrant.representation(pool, budget: budget, comm: comm)
        XCTAssertGreaterThanOrEqual(m, 2)
        XCTAssertTrue(score.values.contains { $0 > 0 }, "some real user overlaps the summary")
        let users = pool.users(), taken = Set(rows)
        for positive in [true, false] {
            let label = { (r: Int) in (pool.labels[r] > 0.5) == positive }
            let chosen = rows.filter(label), left = (0..<pool.count).filter { label($0) && !taken.contains($0) }
            XCTAssertEqual(chosen.count, budget / 2)
            let worstTaken = chosen.map { score[users[$0]] ?? 0 }.min()!
            let bestLeft = left.map { score[users[$0]] ?? 0 }.max()!
            XCTAssertGreaterThanOrEqual(worstTaken, bestLeft)
        }
        // It is a submission the task accepts.
        _ = try Fixtures.submission("distill", task: task, budget: budget, rows: rows)
    }
}
