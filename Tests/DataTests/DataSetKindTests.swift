import Data
import Foundation
import XCTest

/// The catalogue: every data set Strata reads, spelled as configs and saved
/// files (config.json, task.json) have always spelled it.
final class DataSetKindTests: XCTestCase {
    func testSpellingsAreTheOnesSavedFilesUse() throws {
        XCTAssertEqual(DataSetKind.allCases.map(\.rawValue), ["synthetic", "criteo", "movielens", "binary", "criteo_shards"])
        for kind in DataSetKind.allCases {
            let json = try JSONEncoder().encode([kind])
            XCTAssertEqual(String(decoding: json, as: UTF8.self), "[\"\(kind.rawValue)\"]")
            XCTAssertEqual(try JSONDecoder().decode([DataSetKind].self, from: json), [kind])
        }
    }

    func testEveryKindSaysWhatItIsAndItsReader() {
        for kind in DataSetKind.allCases {
            XCTAssertFalse(kind.summary.isEmpty, "\(kind)")
            XCTAssertFalse(kind.reader.isEmpty, "\(kind)")
            XCTAssertEqual(kind.path == nil, kind == .synthetic, "\(kind): only synthetic data takes no path")
        }
        XCTAssertEqual(DataSetKind.allCases.filter { $0.interactionsCSV != nil }, [.movielens])
    }

    func testAnAdapterDecodesItsKindsAndRefusesTheOthers() {
        let a = DataSetAdapter(command: "strata x", accepts: [.movielens, .criteo])
        XCTAssertEqual(try a.decode("criteo", key: "--k"), .criteo)
        XCTAssertThrowsError(try a.decode("binary", key: "--k")) {
            XCTAssertEqual("\($0)", "--k 'binary' is not one strata x reads (it reads: movielens, criteo)")
        }
        XCTAssertThrowsError(try a.decode("Criteo", key: "--k")) {
            XCTAssertEqual("\($0)", "--k must be one of movielens, criteo, got 'Criteo'")
        }
    }
}
