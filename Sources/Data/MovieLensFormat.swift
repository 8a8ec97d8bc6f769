import Foundation

/// The rules every MovieLens reader shares (train's dataset, FL's clients,
/// iae/distill's interaction matrix all read through `MovieLensRatings` and
/// `MovieLensMovies`): the rating scale, what a header line is, and a title's year.
public enum MovieLensFormat {
    /// The columns of ratings.csv and movies.csv, as their header lines name them.
    public static let ratingsColumns = "userId,movieId,rating,timestamp"
    public static let moviesColumns = "movieId,title,genres"

    /// MovieLens rates in half stars from 0.5 to 5.
    public static let ratingScale: ClosedRange<Double> = 0.5...5

    /// Why rating `r` (written `text`) is refused, or nil: NaN and infinities
    /// are not ratings, and nothing outside `ratingScale` is one (0 included:
    /// MovieLens has no zero-star rating, so a 0 is a damaged or foreign file).
    public static func refusal(rating r: Double, text: Substring) -> String? {
        r.isFinite && ratingScale.contains(r) ? nil : "rating \(text) is outside the scale 0.5...5"
    }

    /// Whether line 1 is a header, decided by its content: its first field is
    /// not a number (a MovieLens line starts with an id). A file without one
    /// reads its line 1 as data, and `notes` says so.
    public static func hasHeader(_ lines: [Substring], file: String, expected: String, notes: inout [String]) -> Bool {
        guard let first = lines.first, !first.isEmpty else { return false }
        if isHeader(first) { return true }
        notes.append("\(file): no header line (\(expected)); line 1 is read as data")
        return false
    }

    /// Whether `line` is a header line: its first field is not a number.
    public static func isHeader(_ line: Substring) -> Bool {
        let field = line.prefix { $0 != "," }.trimmingCharacters(in: .whitespaces)
        return Int(field) == nil && Double(field) == nil
    }

    /// "(1995)" at the end of a title -> (1995 - 2000) / 20; 0 if absent.
    /// A series' "(2006–2007)" reads its first year.
    public static func year(of title: Substring) -> Float {
        let t = title.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard let open = t.lastIndex(of: "("), let y = Int(t[t.index(after: open)...].prefix(4)), (1800...2100).contains(y)
        else { return 0 }
        return Float(y - 2000) / 20
    }
}
