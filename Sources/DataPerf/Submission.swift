import Collectives
import Data
import Foundation

/// A DataPerf submission: text, one row id a line, after a short header.
///
///     # anything after '#' is a comment; blank lines are skipped
///     version: v1-3f0c9a1b22de      the task's version (required)
///     budget: 100                   selection only: one of the task's budgets
///     17                            pool row ids (selection: the chosen rows,
///     4031                          any order; debugging: most suspect first)
///
/// Everything is checked before anything trains; each error names file:line.
public struct Submission: Sendable, Equatable {
    /// The file's name without extension: the leaderboard's row label.
    public var name: String
    public var path: String
    public var version: String
    /// Selection: the budget it competes under.
    public var budget: Int?
    /// Selection: the chosen rows; debugging: the ranking (rows not listed follow in id order).
    public var rows: [Int]

    public init(name: String, path: String, version: String, budget: Int?, rows: [Int]) {
        self.name = name; self.path = path; self.version = version; self.budget = budget; self.rows = rows
    }

    /// The text of a submission file.
    public static func render(version: String, budget: Int?, rows: [Int], comment: String? = nil) -> String {
        var lines: [String] = []
        if let comment { lines.append("# " + comment) }
        lines.append("version: \(version)")
        if let budget { lines.append("budget: \(budget)") }
        lines += rows.map(String.init)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads and validates `path` against `task`.
    public static func load(path: String, task: DataPerfTask) throws -> Submission {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError("\(path): cannot read the submission: \(TextLines.whyUnreadable(path))")
        }
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try parse(lines: TextLines.split(data), name: name, path: path, task: task)
    }

    /// Parses `text` (named `path` in errors) and validates it against `task`.
    public static func parse(_ text: String, name: String, path: String, task: DataPerfTask) throws -> Submission {
        try parse(lines: TextLines.split(text), name: name, path: path, task: task)
    }

    /// Parses a submission's lines (`TextLines`: CRLF, a BOM, no final newline).
    static func parse(lines: [Substring], name: String, path: String, task: DataPerfTask) throws -> Submission {
        var version: String?
        var budget: Int?
        var rows: [Int] = []
        var firstLine: [Int: Int] = [:]
        for (i, raw) in lines.enumerated() {
            let n = i + 1
            func fail(_ why: String) -> InputError { InputError("\(path):\(n): \(why)") }
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first
                .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if line.isEmpty { continue }
            if let colon = line.firstIndex(of: ":") {
                let key = line[..<colon].trimmingCharacters(in: .whitespaces)
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                guard rows.isEmpty else { throw fail("header line '\(key):' after the row ids") }
                switch key {
                case "version":
                    guard value == task.version else {
                        throw fail("made for task version \(value), but \(task.name) is version \(task.version)")
                    }
                    version = value
                case "budget":
                    guard task.track == .selection else { throw fail("'budget:' is for selection tasks; \(task.name) is \(task.track.rawValue)") }
                    guard let b = Int(value), task.budgets.contains(b) else {
                        throw fail("budget '\(value)' is not one of the task's budgets \(task.budgets)")
                    }
                    budget = b
                default:
                    throw fail("unknown header '\(key):' (expected version: or budget:)")
                }
                continue
            }
            guard let id = Int(line) else { throw fail("'\(line)' is not a row id") }
            guard id >= 0, id < task.poolRows else { throw fail("row \(id) is not in the pool (0..<\(task.poolRows))") }
            if let first = firstLine[id] { throw fail("row \(id) repeated (first on line \(first))") }
            firstLine[id] = n
            rows.append(id)
            if let b = budget, rows.count > b { throw fail("row \(rows.count) of a submission with budget \(b): over budget") }
        }
        guard version != nil else { throw InputError("\(path): no 'version:' line (the task's is \(task.version))") }
        if task.track == .selection {
            guard budget != nil else { throw InputError("\(path): no 'budget:' line (one of \(task.budgets))") }
            guard !rows.isEmpty else { throw InputError("\(path): no row ids") }
        }
        return Submission(name: name, path: path, version: task.version, budget: budget, rows: rows)
    }

    /// Debugging: the full ranking, rows not listed appended in id order.
    public func fullRanking(poolRows: Int) -> [Int] {
        let listed = Set(rows)
        return rows + (0..<poolRows).filter { !listed.contains($0) }
    }
}
