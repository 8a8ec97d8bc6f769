import CLISupport
import Data
import DataPerf
import Federated
import Training
import XCTest

/// One catalogue of data sets (`DataSetKind`), one adapter per command: each
/// command's kinds decode through the path the command uses, and every other
/// kind of the catalogue is refused in one sentence naming the key and the
/// kinds that command reads. The lists are written out here, not read from
/// the adapters, so that a kind dropped or added to a command fails a test.
final class DataSetAdaptersTests: XCTestCase {
    static let all = ["synthetic", "criteo", "movielens", "binary", "criteo_shards"]

    /// A one-key config decoded with the key FL's `data.source` is declared with.
    struct Probe { var source = DataSetKind.binary }

    /// (command, what it reads, the decode it uses: a name to "read KIND" or the refusal's text).
    func consumers() -> [(command: String, reads: [String], decode: (String) -> String)] {
        func catching(_ f: () throws -> DataSetKind) -> String {
            do { return "read " + (try f()).rawValue } catch { return "\(error)" }
        }
        let fl = ConfigSchema<Probe>([("data.source", .dataSet(\.source, ClientDataSets.adapter))])
        return [
            ("strata train", Self.all, { name in catching { var c = RunConfig(); try ConfigLoader.keys.read(file: nil, overrides: ["data.source=\(name)"], into: &c); return c.data.source } }),
            ("strata fl", ["synthetic", "movielens"], { name in
                catching { var p = Probe(); try fl.read(file: nil, overrides: ["data.source=\(name)"], into: &p); return p.source } }),
            ("strata dataperf", ["movielens", "synthetic"], { name in catching { try TaskMaker.dataSets.decode(name, key: "--dataset") } }),
        ]
    }

    func testEachCommandReadsItsKindsAndRefusesTheRestNamingItsList() {
        for c in consumers() {
            let key = c.command == "strata dataperf" ? "--dataset" : "data.source"
            let prefix = key == "data.source" ? "--set: " : ""
            for name in Self.all {
                XCTAssertEqual(c.decode(name), c.reads.contains(name) ? "read \(name)"
                               : "\(prefix)\(key) '\(name)' is not one \(c.command) reads (it reads: \(c.reads.joined(separator: ", ")))", c.command)
            }
            // A name that is no data set keeps the decoder's "must be one of" (with the nearest for configs).
            let unknown = c.decode("movielen")
            XCTAssert(unknown.hasPrefix("\(prefix)\(key) must be one of \(c.reads.joined(separator: ", ")), got 'movielen'"), unknown)
        }
    }

    /// `strata fl --help` and the train keys' help list what each reads, in its order.
    func testHelpListsTheKindsRead() {
        XCTAssertEqual(DeclaredKey<Probe>.dataSet(\.source, ClientDataSets.adapter).help, "synthetic | movielens")
        XCTAssert(RunConfigKeys.schema.help(["data.source"]).hasSuffix("where the samples come from: synthetic | criteo | movielens | binary | criteo_shards"))
    }
}
