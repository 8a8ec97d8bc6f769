import Foundation

/// Reads `user,item[,rating,timestamp][,split]` CSV files: MovieLens's
/// `ratings.csv` (`userId,movieId,rating,timestamp`) or any interactions file.
///
/// Line 1 is a header when its first field is not a number (the MovieLens
/// rule, `MovieLensFormat.isHeader`). A MovieLens file (that header, or no
/// header and four fields) is read by the one MovieLens reader
/// (`MovieLensRatings`), so it is refused or accepted exactly as train and
/// fl refuse or accept it. Any other file's columns are found by name (user:
/// user, userId, user_id; item: item, itemId, item_id, movieId, movie_id;
/// rating; split: train, validation (or val, valid), test), or positionally
/// without a header (user, item, rating). Errors name the file and line.
/// iae and distill read it through `KernelRecommenders.InteractionCSV`.
public enum InteractionFile {
    public enum Part: Int, Sendable { case train = 0, validation = 1, test = 2 }

    public struct Row: Sendable, Equatable {
        public var user: Int32
        public var item: Int32
        public var part: Part?
    }

    public struct Table: Sendable {
        public var userIDs: [String] = []
        public var itemIDs: [String] = []
        public var rows: [Row] = []
        public var hasSplit = false
    }

    /// One interaction as read, before users and items are numbered.
    struct Record {
        var user: Substring, item: Substring, rating: Double?, part: Part?
    }

    /// The interactions of `path`; with `minRating`, only ratings at or above it.
    public static func read(path: String, minRating: Double? = nil) throws -> Table {
        let lines = try TextLines.read(path)
        guard let first = lines.first, !MovieLensRatings.isBlank(first) else {
            throw DataError.malformedLine(file: path, line: 1, reason: "empty file: no interactions")
        }
        let layout = try Layout(first, path: path)
        if minRating != nil, layout.rating == nil {
            throw DataError.malformedLine(file: path, line: 1, reason: "min_rating needs a rating column")
        }
        let records = layout.isMovieLens ? try movieLensRecords(lines, path: path) : try records(lines, layout, path: path)
        var table = Table()
        table.hasSplit = layout.split != nil
        var users: [Substring: Int32] = [:], items: [Substring: Int32] = [:]
        for r in records {
            if let t = minRating, let rating = r.rating, rating < t { continue }
            let u = users[r.user] ?? { let id = Int32(table.userIDs.count); table.userIDs.append(String(r.user)); users[r.user] = id; return id }()
            let it = items[r.item] ?? { let id = Int32(table.itemIDs.count); table.itemIDs.append(String(r.item)); items[r.item] = id; return id }()
            table.rows.append(Row(user: u, item: it, part: r.part))
        }
        guard !table.rows.isEmpty else {
            throw DataError.malformedLine(file: path, line: lines.count, reason: "no interactions\(layout.header ? " after the header" : "")")
        }
        return table
    }

    /// A MovieLens ratings file through `MovieLensRatings`: its refusals
    /// (file:line and what is wrong, a rating outside 0.5...5) are train's and fl's.
    static func movieLensRecords(_ lines: [Substring], path: String) throws -> [Record] {
        var notes: [String] = []
        return try MovieLensRatings.rows(lines, path: path, notes: &notes).rows.map {
            Record(user: String($0.user)[...], item: String($0.movie)[...], rating: $0.rating, part: nil)
        }
    }

    /// Any other interactions file, by `layout`'s columns.
    static func records(_ lines: [Substring], _ layout: Layout, path: String) throws -> [Record] {
        var out: [Record] = []
        out.reserveCapacity(lines.count)
        for (i, line) in lines.enumerated() where !(i == 0 && layout.header) && !MovieLensRatings.isBlank(line) {
            let n = i + 1, f = MovieLensRatings.fields(line)
            func bad(_ why: String) -> DataError { .malformedLine(file: path, line: n, reason: why) }
            guard f.count == layout.width else { throw bad("expected \(layout.width) fields, got \(f.count)") }
            guard !f[layout.user].isEmpty else { throw bad("empty user field") }
            guard !f[layout.item].isEmpty else { throw bad("empty item field") }
            var rating: Double?
            if let c = layout.rating {
                // Not a MovieLens file, so not MovieLens' scale (an implicit
                // 0/1 file or a 1-10 scale are interactions too); a rating
                // must still be a number, and NaN or infinity is none.
                guard let r = Double(f[c]), r.isFinite else { throw bad("rating '\(f[c])' is not a number") }
                rating = r
            }
            out.append(Record(user: f[layout.user], item: f[layout.item], rating: rating, part: try part(f, layout, path, n)))
        }
        return out
    }

    static func part(_ f: [Substring], _ layout: Layout, _ path: String, _ n: Int) throws -> Part? {
        guard let split = layout.split else { return nil }
        switch f[split].lowercased() {
        case "train": return .train
        case "validation", "val", "valid": return .validation
        case "test": return .test
        default: throw DataError.malformedLine(file: path, line: n, reason: "split '\(f[split])' is not train, validation or test")
        }
    }
}
