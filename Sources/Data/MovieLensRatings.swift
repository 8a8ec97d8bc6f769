import Foundation

/// One line of a MovieLens ratings.csv.
public struct MovieLensRating: Sendable, Equatable {
    public var user: Int
    public var movie: Int
    public var rating: Double
    public var timestamp: Int
    /// The line it was read from (1-based), for errors that name file:line.
    public var line: Int

    public init(user: Int, movie: Int, rating: Double, timestamp: Int, line: Int) {
        (self.user, self.movie, self.rating, self.timestamp, self.line) = (user, movie, rating, timestamp, line)
    }
}

/// MovieLens' ratings.csv (`userId,movieId,rating,timestamp`), read one way
/// for every command: lines by `TextLines` (CRLF, a byte-order mark, no final
/// newline), a header line when line 1 says so (`MovieLensFormat.isHeader`),
/// blank lines skipped, fields trimmed of spaces, ratings held to
/// `MovieLensFormat.ratingScale`, and every refusal naming file:line and what
/// is wrong. Rows come in file order; each adapter orders them its own way.
public enum MovieLensRatings {
    /// The ratings of `path`. `skipBadLines`: count and skip malformed lines
    /// instead of refusing the file at the first one (`badLines`).
    public static func read(_ path: String, skipBadLines: Bool = false,
                            notes: inout [String]) throws -> (rows: [MovieLensRating], badLines: Int) {
        try rows(try TextLines.read(path), path: path, skipBadLines: skipBadLines, notes: &notes)
    }

    /// The ratings of `lines` (`TextLines` of the file at `path`), as `read`.
    public static func rows(_ lines: [Substring], path: String, skipBadLines: Bool = false,
                            notes: inout [String]) throws -> (rows: [MovieLensRating], badLines: Int) {
        let header = MovieLensFormat.hasHeader(lines, file: path, expected: MovieLensFormat.ratingsColumns, notes: &notes)
        var rows: [MovieLensRating] = [], bad = 0
        rows.reserveCapacity(lines.count)
        for (n, line) in lines.enumerated() where (n > 0 || !header) && !isBlank(line) {
            switch parse(line, number: n + 1) {
            case .success(let r): rows.append(r)
            case .failure(let why):
                guard skipBadLines else { throw DataError.malformedLine(file: path, line: n + 1, reason: why.reason) }
                bad += 1
            }
        }
        guard !rows.isEmpty else { throw DataError.emptyFile(file: path) }
        return (rows, bad)
    }

    /// What is wrong with a line, in words.
    public struct Refusal: Error, Equatable { public let reason: String }

    /// Line `number` as a rating, or why it is not one.
    public static func parse(_ line: Substring, number: Int) -> Result<MovieLensRating, Refusal> {
        let f = fields(line)
        func no(_ why: String) -> Result<MovieLensRating, Refusal> { .failure(Refusal(reason: why)) }
        guard f.count == 4 else {
            return no("expected \(MovieLensFormat.ratingsColumns), got \(f.count) field\(f.count == 1 ? "" : "s")")
        }
        guard let u = Int(f[0]) else { return no("expected \(MovieLensFormat.ratingsColumns): userId '\(f[0])' is not an integer") }
        guard let m = Int(f[1]) else { return no("expected \(MovieLensFormat.ratingsColumns): movieId '\(f[1])' is not an integer") }
        guard let r = Double(f[2]) else { return no("expected \(MovieLensFormat.ratingsColumns): rating '\(f[2])' is not a number") }
        guard let t = Int(f[3]) else { return no("expected \(MovieLensFormat.ratingsColumns): timestamp '\(f[3])' is not an integer") }
        if let why = MovieLensFormat.refusal(rating: r, text: f[2]) { return no(why) }
        guard t >= 0 else { return no("timestamp \(t) is negative") }
        return .success(MovieLensRating(user: u, movie: m, rating: r, timestamp: t, line: number))
    }

    /// The comma-separated fields of `line`, each trimmed of spaces.
    public static func fields(_ line: Substring) -> [Substring] {
        line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces)[...] }
    }

    /// Whether `line` holds nothing but spaces (skipped, as an empty line is).
    public static func isBlank(_ line: Substring) -> Bool { line.allSatisfy { $0 == " " || $0 == "\t" } }
}
