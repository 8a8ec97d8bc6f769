import Collectives
import Evolve
import Foundation
import XCTest

final class SearchTests: XCTestCase {
    static func config(seed: UInt64 = 5) -> EvolveConfig {
        // The deterministic measure, so fronts (not only genomes) must repeat.
        let e = EvaluationSettings(kernel: .dotInteraction, measure: .staticInstructions, timeout: 5, repetitions: 1,
                                   trainSeeds: [1], heldOutSeeds: [1001])
        return EvolveConfig(evaluation: e, population: 6, generations: 2, elite: 1, seed: seed,
                            finalRounds: 1, finalRepetitions: 1)
    }

    func run(ranks: Int, name: String) throws -> (String, EvolveSummary) {
        let base = NSTemporaryDirectory() + "strata-evolve-search-\(getpid())/\(name)"
        try? FileManager.default.removeItem(atPath: base)
        let evolution = Evolution(config: Self.config(), toolchain: .debianLLVM14, outDirectory: base + "/run",
                                  workDirectory: base + "/work", progress: nil)
        let summaries = LocalCommunicator.run(worldSize: ranks) { comm -> EvolveSummary? in
            do { return try evolution.run(world: comm) } catch { XCTFail("rank \(comm.rank): \(error)"); return nil }
        }
        return (base + "/run", try XCTUnwrap(summaries[0]))
    }

    func text(_ dir: String, _ name: String) throws -> String {
        try String(contentsOfFile: dir + "/" + name, encoding: .utf8)
    }

    /// A seeded run evaluates the same genomes in the same order and finds the
    /// same fronts on 1 rank (rank 0 evaluates) and on 4 (3 worker ranks);
    /// invalid variants are recorded and the run goes on; a known-good edit
    /// list (the run's best) reproduces the same IR in a fresh workspace.
    func testSeededRunRepeatsOnOneAndFourRanksAndBestReproduces() throws {
        let (one, s1) = try run(ranks: 1, name: "one")
        let (four, s4) = try run(ranks: 4, name: "four")
        let evaluations = try text(one, "evaluations.jsonl")
        XCTAssertEqual(evaluations, try text(four, "evaluations.jsonl"))
        XCTAssertEqual(try text(one, "pareto.jsonl"), try text(four, "pareto.jsonl"))
        XCTAssertEqual(try text(one, "pareto.jsonl").split(separator: "\n").count, 3, "generations 0, 1, 2")
        XCTAssertEqual(s1.bestEdits, s4.bestEdits)
        XCTAssertEqual(s1.edits.map(\.edit), s4.edits.map(\.edit))
        XCTAssertEqual(s1.ranks, 1)
        XCTAssertEqual(s4.ranks, 4)

        // Each distinct genome once; some invalid, and the run finished regardless.
        let lines = evaluations.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(lines.count, s1.evaluations)
        let keys = lines.map { l in ((l["edits"] as! [[String: Any]]).map { "\($0)" }.sorted()).joined() }
        XCTAssertEqual(Set(keys).count, keys.count, "the cache evaluates each sorted edit list once")
        XCTAssertTrue(lines.contains { ($0["fitness"] as! [String: Any])["valid"] as! Bool == false }, "some variants are invalid")

        // The known-good list: the same IR and fitness from a fresh workspace.
        let fresh = try KernelWorkspace(settings: Self.config().evaluation, toolchain: .debianLLVM14,
                                        directory: NSTemporaryDirectory() + "strata-evolve-search-\(getpid())/fresh")
        XCTAssertEqual(fresh.variant(s1.edits.map(\.edit)).0.moduleText, try text(one, "best.ll"))
        let again = fresh.evaluate(s1.bestEdits)
        XCTAssertTrue(again.valid, again.reason ?? "")
        let recorded = lines.first { l in
            (l["edits"] as! [[String: Any]]).count == s1.bestEdits.count
                && ((l["fitness"] as! [String: Any])["valid"] as! Bool)
                && fresh.variant((try! JSONDecoder().decode([Edit].self, from: JSONSerialization.data(withJSONObject: l["edits"]!)))).0.moduleText
                    == fresh.variant(s1.bestEdits).0.moduleText
        }
        XCTAssertEqual((recorded?["fitness"] as? [String: Any])?["runtime"] as? Double, again.runtime)
        XCTAssertTrue(FileManager.default.fileExists(atPath: one + "/runtime.svg"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: one + "/summary.json"))
    }
}
