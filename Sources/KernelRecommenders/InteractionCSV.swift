import Collectives
import Data
import Foundation

/// Reads `user,item[,rating,timestamp][,split]` CSV files: MovieLens's
/// `ratings.csv` (`userId,movieId,rating,timestamp`) or any interactions file.
///
/// With a header the columns are found by name (user: user, userId, user_id;
/// item: item, itemId, item_id, movieId, movie_id; rating; timestamp; split:
/// train, validation (or val, valid), test). Without one (the first line's
/// fields are all numbers) they are positional: user, item, rating, timestamp.
/// Errors name the file and line.
public enum InteractionCSV {
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

    static let userNames = ["user", "userid", "user_id"]
    static let itemNames = ["item", "itemid", "item_id", "movieid", "movie_id"]

    public static func read(path: String, feedback: ImplicitFeedback) throws -> Table {
        let lines: [Substring]
        do { lines = try TextLines.read(path) } catch { throw InputError("\(error)") }
        guard let first = lines.first, !first.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw InputError("\(path):1: empty file: no interactions")
        }
        let head = fields(first)
        let isHeader = head.contains { Double($0) == nil }
        var user = 0, item = 1, rating: Int? = head.count > 2 ? 2 : nil, split: Int?
        if isHeader {
            let names = head.map { $0.lowercased() }
            func find(_ options: [String], _ what: String) throws -> Int {
                guard let i = names.firstIndex(where: options.contains) else {
                    throw InputError("\(path):1: no \(what) column (header has \(head.joined(separator: ", ")); expected one of \(options.joined(separator: ", ")))")
                }
                return i
            }
            user = try find(userNames, "user")
            item = try find(itemNames, "item")
            rating = names.firstIndex(of: "rating")
            split = names.firstIndex(of: "split")
        }
        if case .minRating = feedback, rating == nil {
            throw InputError("\(path):1: min_rating needs a rating column")
        }
        var table = Table()
        table.hasSplit = split != nil
        var users: [Substring: Int32] = [:], items: [Substring: Int32] = [:]
        let width = head.count
        for (i, line) in lines.enumerated() where !(i == 0 && isHeader) {
            let n = i + 1
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let f = fields(line)
            guard f.count == width else {
                throw InputError("\(path):\(n): expected \(width) fields, got \(f.count)")
            }
            guard !f[user].isEmpty else { throw InputError("\(path):\(n): empty user field") }
            guard !f[item].isEmpty else { throw InputError("\(path):\(n): empty item field") }
            if let rating {
                guard let r = Double(f[rating]) else { throw InputError("\(path):\(n): rating '\(f[rating])' is not a number") }
                // The scale train's and fl's readers hold ratings to.
                if let why = MovieLensDataset.refusal(rating: r, text: f[rating]) { throw InputError("\(path):\(n): \(why)") }
                if case .minRating(let t) = feedback, r < t { continue }
            }
            var part: Part?
            if let split {
                switch f[split].lowercased() {
                case "train": part = .train
                case "validation", "val", "valid": part = .validation
                case "test": part = .test
                default: throw InputError("\(path):\(n): split '\(f[split])' is not train, validation or test")
                }
            }
            let u = users[f[user]] ?? { let id = Int32(table.userIDs.count); table.userIDs.append(String(f[user])); users[f[user]] = id; return id }()
            let it = items[f[item]] ?? { let id = Int32(table.itemIDs.count); table.itemIDs.append(String(f[item])); items[f[item]] = id; return id }()
            table.rows.append(Row(user: u, item: it, part: part))
        }
        guard !table.rows.isEmpty else {
            throw InputError("\(path):\(lines.count): no interactions\(isHeader ? " after the header" : "")")
        }
        return table
    }

    static func fields(_ line: Substring) -> [Substring] {
        line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces)[...] }
    }

    /// Writes binary rows as `user,item` lines with a header, for `strata iae`.
    public static func write(_ rows: SparseRows, userIDs: [String], itemIDs: [String], to path: String) throws {
        var text = "user,item\n"
        for u in 0..<rows.rows {
            for i in rows.row(u) { text += "\(userIDs[u]),\(itemIDs[Int(i)])\n" }
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
