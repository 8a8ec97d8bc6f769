import Collectives
import Data
import DataPerf
import Foundation
import Training
import XCTest

/// Small tasks made once per test run (a few thousand rows: each training a fraction of a second).
enum Fixtures {
    static let root: String = {
        let dir = NSTemporaryDirectory() + "dataperf-tests-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        return dir
    }()

    static func make(_ name: String, _ edit: (inout TaskRecipe) -> Void) -> (DataPerfTask, String) {
        let dir = root + "/" + name
        if let t = try? DataPerfTask.load(from: dir) { return (t, dir) }
        var r = TaskRecipe(name: name, track: .selection, dataset: .synthetic)
        r.poolRows = 2_000
        r.evalRows = 1_000
        r.seeds = [1, 2]
        edit(&r)
        return (try! TaskMaker.make(r, directory: dir), dir)
    }

    static var selection: (DataPerfTask, String) {
        make("selection") { $0.budgetPercents = [5, 100] }
    }

    static var debugging: (DataPerfTask, String) {
        make("debugging") {
            $0.track = .debugging
            $0.noise = .feature
            $0.noiseFraction = 0.2
            $0.grid = [0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.95]
        }
    }

    static func submission(_ name: String, task: DataPerfTask, budget: Int?, rows: [Int]) throws -> Submission {
        try Submission.parse(SubmissionFile.render(version: task.version, budget: budget, rows: rows), name: name, path: name + ".txt", task: task)
    }

    /// Evaluates on `worldSize` thread ranks; rank 0's summary.
    static func evaluate(_ subs: [Submission], task: DataPerfTask, dir: String, worldSize: Int = 1,
                         failSeed: UInt64? = nil) throws -> EvaluationSummary {
        let out = root + "/eval-\(UUID().uuidString)"
        let e = DataPerfEvaluator(task: task, taskDirectory: dir, outDirectory: out, failSeed: failSeed)
        let all = try LocalCommunicator.run(worldSize: worldSize) { comm in try e.run(subs, world: comm) }
        return try XCTUnwrap(all[0])
    }
}

extension SubmissionScore {
    /// The score without timings and paths (what must repeat exactly).
    var comparable: SubmissionScore {
        var s = self
        s.trainSeconds = 0
        s.file = ""
        func clear(_ seeds: [SeedScore]) -> [SeedScore] { seeds.map { var x = $0; x.trainSeconds = 0; return x } }
        if var sel = s.selection { sel.seeds = clear(sel.seeds); s.selection = sel }
        if var d = s.debugging {
            d.grid = d.grid.map { var p = $0; p.seeds = clear(p.seeds); return p }
            s.debugging = d
        }
        return s
    }
}
