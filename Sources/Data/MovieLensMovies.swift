import Foundation

/// MovieLens' movies.csv (`movieId,title,genres`; a title may be quoted and
/// hold commas), read one way for every command: the lines and header rule of
/// `MovieLensRatings`, a movie listed twice refused, the year from the title
/// (`MovieLensFormat.year`), and one genre order: genres numbered by name, so
/// reordering the file's movies renumbers no genre.
public struct MovieLensMovies: Sendable {
    public let path: String
    /// MovieLens ids in file order; a movie's row is its index here.
    public let ids: [Int]
    /// Per movie: (year - 2000) / 20, 0 if the title has none.
    public let years: [Float]
    /// Genre names in name order; a genre's row is its index here.
    public let genreNames: [String]
    /// Per movie: its genres' rows, in the order its line lists them.
    public let genres: [[Int32]]
    /// Malformed lines skipped (with `skipBadLines`).
    public let badLines: Int
    let rowOfId: [Int: Int32]

    /// `skipBadLines`: count and skip malformed lines instead of refusing the
    /// file at the first one.
    public init(path: String, skipBadLines: Bool = false, notes: inout [String]) throws {
        self.path = path
        let lines = try TextLines.read(path)
        let header = MovieLensFormat.hasHeader(lines, file: path, expected: MovieLensFormat.moviesColumns, notes: &notes)
        var rows: [Int: Int32] = [:], ids: [Int] = [], years: [Float] = [], lists: [[String]] = [], bad = 0
        for (n, line) in lines.enumerated() where (n > 0 || !header) && !MovieLensRatings.isBlank(line) {
            let why: String
            if let c1 = line.firstIndex(of: ","), let c2 = line.lastIndex(of: ","), c1 < c2,
               let id = Int(line[..<c1].trimmingCharacters(in: .whitespaces)) {
                if rows[id] == nil {
                    rows[id] = Int32(ids.count)
                    ids.append(id)
                    years.append(MovieLensFormat.year(of: line[line.index(after: c1)..<c2]))
                    lists.append(line[line.index(after: c2)...].split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) })
                    continue
                }
                why = "movie \(id) is listed twice"
            } else {
                why = "expected \(MovieLensFormat.moviesColumns)"
            }
            guard skipBadLines else { throw DataError.malformedLine(file: path, line: n + 1, reason: why) }
            bad += 1
        }
        guard !ids.isEmpty else { throw DataError.emptyFile(file: path) }
        let names = Set(lists.joined()).sorted()
        let genreRow = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, Int32($0)) })
        (self.ids, self.years, genreNames, badLines, rowOfId) = (ids, years, names, bad, rows)
        genres = lists.map { $0.map { genreRow[$0]! } }
    }

    /// The row of MovieLens movie `id`, or nil when the file does not list it.
    public func row(of id: Int) -> Int32? { rowOfId[id] }

    /// Why a rating of movie `id` is refused: the movie is not in this file.
    public func unknown(_ id: Int) -> String { "movie \(id) not in \(path)" }
}
