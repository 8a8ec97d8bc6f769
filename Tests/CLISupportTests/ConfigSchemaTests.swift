import CLISupport
import Collectives
import Foundation
import XCTest

/// The one config decoder: a section declared once (keys, defaults, ranges)
/// and read from YAML (nested or dotted) and `--set`, every refusal naming
/// where and what.
final class ConfigSchemaTests: XCTestCase {
    struct Section {
        var rounds = 20, lr = 0.1, widths = [32], name = "a"
        var seed: UInt64 = 1
        var shares: [Double]?
        var given: [String: ConfigLoader.Value] = [:]
    }

    static let schema = ConfigSchema<Section>([
        ("run.rounds", .int(\.rounds, .ints(1...100), "rounds of training")),
        ("run.lr", .real(\.lr, .above(0, atMost: 1), "learning rate")),
        ("model.widths", .ints(\.widths, .ints(1...64), "hidden widths")),
        ("model.shares", .reals(\.shares, .fraction, "shares")),
        ("name", .string(\.name)),
        ("seed", .seed(\.seed)),
    ], hint: " (see --help)", record: \.given)

    func file(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "schema-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func read(_ file: String?, _ sets: [String] = []) throws -> Section {
        var s = Section()
        try Self.schema.read(file: file, overrides: sets, into: &s)
        return s
    }

    func refusal(_ file: String?, _ sets: [String] = []) -> String {
        do { _ = try read(file, sets); XCTFail("accepted \(sets)"); return "" } catch { return "\(error)" }
    }

    func testNestedDottedAndSetOverTheDefaults() throws {
        let f = try file("run:\n  rounds: 7\nmodel.widths: [8, 4]\nname: b\n")
        let s = try read(f, ["run.lr=0.5", "run.rounds=9", "model.shares=0.25"])
        XCTAssertEqual(s.rounds, 9)   // --set after the file
        XCTAssertEqual(s.lr, 0.5)
        XCTAssertEqual(s.widths, [8, 4])
        XCTAssertEqual(s.name, "b")
        XCTAssertEqual(s.shares, [0.25])   // a lone value is a list of one
        XCTAssertEqual(s.seed, 1)          // not given: the default
        XCTAssertEqual(s.given["run.rounds"]?.origin, "--set")
        XCTAssertEqual(s.given["name"]?.origin, "\(f):4")
        XCTAssertNil(s.given["seed"])
    }

    func testUnknownKeysNameTheLineAndTheNearestKey() throws {
        let f = try file("run:\n  rounds: 7\n  round: 0.1\n")
        XCTAssertEqual(refusal(f), "\(f):3: unknown key 'run.round' (did you mean 'run.rounds'?) (see --help)")
        XCTAssertEqual(refusal(nil, ["model.widht=3"]), "--set: unknown key 'model.widht' (did you mean 'model.widths'?) (see --help)")
        XCTAssertEqual(refusal(nil, ["run=3"]), "--set: 'run' is a section, not a value: give its keys (run.lr, run.rounds)")
        XCTAssertEqual(refusal(nil, ["rounds"]), "--set rounds: expected key=value")
    }

    func testNumbersAreRangeCheckedAndNonFiniteRefusedByName() throws {
        XCTAssertEqual(refusal(nil, ["run.rounds=0"]), "--set: run.rounds must be an integer in 1...100, got 0")
        XCTAssertEqual(refusal(nil, ["run.rounds=nan"]), "--set: run.rounds must be an integer in 1...100, got nan (not a number)")
        XCTAssertEqual(refusal(nil, ["run.lr=inf"]), "--set: run.lr must be a finite number above 0 and at most 1, got inf (infinite)")
        XCTAssertEqual(refusal(nil, ["run.lr=0"]), "--set: run.lr must be a finite number above 0 and at most 1, got 0")
        XCTAssertEqual(refusal(nil, ["seed=-1"]), "--set: seed must be a non-negative integer, got -1")
        let f = try file("model:\n  widths: [8, 65]\n")
        XCTAssertEqual(refusal(f), "\(f):2: model.widths must be an integer in 1...64, got 65 at [1]")   // every element, named
        XCTAssertEqual(refusal(nil, ["model.widths=[]"]), "--set: model.widths must be a non-empty list of integers, got '[]'")
        XCTAssertEqual(refusal(nil, ["name=[1, 2]"]), "--set: name must be a string, got '[1, 2]'")
    }

    func testHelpAndRangesListEveryKeyInOrder() {
        XCTAssertEqual(Self.schema.help().split(separator: "\n").first, "  run.rounds: rounds of training")
        XCTAssertEqual(Self.schema.help(["model."]).split(separator: "\n").count, 2)
        XCTAssertEqual(Self.schema.rangeEntries(command: "x", mode: "set").map(\.name), ["run.rounds", "run.lr", "model.widths", "model.shares", "seed"])
    }
}
