import Foundation
import XCTest
import KernelRecommenders

/// iae/distill's reader reads what train's reader reads: CRLF, a byte-order
/// mark, no final newline and no header give the clean file's table, and
/// ratings train refuses (NaN, 99, -4) are refused naming file:line.
final class InteractionCSVInputTests: XCTestCase {
    static let lines = ["userId,movieId,rating,timestamp", "1,10,4.0,100", "1,20,3.5,200", "2,10,1.0,50", "2,30,4.5,60"]

    func file(_ lines: [String], eol: String = "\n", bom: Bool = false, final: Bool = true) throws -> String {
        let path = NSTemporaryDirectory() + "iae-csv-\(UUID().uuidString).csv"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        try ((bom ? "\u{FEFF}" : "") + lines.joined(separator: eol) + (final ? eol : "")).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func read(_ path: String) throws -> String {
        let t = try InteractionCSV.read(path: path, feedback: .minRating(3.5))
        return "\(t.userIDs) \(t.itemIDs) \(t.rows)"
    }

    func testLineEndsByteOrderMarkFinalNewlineAndHeaderChangeNothing() throws {
        let want = try read(try file(Self.lines))
        XCTAssertEqual(want, "[\"1\", \"2\"] [\"10\", \"20\", \"30\"] [Data.InteractionFile.Row(user: 0, item: 0, part: nil), "
                       + "Data.InteractionFile.Row(user: 0, item: 1, part: nil), Data.InteractionFile.Row(user: 1, item: 2, part: nil)]")
        for (eol, bom, final) in [("\r\n", false, true), ("\r\n", true, false), ("\n", true, true), ("\n", false, false)] {
            XCTAssertEqual(try read(try file(Self.lines, eol: eol, bom: bom, final: final)), want,
                           "eol \(eol.debugDescription) bom \(bom) final newline \(final)")
        }
        XCTAssertEqual(try read(try file(Array(Self.lines.dropFirst()))), want)
    }

    /// The interaction matrix iae and distill train on: the same matrices
    /// from a CRLF file and a headerless one.
    func testTheInteractionMatrixIsTheSameForCRLFAndHeaderlessFiles() throws {
        func matrices(_ path: String) throws -> String {
            let d = try InteractionData.load(InteractionSource(path: path, feedback: .allRatings, seed: 7))
            return "\(d.userIDs) \(d.itemIDs) \(d.train) \(d.validation) \(d.test)"
        }
        let lines = [Self.lines[0]] + (1...4).flatMap { u in (1...6).map { "\(u),\(10 * ((u + $0) % 7)),\(Double($0) / 2 + 1),\(100 + $0)" } }
        let want = try matrices(try file(lines))
        XCTAssertTrue(want.contains("SparseRows"), want)
        XCTAssertEqual(try matrices(try file(lines, eol: "\r\n")), want)
        XCTAssertEqual(try matrices(try file(Array(lines.dropFirst()), eol: "\r\n", bom: true)), want)
    }

    func testRatingsTrainRefusesAreRefusedNamingFileAndLine() throws {
        for bad in ["nan", "99", "-4", "inf", "0"] {
            var l = Self.lines
            l[3] = "2,10,\(bad),50"
            let path = try file(l)
            XCTAssertThrowsError(try InteractionCSV.read(path: path, feedback: .allRatings)) { e in
                XCTAssertEqual("\(e)", "\(path):4: rating \(bad) is outside the scale 0.5...5")
            }
        }
        // A MovieLens file's malformed line: train's and fl's sentence, word for word.
        var l = Self.lines
        l[3] = "2,10,1.0"
        let short = try file(l, eol: "\r\n")
        XCTAssertThrowsError(try InteractionCSV.read(path: short, feedback: .allRatings)) { e in
            XCTAssertEqual("\(e)", "\(short):4: expected userId,movieId,rating,timestamp, got 3 fields")
        }
        let dir = NSTemporaryDirectory()
        XCTAssertThrowsError(try InteractionCSV.read(path: dir, feedback: .allRatings)) { e in
            XCTAssertEqual("\(e)", "\(dir): cannot read: it is a folder, not a file")
        }
    }

    /// Not a MovieLens file (no timestamp column): MovieLens' scale does not
    /// apply, so an implicit 0/1 file reads; NaN is still no rating.
    func testOtherInteractionFilesKeepTheirOwnScale() throws {
        let t = try InteractionCSV.read(path: try file(["user,item,rating", "a,x,0", "a,y,1", "b,x,10"]), feedback: .minRating(1))
        XCTAssertEqual(t.userIDs, ["a", "b"])
        XCTAssertEqual(t.itemIDs, ["y", "x"])
        let nan = try file(["user,item,rating", "a,x,nan"])
        XCTAssertThrowsError(try InteractionCSV.read(path: nan, feedback: .allRatings)) { e in
            XCTAssertEqual("\(e)", "\(nan):2: rating 'nan' is not a number")
        }
    }
}
