import Data
import DataPerf
import Foundation
import XCTest

/// task.json names its data set by the catalogue's spelling; a task whose
/// data set DataPerf does not read is refused when it is loaded, naming the
/// key and the kinds DataPerf reads, before anything trains on it.
final class TaskDataSetTests: XCTestCase {
    func testATaskOfAKindDataPerfDoesNotReadIsRefusedOnLoad() throws {
        let (task, _) = Fixtures.selection
        XCTAssertEqual(task.dataset, .synthetic)
        for kind in [DataSetKind.criteo, .binary, .criteoShards] {
            let dir = Fixtures.root + "/kind-\(kind.rawValue)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var t = task
            t.dataset = kind
            t.version = t.computedVersion()
            try t.write(to: dir)
            XCTAssertThrowsError(try DataPerfTask.load(from: dir)) {
                XCTAssertEqual("\($0)", "\(dir)/task.json: dataset '\(kind.rawValue)' is not one strata dataperf reads (it reads: movielens, synthetic)")
            }
            // The maker refuses it the same way when a recipe names it directly.
            XCTAssertThrowsError(try TaskMaker.make(TaskRecipe(name: "x", track: .selection, dataset: kind), directory: dir + "/made")) {
                XCTAssertEqual("\($0)", "--dataset '\(kind.rawValue)' is not one strata dataperf reads (it reads: movielens, synthetic)")
            }
        }
    }

    /// The spelling in task.json is the one tasks were written with before the catalogue.
    func testTaskJSONKeepsTheDataSetSpelling() throws {
        let (_, dir) = Fixtures.selection
        let json = try String(contentsOfFile: dir + "/task.json", encoding: .utf8)
        XCTAssert(json.contains("\"synthetic\""), json)
    }
}
