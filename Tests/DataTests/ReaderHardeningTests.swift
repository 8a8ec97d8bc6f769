import Data
import Foundation
import Sparse
import XCTest

/// Readers do not trust their input's shape (docs/RELIABILITY.md, "bad
/// input"): Windows line endings and byte-order marks read like Unix files, a
/// missing header line is detected and said, values out of range, NaN and
/// infinities are refused naming file:line, `skipBadLines` counts and skips.
final class ReaderHardeningTests: XCTestCase {
    static let movies = ["movieId,title,genres", "1,Toy Story (1995),Adventure|Animation", "2,\"Heat, the (1995)\",Action|Crime",
                         "3,Up (2009),Animation"]
    static let ratings = ["userId,movieId,rating,timestamp", "1,1,4.0,100", "1,2,3.5,200", "1,3,5.0,9000", "2,1,1.0,50",
                          "2,3,4.5,60", "2,2,2.0,70"]

    /// A MovieLens folder from lines, joined by `eol`, with an optional byte-order mark.
    func movieLens(movies: [String] = movies, ratings: [String] = ratings, eol: String = "\n", bom: Bool = false) throws -> String {
        let dir = (temporaryPath("ml") as NSString).deletingLastPathComponent
        for (name, lines) in [("movies", movies), ("ratings", ratings)] {
            let text = (bom ? "\u{FEFF}" : "") + lines.joined(separator: eol) + eol
            try text.write(toFile: dir + "/ml-latest-small-\(name).csv", atomically: true, encoding: .utf8)
        }
        return dir
    }

    func config(evalPerUser: Int = 1) -> MovieLensConfig {
        var c = MovieLensConfig(); c.evalPerUser = evalPerUser; c.historyLength = 4; return c
    }

    func all(_ d: MovieLensDataset, _ split: Split) -> Batch { d.batch(globalStart: 0, count: d.sampleCount(split), split: split, dedup: false) }

    func testWindowsLineEndingsAndByteOrderMarkReadLikeUnix() throws {
        let unix = try MovieLensDataset(directory: try movieLens(), config: config())
        XCTAssertEqual(unix.sampleCount(.train) + unix.sampleCount(.eval), 6)
        for (eol, bom) in [("\r\n", false), ("\r\n", true), ("\n", true)] {
            let other = try MovieLensDataset(directory: try movieLens(eol: eol, bom: bom), config: config())
            XCTAssertEqual(all(other, .train), all(unix, .train), "eol \(eol.debugDescription) bom \(bom)")
            XCTAssertEqual(all(other, .eval), all(unix, .eval))
        }
        // Criteo through LineReader: CRLF and a BOM change nothing either.
        let lines = ["label," + (1...13).map { "I\($0)" }.joined(separator: ",") + "," + (1...26).map { "C\($0)" }.joined(separator: ","),
                     "1,5" + String(repeating: ",", count: 12) + ",05db9164" + String(repeating: ",", count: 25),
                     "0,," + (2...13).map(String.init).joined(separator: ",") + ",68fd1e64" + String(repeating: ",", count: 25)]
        var batches: [Batch] = []
        for (eol, bom) in [("\n", false), ("\r\n", true)] {
            let path = temporaryPath("criteo.csv")
            try ((bom ? "\u{FEFF}" : "") + lines.joined(separator: eol) + eol).write(toFile: path, atomically: true, encoding: .utf8)
            let r = try CriteoReader.readAll(path: path, config: CriteoConfig(rowsPerTable: 100))
            XCTAssertEqual(r.badLines, 0)
            XCTAssertEqual(r.batch.size, 2)
            batches.append(r.batch)
        }
        XCTAssertEqual(batches[0], batches[1])
    }

    func testMissingHeaderKeepsTheFirstLineAndSaysSo() throws {
        let with = try MovieLensDataset(directory: try movieLens(), config: config())
        XCTAssertEqual(with.notes, [])
        let without = try MovieLensDataset(directory: try movieLens(movies: Array(Self.movies.dropFirst()), ratings: Array(Self.ratings.dropFirst())),
                                           config: config())
        XCTAssertEqual(all(without, .train), all(with, .train))
        XCTAssertEqual(all(without, .eval), all(with, .eval))
        XCTAssertEqual(without.notes.count, 2)
        XCTAssert(without.notes.allSatisfy { $0.contains("no header line") }, "\(without.notes)")
        // Criteo: a header is skipped, its absence said.
        let path = temporaryPath("c.tsv")
        try ("0\t" + String(repeating: "\t", count: 38) + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let d = try CriteoDataset(path: path, config: CriteoConfig(rowsPerTable: 10))
        XCTAssertEqual(d.sampleCount(.train), 1)
        XCTAssert(d.notes[0].contains("no header line"), "\(d.notes)")
    }

    func testRatingsOutOfScaleNaNAndInfinityAreRefusedByLine() throws {
        for (bad, why) in [("1,2,7.0,10", "outside the scale"), ("1,2,nan,10", "outside the scale"), ("1,2,inf,10", "outside the scale"),
                           ("1,2,0,10", "outside the scale"), ("1,2,4,-5", "timestamp -5 is negative"),
                           ("1,9,4,10", "movie 9 not in"), ("1,2,4", "expected userId,movieId,rating,timestamp")] {
            var r = Self.ratings; r.insert(bad, at: 3)
            let dir = try movieLens(ratings: r)
            XCTAssertThrowsError(try MovieLensDataset(directory: dir, config: config()), bad) { e in
                guard case let DataError.malformedLine(file, line, reason) = e else { return XCTFail("\(e)") }
                XCTAssert(file.hasSuffix("ml-latest-small-ratings.csv"))
                XCTAssertEqual(line, 4, bad)
                XCTAssert(reason.contains(why), "\(bad): \(reason)")
            }
            // skipBadLines: counted, skipped, the rest read.
            let d = try MovieLensDataset(directory: dir, config: config(), skipBadLines: true)
            XCTAssertEqual(d.badLines, 1)
            XCTAssertEqual(d.sampleCount(.train) + d.sampleCount(.eval), 6)
        }
        var m = Self.movies; m.append("1,Again (2000),Drama")
        XCTAssertThrowsError(try MovieLensDataset(directory: try movieLens(movies: m), config: config())) {
            XCTAssert("\($0)".contains("ml-latest-small-movies.csv:5: movie 1 is listed twice"), "\($0)")
        }
    }

    func testNegativeCountsInTheReaderConfigAreRefused() throws {
        let dir = try movieLens()
        for k in [\MovieLensConfig.historyLength, \.evalPerUser, \.sessionGapSeconds, \.denseCount] {
            var c = config(); c[keyPath: k] = -1
            XCTAssertThrowsError(try MovieLensDataset(directory: dir, config: c)) { e in
                guard case DataError.invalidConfig(let why) = e else { return XCTFail("\(e)") }
                XCTAssert(why.contains("must not be negative, got -1"), why)
            }
        }
    }

    func testEvalSplitCanBeEmpty() throws {
        let d = try MovieLensDataset(directory: try movieLens(), config: config(evalPerUser: 0))
        XCTAssertEqual(d.sampleCount(.eval), 0)
        XCTAssertEqual(d.sampleCount(.train), 6)
    }
}
