import Data
import Foundation

/// MovieLens (ml-latest-small) with one client per user.
///
/// Each rating is a sample, label `rating >= 4`. A user's ratings in time
/// order (ties by movie), the last 10 % (at least one) their test split.
/// Features: dense `[(year - 2000) / 20 (0 if unknown), genre count / 3,
/// log1p(the user's earlier ratings) / 5]`; sparse `[movie, first genre, user]`
/// (tables: movies in movies.csv order, 20 genres in name order, one row per user).
///
/// RF^2's reference features instead (`userFeature: false`, `historyClicks: 10`):
/// no user id, and a bag of the user's last 10 clicked movies (rated >= 4)
/// on a history table of its own (movies' rows), mean-pooled. A history
/// holds only training ratings with a strictly earlier timestamp, so a test
/// sample's history never holds a test label, nor a label of its own time.
///
/// Public features (FEL clusters on them; label-only privacy): WHICH movies a
/// user rated is treated as public, the rating (the label) as private. A
/// user's public vector is the genre histogram of the movies they rated
/// (normalised, one entry per genre) and log1p(their rating count) / 8.
///
/// The file is read once per rank (100k ratings); a client's samples are built
/// when it is sampled.
public struct MovieLensClients: ClientSource {
    public let testFraction: Double
    let movieYear: [Float], movieGenres: [[Int32]]
    let genreNames: [String]
    // Ratings sorted by (user, time, movie).
    let movie: [Int32], label: [Float], time: [Int]
    let userStart: [Int]   // users + 1 offsets
    /// The user id as a sparse feature.
    public let userFeature: Bool
    /// Slots of the clicked-history bag (0: no history feature).
    public let historyClicks: Int

    public init(directory: String, testFraction: Double = 0.1, userFeature: Bool = true, historyClicks: Int = 0) throws {
        guard historyClicks >= 0 else { throw ClientDataError("data.history_clicks must not be negative") }
        self.testFraction = testFraction
        self.userFeature = userFeature
        self.historyClicks = historyClicks
        let moviesPath = (directory as NSString).appendingPathComponent("ml-latest-small-movies.csv")
        let ratingsPath = (directory as NSString).appendingPathComponent("ml-latest-small-ratings.csv")
        // The one MovieLens reader (Data): train's and iae's lines, header rule,
        // rating scale, refusals and genre order; ratings before movies, as train.
        var notes: [String] = []
        let movies: MovieLensMovies, ratings: [MovieLensRating]
        do {
            ratings = try MovieLensRatings.read(ratingsPath, notes: &notes).rows
            movies = try MovieLensMovies(path: moviesPath, notes: &notes)
        } catch { throw ClientDataError("\(error)") }
        var rows: [(user: Int, time: Int, movie: Int32, label: Float)] = []
        rows.reserveCapacity(ratings.count)
        var userIndex: [Int: Int] = [:]   // clients numbered in the order the file first names them
        for r in ratings {
            guard let mi = movies.row(of: r.movie) else { throw ClientDataError("\(ratingsPath):\(r.line): \(movies.unknown(r.movie))") }
            let ui = userIndex[r.user] ?? { let k = userIndex.count; userIndex[r.user] = k; return k }()
            rows.append((ui, r.timestamp, mi, r.rating >= 4 ? 1 : 0))
        }
        rows.sort { ($0.user, $0.time, $0.movie) < ($1.user, $1.time, $1.movie) }
        var starts = [0]
        for i in rows.indices where i > 0 && rows[i].user != rows[i - 1].user { starts.append(i) }
        starts.append(rows.count)
        movie = rows.map(\.movie)
        label = rows.map(\.label)
        time = rows.map(\.time)
        userStart = starts
        movieYear = movies.years
        movieGenres = movies.genres
        genreNames = movies.genreNames
    }

    public var population: Int { userStart.count - 1 }
    public var denseFeatures: Int { 3 }
    public var tableRows: [Int] {
        [movieYear.count, max(genreNames.count, 1)] + (userFeature ? [population] : [])
            + (historyClicks > 0 ? [movieYear.count] : [])
    }
    /// One id per feature; the history (the last feature, when on) a bag.
    public var bagSizes: [Int] {
        let n = tableRows.count
        return (0..<n).map { historyClicks > 0 && $0 == n - 1 ? historyClicks : 1 }
    }
    public var describe: String {
        "movielens: \(population) users, \(movie.count) ratings"
            + (userFeature ? "" : ", no user id") + (historyClicks > 0 ? ", last \(historyClicks) clicks" : "")
    }

    public func data(client c: Int) throws -> ClientData {
        guard c >= 0, c < population else { throw ClientDataError("user \(c) outside the \(population) users") }
        let lo = userStart[c], hi = userStart[c + 1], m = hi - lo
        let P = idsPerSample, trainEnd = lo + trainCount(client: c)
        var dense = [Float](), ids = [Int32](), labels = [Float]()
        dense.reserveCapacity(3 * m); ids.reserveCapacity(P * m); labels.reserveCapacity(m)
        var clicked: [Int32] = []   // clicked movies of training ratings before `seen`, oldest first
        var seen = lo
        for i in lo..<hi {
            let mv = Int(movie[i])
            dense.append(movieYear[mv])
            dense.append(Float(movieGenres[mv].count) / 3)
            dense.append(Float(log1p(Double(i - lo)) / 5))
            ids.append(Int32(mv))
            ids.append(movieGenres[mv].first ?? 0)
            if userFeature { ids.append(Int32(c)) }
            if historyClicks > 0 {
                while seen < trainEnd && time[seen] < time[i] {
                    if label[seen] == 1 { clicked.append(movie[seen]) }
                    seen += 1
                }
                let h = clicked.suffix(historyClicks)
                ids.append(contentsOf: h)
                ids.append(contentsOf: repeatElement(-1, count: historyClicks - h.count))
            }
            labels.append(label[i])
        }
        return ClientData(timeOrdered: ClientSamples(count: m, dense: dense, ids: ids, labels: labels),
                          testFraction: testFraction, denseFeatures: 3, idsPerSample: P)
    }

    public func trainCount(client c: Int) -> Int {
        let m = userStart[c + 1] - userStart[c]
        return m - ClientData.testCount(m, fraction: testFraction)
    }

    public func publicFeatures(client c: Int) -> [Double] {
        let lo = userStart[c], hi = userStart[c + 1]
        var h = [Double](repeating: 0, count: genreNames.count + 1)
        var total = 0.0
        for i in lo..<hi { for g in movieGenres[Int(movie[i])] { h[Int(g)] += 1; total += 1 } }
        if total > 0 { for g in 0..<genreNames.count { h[g] /= total } }
        h[genreNames.count] = log1p(Double(hi - lo)) / 8
        return h
    }

    public func trueGroup(client: Int) -> Int? { nil }
}
