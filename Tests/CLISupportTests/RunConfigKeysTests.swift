import CLISupport
import Collectives
import Foundation
import Training
import XCTest

/// A training config's keys, declared once (RunConfigKeys): every numeric
/// key range-checked, the special shapes (named tables, [min, max], open
/// shares, empty lists) decoded as before, --help listing every key.
final class RunConfigKeysTests: XCTestCase {
    let schema = RunConfigKeys.schema

    func load(_ sets: [String]) throws -> RunConfig { try ConfigLoader.load(file: nil, overrides: sets) }

    func refusal(_ sets: [String]) -> String {
        do { _ = try load(sets); XCTFail("accepted \(sets)"); return "" } catch { return "\(error)" }
    }

    /// A key declared without a range that still takes a number would put a
    /// JSON number in the config: every key without one is given 7 and must
    /// refuse it or keep it as text.
    func testNoKeyReadsANumberWithoutARange() throws {
        let before = try JSONSerialization.jsonObject(with: JSONEncoder().encode(RunConfig())) as! [String: Any]
        for (name, key) in schema.keys where key.allowed == nil {
            let probe = name.replacingOccurrences(of: ".NAME", with: ".item")
            guard let c = try? load(["\(probe)=7"]) else { continue }
            let after = try JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as! [String: Any]
            for (path, value) in Self.leaves(after) where "\(Self.leaves(before)[path] ?? "none")" != "\(value)" {
                XCTAssert(value is String, "\(name) read 7 as a number (\(path)) without a declared range")
            }
        }
    }

    /// Every scalar of a JSON value by its path (`.data.path`, `.model.excludeFeatures[0]`).
    static func leaves(_ any: Any, _ prefix: String = "") -> [String: Any] {
        if let m = any as? [String: Any] {
            return m.reduce(into: [:]) { r, kv in r.merge(leaves(kv.value, prefix + "." + kv.key)) { a, _ in a } }
        }
        if let list = any as? [Any] {
            return list.enumerated().reduce(into: [:]) { r, e in r.merge(leaves(e.element, prefix + "[\(e.offset)]")) { a, _ in a } }
        }
        return [prefix: any]
    }

    /// What Tests/MPI/hardening.sh feeds every declared key through the
    /// binary, here in one process: NaN, infinity, -1, 0 and a huge value,
    /// each refused by name when outside the range, never trapped on.
    func testEveryNumericKeyRefusesWhatItsRangeExcludes() {
        var tried = 0
        for e in schema.rangeEntries(command: "train", mode: "set") {
            for v in ["nan", "inf", "-1", "0", e.allowed.integer ? "99999999999999999999" : "1e300"]
            where !(Double(v).map(e.allowed.contains) ?? false) {
                tried += 1
                let why = refusal(["\(e.name)=\(v)"])
                XCTAssert(why.hasPrefix("--set: \(e.name) must be \(e.allowed), got "), "\(e.name)=\(v): \(why)")
            }
        }
        XCTAssertGreaterThan(tried, 150)
    }

    func testRangesSayWhatIsAllowed() {
        XCTAssertEqual(refusal(["run.batch_size=-4"]), "--set: run.batch_size must be a positive integer, got -4")
        XCTAssertEqual(refusal(["run.checkpoint_every=-1"]), "--set: run.checkpoint_every must be a non-negative integer, got -1")
        XCTAssertEqual(refusal(["run.steps=ten"]), "--set: run.steps must be a positive integer, got 'ten'")
        XCTAssertEqual(refusal(["data.synthetic.history_affinity=2"]), "--set: data.synthetic.history_affinity must be a finite number in 0...1, got 2")
        XCTAssertEqual(refusal(["optimizer.dense_learning_rate=nan"]),
                       "--set: optimizer.dense_learning_rate must be a finite 32-bit float above 0, got nan (not a number)")
        XCTAssertEqual(refusal(["optimizer.dense_learning_rate=1e39"]),
                       "--set: optimizer.dense_learning_rate must be a finite 32-bit float above 0, got 1e39")
        XCTAssertEqual(try load(["optimizer.dense_learning_rate=1e30"]).optimizer.denseLearningRate, 1e30)
        XCTAssertEqual(refusal(["run.step_timeout_seconds=-1"]), "--set: run.step_timeout_seconds must be a finite number in 0...1000000000, got -1")
        XCTAssertEqual(refusal(["data.synthetic.extra_tables=[10, 0]"]), "--set: data.synthetic.extra_tables must be a positive integer, got 0 at [1]")
    }

    func testSharesExcludeTheirOpenEnds() throws {
        XCTAssertEqual(refusal(["data.movielens.heldout_users=1"]), "--set: data.movielens.heldout_users must be a finite number above 0 and below 1, got 1")
        XCTAssertEqual(refusal(["data.movielens.heldout_users=0"]), "--set: data.movielens.heldout_users must be a finite number above 0 and below 1, got 0")
        XCTAssertEqual(try load(["data.movielens.heldout_users=0.999"]).data.movielens.heldoutUsers, 0.999)
        XCTAssertEqual(refusal(["data.movielens.user_dropout=1"]), "--set: data.movielens.user_dropout must be a finite number at least 0 and below 1, got 1")
        XCTAssertEqual(try load(["data.movielens.user_dropout=0"]).data.movielens.userDropout, 0)
        XCTAssertEqual(schema.rangeEntries(command: "train", mode: "set").first { $0.name == "data.movielens.heldout_users" }?.line,
                       "train\tset\tdata.movielens.heldout_users\treal\t0.0\t()\t1.0\t")
    }

    func testNamedTablesBagRangesAndLists() throws {
        let c = try load(["sharding.tables.item=row_wise", "sharding.tables.c0=data_parallel", "sharding.type=auto",
                          "data.synthetic.extra_ids_per_bag=[2, 5]", "data.synthetic.extra_tables=[7, 8]", "model.exclude_features=[user, c1]",
                          "comm.backward_precision=bf16", "model.gemm=auto"])
        XCTAssertEqual(c.sharding.tables, ["item": .rowWise, "c0": .dataParallel])
        XCTAssertEqual(c.sharding.type, .auto)
        XCTAssertEqual(c.data.synthetic.extraIdsPerBag, 2...5)
        XCTAssertEqual(c.data.synthetic.extraTables.map(\.name), ["c0", "c1"])
        XCTAssertEqual(c.data.synthetic.extraTables.map(\.rows), [7, 8])
        XCTAssertEqual(c.model.excludeFeatures, ["user", "c1"])
        XCTAssertEqual(c.precision.commBackward, .bf16)
        XCTAssertEqual(try load(["data.synthetic.extra_ids_per_bag=3"]).data.synthetic.extraIdsPerBag, 3...3)
        XCTAssertEqual(try load(["data.synthetic.extra_tables=[]"]).data.synthetic.extraTables, [])   // no extra tables
        XCTAssertEqual(try load(["model.exclude_features=[]"]).model.excludeFeatures, [])
        XCTAssertEqual(refusal(["data.synthetic.extra_ids_per_bag=[3, 2]"]), "--set: data.synthetic.extra_ids_per_bag must have 1 <= min <= max, got [3, 2]")
        XCTAssertEqual(refusal(["data.synthetic.extra_ids_per_bag=[1, 2, 3]"]),
                       "--set: data.synthetic.extra_ids_per_bag must be [min, max] or one number, got '[1, 2, 3]'")
        XCTAssertEqual(refusal(["data.synthetic.extra_ids_per_bag=[0, 2]"]),
                       "--set: data.synthetic.extra_ids_per_bag must be a positive integer, got 0 at [0]")
        XCTAssertTrue(refusal(["sharding.tables.item=rows"]).hasPrefix("--set: sharding.tables.item must be one of table_wise, row_wise"))
        XCTAssertEqual(refusal(["sharding.tables=5"]), "--set: 'sharding.tables' is a section, not a value: give its keys (sharding.tables.NAME)")
        XCTAssertEqual(refusal(["run.stepz=3"]), "--set: unknown key 'run.stepz' (did you mean 'run.steps'?) (see strata train --help)")
    }

    func testHelpListsEveryKeyOnceWithItsChoices() {
        let lines = schema.help().split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, schema.keys.count)
        XCTAssertEqual(Set(lines.map { $0.split(separator: ":")[0] }).count, schema.keys.count)
        XCTAssert(lines.allSatisfy { $0.hasPrefix("  ") && $0.count > $0.split(separator: ":")[0].count + 8 }, "a key without help")
        XCTAssert(lines.contains { $0.hasPrefix("  model.gemm: ") && $0.hasSuffix(": auto | openblas | onednn") }, "\(lines)")
        XCTAssert(lines.contains { $0.hasPrefix("  sharding.tables.NAME: ") && $0.contains("row_wise") }, "\(lines)")
    }
}
