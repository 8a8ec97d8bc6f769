import Collectives
import Foundation
import XCTest
import KernelRecommenders

/// Reading interactions CSVs: MovieLens's header, positional files, a split
/// column, the seeded split, and bad input naming file:line.
final class InteractionDataTests: XCTestCase {
    var dir = ""

    override func setUp() {
        dir = NSTemporaryDirectory() + "iae-data-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func file(_ name: String, _ text: String) -> String {
        let p = dir + "/" + name
        try! text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func expectError(_ path: String, _ pattern: String, feedback: ImplicitFeedback = .allRatings,
                     line: UInt = #line) {
        XCTAssertThrowsError(try InteractionData.load(InteractionSource(path: path, feedback: feedback)), line: line) { e in
            XCTAssertTrue("\(e)".contains(pattern), "'\(e)' lacks '\(pattern)'", line: line)
        }
    }

    /// A user with `n` items 0..<n, MovieLens style.
    static func movielens(users: Int, items: Int) -> String {
        var t = "userId,movieId,rating,timestamp\n"
        for u in 1...users { for i in 0..<items { t += "\(u),\(100 + (i * 7 + u) % 40),\(i % 5 + 1).0,\(1000 + i)\n" } }
        return t
    }

    func testSeededSplitIsRepeatableAndKeepsATestItemPerUser() throws {
        let p = file("ratings.csv", Self.movielens(users: 6, items: 12))
        let a = try InteractionData.load(InteractionSource(path: p, seed: 7))
        let b = try InteractionData.load(InteractionSource(path: p, seed: 7))
        let c = try InteractionData.load(InteractionSource(path: p, seed: 8))
        XCTAssertEqual(a.train, b.train); XCTAssertEqual(a.test, b.test)
        XCTAssertNotEqual(a.train, c.train)
        XCTAssertEqual(a.users, 6)
        for u in 0..<6 {
            // 12 items: floor(9.6) = 9 train positions minus the one forced to test, 1 validation, 3 test.
            XCTAssertEqual(a.train.count(u), 8); XCTAssertEqual(a.validation.count(u), 1); XCTAssertEqual(a.test.count(u), 3)
        }
        // Ratings of 4 and 5 only: 12 items with ratings 1..5 cycling keep 4 or 5 per user.
        let liked = try InteractionData.load(InteractionSource(path: p, feedback: .minRating(4)))
        XCTAssertLessThan(liked.train.nonZeros + liked.test.nonZeros + liked.validation.nonZeros, 6 * 12)
    }

    func testSplitColumnAndPositionalFiles() throws {
        let p = file("split.csv", "user,item,split\na,x,train\na,y,validation\na,z,test\nb,x,train\nb,z,test\n")
        let d = try InteractionData.load(InteractionSource(path: p))
        XCTAssertEqual(d.userIDs, ["a", "b"]); XCTAssertEqual(d.items, 3)
        XCTAssertEqual(d.train.nonZeros, 2); XCTAssertEqual(d.validation.nonZeros, 1); XCTAssertEqual(d.test.nonZeros, 2)
        let q = file("plain.csv", "1,10\n1,11\n1,12\n2,10\n2,12\n2,13\n")
        let e = try InteractionData.load(InteractionSource(path: q))
        XCTAssertEqual(e.users, 2); XCTAssertEqual(e.items, 4)
    }

    /// With a split column each split keeps its rows (a pair in train and
    /// test is in both), repeats within a split count once; the counts say so.
    /// Without one a repeated pair is one interaction.
    func testSplitsKeepTheirOwnRows() throws {
        let p = file("both.csv", "user,item,split\na,x,train\na,x,test\na,x,train\na,y,train\na,y,validation\nb,z,test\nb,x,train\nb,z,test\n")
        let d = try InteractionData.load(InteractionSource(path: p))
        XCTAssertEqual(Array(d.train.row(0)), [0, 1]); XCTAssertEqual(Array(d.test.row(0)), [0])
        XCTAssertEqual(Array(d.validation.row(0)), [1])
        XCTAssertEqual(Array(d.test.row(1)), [2]); XCTAssertEqual(Array(d.train.row(1)), [0])
        let c = d.counts
        XCTAssertEqual(c.train, .init(users: 2, items: 2, rows: 3))
        XCTAssertEqual(c.validation, .init(users: 1, items: 1, rows: 1))
        XCTAssertEqual(c.test, .init(users: 2, items: 2, rows: 2))
        XCTAssertEqual([c.trainAndValidation, c.trainAndTest, c.validationAndTest], [1, 1, 0])
        XCTAssertTrue(c.description.contains("train 2 users / 2 items / 3 rows"), c.description)
        let q = file("repeat.csv", "user,item\na,x\na,x\na,y\na,z\n")
        let e = try InteractionData.load(InteractionSource(path: q))
        XCTAssertEqual(e.train.nonZeros + e.validation.nonZeros + e.test.nonZeros, 3)
    }

    /// The test context is train + validation as a sum: a pair in both counts 2.
    func testAddingSumsSharedEntries() {
        let a = SparseRows(columns: 4, rows: [[0, 2], [1]]), b = SparseRows(columns: 4, rows: [[2, 3], []])
        let s = a.adding(b)
        XCTAssertEqual(Array(s.row(0)), [0, 2, 3]); XCTAssertEqual(Array(s.row(1)), [1])
        XCTAssertEqual(s.values, [1, 2, 1, 1])
        // Disjoint rows stay binary.
        XCTAssertNil(a.adding(SparseRows(columns: 4, rows: [[1], [3]])).values)
    }

    func testBadInputNamesFileAndLine() {
        expectError(file("empty.csv", ""), "empty.csv:1: empty file")
        expectError(file("header.csv", "userId,movieId,rating\n"), "header.csv:1: no interactions after the header")
        expectError(file("short.csv", "userId,movieId,rating\n1,2,4\n1,3\n"), "short.csv:3: expected 3 fields, got 2")
        expectError(file("rating.csv", "userId,movieId,rating\n1,2,4\n1,3,lots\n"), "rating.csv:3: rating 'lots' is not a number")
        expectError(file("nouser.csv", "who,movieId,rating\n1,2,4\n"), "nouser.csv:1: no user column")
        expectError(file("noitem.csv", "userId,what\n1,2\n"), "noitem.csv:1: no item column")
        expectError(file("split.csv", "user,item,split\na,x,train\na,y,later\n"), "split.csv:3: split 'later'")
        expectError(file("notest.csv", "user,item,split\na,x,train\na,y,validation\n"), "notest.csv: the split has no test items")
        expectError(file("norating.csv", "user,item\na,x\n"), "min_rating needs a rating column", feedback: .minRating(4))
    }

    func testSummaryCSVRoundTrips() throws {
        let rows = SparseRows(columns: 3, rows: [[0, 2], [1]])
        let p = dir + "/summary.csv"
        try InteractionCSV.write(rows, userIDs: ["s0", "s1"], itemIDs: ["x", "y", "z"], to: p)
        let t = try InteractionCSV.read(path: p, feedback: .allRatings)
        XCTAssertEqual(t.rows.count, 3); XCTAssertEqual(t.userIDs, ["s0", "s1"]); XCTAssertEqual(t.itemIDs, ["x", "z", "y"])
    }
}
