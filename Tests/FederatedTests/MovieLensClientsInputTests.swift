import Foundation
import XCTest
import Federated

/// FL's MovieLens reader reads what train's reader reads: CRLF, a byte-order
/// mark, no final newline and no header give the clean file's clients, and
/// ratings train refuses (NaN, 99, -4) are refused naming file:line.
final class MovieLensClientsInputTests: XCTestCase {
    static let movies = ["movieId,title,genres", "1,Toy Story (1995),Adventure|Animation", "2,\"Heat, the (1995)\",Action|Crime",
                         "3,Up (2009),Animation"]
    static let ratings = ["userId,movieId,rating,timestamp", "1,1,4.0,100", "1,2,3.5,200", "1,3,5.0,9000", "2,1,1.0,50",
                          "2,3,4.5,60", "2,2,2.0,70"]

    func folder(movies: [String] = movies, ratings: [String] = ratings, eol: String = "\n", bom: Bool = false, final: Bool = true) throws -> String {
        let dir = NSTemporaryDirectory() + "fl-ml-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        for (name, lines) in [("movies", movies), ("ratings", ratings)] {
            let text = (bom ? "\u{FEFF}" : "") + lines.joined(separator: eol) + (final ? eol : "")
            try text.write(toFile: dir + "/ml-latest-small-\(name).csv", atomically: true, encoding: .utf8)
        }
        return dir
    }

    func clients(_ ml: MovieLensClients) throws -> [String] {
        try (0..<ml.population).map { c in
            let d = try ml.data(client: c)
            return "\(d.train.ids) \(d.train.labels) \(d.train.dense) \(d.test.ids) \(d.test.labels)"
        }
    }

    func testLineEndsByteOrderMarkFinalNewlineAndHeaderChangeNothing() throws {
        let clean = try MovieLensClients(directory: try folder())
        XCTAssertEqual(clean.population, 2)
        XCTAssertEqual(clean.tableRows[0], 3)
        let want = try clients(clean)
        for (eol, bom, final) in [("\r\n", false, true), ("\r\n", true, false), ("\n", true, true), ("\n", false, false)] {
            let other = try MovieLensClients(directory: try folder(eol: eol, bom: bom, final: final))
            XCTAssertEqual(try clients(other), want, "eol \(eol.debugDescription) bom \(bom) final newline \(final)")
        }
        let headerless = try MovieLensClients(directory: try folder(movies: Array(Self.movies.dropFirst()),
                                                                    ratings: Array(Self.ratings.dropFirst())))
        XCTAssertEqual(try clients(headerless), want)
    }

    func testRatingsTrainRefusesAreRefusedNamingFileAndLine() throws {
        for bad in ["nan", "99", "-4", "inf", "0"] {
            var r = Self.ratings
            r[3] = "1,3,\(bad),9000"
            let dir = try folder(ratings: r)
            XCTAssertThrowsError(try MovieLensClients(directory: dir)) { e in
                XCTAssertEqual("\(e)", "\(dir)/ml-latest-small-ratings.csv:4: rating \(bad) is outside the scale 0.5...5")
            }
        }
        // The sentences of train's reader (Data.MovieLensRatings), word for word.
        var r = Self.ratings
        r[3] = "1,3,5.0"
        let short = try folder(ratings: r, eol: "\r\n")
        XCTAssertThrowsError(try MovieLensClients(directory: short)) { e in
            XCTAssertEqual("\(e)", "\(short)/ml-latest-small-ratings.csv:4: expected userId,movieId,rating,timestamp, got 3 fields")
        }
        r[3] = "1,9,5.0,9000"
        let unknown = try folder(ratings: Array(r.dropFirst()))
        XCTAssertThrowsError(try MovieLensClients(directory: unknown)) { e in
            XCTAssertEqual("\(e)", "\(unknown)/ml-latest-small-ratings.csv:3: movie 9 not in \(unknown)/ml-latest-small-movies.csv")
        }
        let empty = try folder(ratings: [Self.ratings[0]])
        XCTAssertThrowsError(try MovieLensClients(directory: empty)) { e in
            XCTAssertEqual("\(e)", "\(empty)/ml-latest-small-ratings.csv: empty file, no samples")
        }
        let dir = try folder()
        try FileManager.default.removeItem(atPath: dir + "/ml-latest-small-ratings.csv")
        try FileManager.default.createDirectory(atPath: dir + "/ml-latest-small-ratings.csv", withIntermediateDirectories: false)
        try "".write(toFile: dir + "/ml-latest-small-movies.csv", atomically: true, encoding: .utf8)   // the ratings are read first, as train reads them
        XCTAssertThrowsError(try MovieLensClients(directory: dir)) { e in
            XCTAssertEqual("\(e)", "\(dir)/ml-latest-small-ratings.csv: cannot read: it is a folder, not a file")
        }
    }
}
