import Data
import Foundation
import XCTest

/// The one MovieLens reader (train's dataset, FL's clients and iae/distill's
/// interaction matrix all read through it): lines, header rule, rating scale,
/// refusals by file:line, and one genre order.
final class MovieLensRatingsTests: XCTestCase {
    static let ratings = ["userId,movieId,rating,timestamp", "1,1,4.0,100", "1,2,3.5,200", "2,1,1.0,50", "2,3,4.5,60"]

    func file(_ lines: [String], eol: String = "\n", bom: Bool = false, final: Bool = true) throws -> String {
        let path = temporaryPath("ratings.csv")
        try ((bom ? "\u{FEFF}" : "") + lines.joined(separator: eol) + (final ? eol : "")).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func read(_ path: String) throws -> [String] {
        var notes: [String] = []
        return try MovieLensRatings.read(path, notes: &notes).rows.map { "\($0.user) \($0.movie) \($0.rating) \($0.timestamp)" }
    }

    func testLineEndsByteOrderMarkAndAMissingHeaderGiveTheSameRows() throws {
        let want = try read(try file(Self.ratings))
        XCTAssertEqual(want, ["1 1 4.0 100", "1 2 3.5 200", "2 1 1.0 50", "2 3 4.5 60"])
        for (eol, bom, final) in [("\r\n", false, true), ("\r\n", true, false), ("\n", true, true), ("\n", false, false)] {
            XCTAssertEqual(try read(try file(Self.ratings, eol: eol, bom: bom, final: final)), want, "eol \(eol.debugDescription) bom \(bom)")
        }
        // The header is found by its content, not by being line 1: without one, line 1 is data (and the notes say so).
        var notes: [String] = []
        let headerless = try MovieLensRatings.read(try file(Array(Self.ratings.dropFirst()), eol: "\r\n"), notes: &notes)
        XCTAssertEqual(headerless.rows.map { "\($0.user) \($0.movie) \($0.rating) \($0.timestamp)" }, want)
        XCTAssertEqual(headerless.rows.first?.line, 1)
        XCTAssertEqual(notes.count, 1)
        XCTAssert(notes[0].contains("no header line (userId,movieId,rating,timestamp)"), notes[0])
        // Any header line is one: another spelling of the columns is skipped, not refused.
        XCTAssertEqual(try read(try file(["user,item,rating,time"] + Self.ratings.dropFirst())), want)
    }

    func testRefusalsNameFileLineAndWhatIsWrong() throws {
        for (bad, why) in [("2,1,7,50", "rating 7 is outside the scale 0.5...5"), ("2,1,0,50", "rating 0 is outside the scale 0.5...5"),
                           ("2,1,nan,50", "rating nan is outside the scale 0.5...5"), ("2,1,-inf,50", "rating -inf is outside the scale 0.5...5"),
                           ("2,1,4", "expected userId,movieId,rating,timestamp, got 3 fields"),
                           ("x,1,4,50", "expected userId,movieId,rating,timestamp: userId 'x' is not an integer"),
                           ("2,1,4.5,soon", "expected userId,movieId,rating,timestamp: timestamp 'soon' is not an integer"),
                           ("2,1,four,50", "expected userId,movieId,rating,timestamp: rating 'four' is not a number"),
                           ("2,1,4,-5", "timestamp -5 is negative")] {
            var lines = Self.ratings; lines[3] = bad
            let path = try file(lines, eol: "\r\n")
            XCTAssertThrowsError(try read(path), bad) { e in
                XCTAssertEqual(e as? DataError, .malformedLine(file: path, line: 4, reason: why))
                XCTAssertEqual("\(e)", "\(path):4: \(why)")
            }
            var notes: [String] = []
            let skipped = try MovieLensRatings.read(path, skipBadLines: true, notes: &notes)
            XCTAssertEqual(skipped.badLines, 1)
            XCTAssertEqual(skipped.rows.map(\.line), [2, 3, 5])
        }
        let empty = try file([Self.ratings[0], "  "])
        XCTAssertThrowsError(try read(empty)) { XCTAssertEqual($0 as? DataError, .emptyFile(file: empty)) }
    }

    func testGenresAreNumberedByNameWhateverTheMovieOrder() throws {
        let movies = ["movieId,title,genres", "1,Toy Story (1995),Comedy|Animation", "2,\"Heat, the (1995)\",Action|Crime",
                      "3,Death Note (2006–2007),Mystery|Action", "4,No Year,(no genres listed)"]
        var notes: [String] = []
        let path = temporaryPath("movies.csv")
        try movies.joined(separator: "\r\n").write(toFile: path, atomically: true, encoding: .utf8)
        let m = try MovieLensMovies(path: path, notes: &notes)
        XCTAssertEqual(m.genreNames, ["(no genres listed)", "Action", "Animation", "Comedy", "Crime", "Mystery"])
        XCTAssertEqual(m.genres, [[3, 2], [1, 4], [5, 1], [0]])   // each movie's in its line's order
        XCTAssertEqual(m.years, [-0.25, -0.25, 0.3, 0])
        XCTAssertEqual(m.row(of: 3), 2)
        let reversed = temporaryPath("movies.csv")
        try ([movies[0]] + movies.dropFirst().reversed()).joined(separator: "\n").write(toFile: reversed, atomically: true, encoding: .utf8)
        XCTAssertEqual(try MovieLensMovies(path: reversed, notes: &notes).genreNames, m.genreNames)
        try (movies + ["3,Again (2000),Drama"]).joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MovieLensMovies(path: path, notes: &notes)) {
            XCTAssertEqual("\($0)", "\(path):6: movie 3 is listed twice")
        }
    }

    /// Train's dataset says the reader's sentences (FL's and iae's tests hold the same words).
    func testTheTrainersDatasetRefusesWithTheReadersSentences() throws {
        let dir = (temporaryPath("ml") as NSString).deletingLastPathComponent
        try ["movieId,title,genres", "1,A (1995),Drama", "2,B (1996),Comedy", "3,C (1997),Drama"].joined(separator: "\r\n")
            .write(toFile: dir + "/ml-latest-small-movies.csv", atomically: true, encoding: .utf8)
        for (bad, why) in [("2,1,0,50", "rating 0 is outside the scale 0.5...5"), ("2,1,99,50", "rating 99 is outside the scale 0.5...5"),
                           ("2,1,4", "expected userId,movieId,rating,timestamp, got 3 fields"),
                           ("2,9,4,50", "movie 9 not in \(dir)/ml-latest-small-movies.csv")] {
            var lines = Self.ratings; lines[3] = bad
            try lines.joined(separator: "\r\n").write(toFile: dir + "/ml-latest-small-ratings.csv", atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try MovieLensDataset(directory: dir)) { e in
                XCTAssertEqual("\(e)", "\(dir)/ml-latest-small-ratings.csv:4: \(why)")
            }
        }
        // The ratings are read before the movies (as fl reads them): a folder in their place is said first.
        try FileManager.default.removeItem(atPath: dir + "/ml-latest-small-ratings.csv")
        try FileManager.default.createDirectory(atPath: dir + "/ml-latest-small-ratings.csv", withIntermediateDirectories: false)
        try "".write(toFile: dir + "/ml-latest-small-movies.csv", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MovieLensDataset(directory: dir)) { e in
            XCTAssertEqual("\(e)", "\(dir)/ml-latest-small-ratings.csv: cannot read: it is a folder, not a file")
        }
    }
}
