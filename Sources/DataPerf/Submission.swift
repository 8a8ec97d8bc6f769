import Collectives
import Data
import Foundation

/// A DataPerf submission checked against its task: `SubmissionFile` (in
/// Data) reads the text, this judges its values (the task's version, one of
/// its budgets, rows in its pool, none repeated, no more than the budget).
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

    /// Reads and validates `path` against `task`.
    public static func load(path: String, task: DataPerfTask) throws -> Submission {
        let file: SubmissionFile
        do { file = try SubmissionFile.read(path) } catch let DataError.unreadable(_, reason) {
            throw InputError("\(path): cannot read the submission: \(reason)")
        } catch let e as DataError { throw InputError(e.description) }
        return try validate(file, task: task)
    }

    /// Parses `text` (named `path` in errors) and validates it against `task`.
    public static func parse(_ text: String, name: String, path: String, task: DataPerfTask) throws -> Submission {
        let file: SubmissionFile
        do { file = try SubmissionFile.parse(text, path: path) } catch let e as DataError { throw InputError(e.description) }
        var s = try validate(file, task: task)
        s.name = name
        return s
    }

    /// The file's values judged against `task`, in the file's order.
    static func validate(_ file: SubmissionFile, task: DataPerfTask) throws -> Submission {
        let path = file.path
        func fail(_ n: Int, _ why: String) -> InputError { InputError("\(path):\(n): \(why)") }
        var version: String?
        var budget: Int?
        for h in file.headers {
            switch h.key {
            case .version:
                guard h.value == task.version else {
                    throw fail(h.line, "made for task version \(h.value), but \(task.name) is version \(task.version)")
                }
                version = h.value
            case .budget:
                guard task.track == .selection else { throw fail(h.line, "'budget:' is for selection tasks; \(task.name) is \(task.track.rawValue)") }
                guard let b = Int(h.value), task.budgets.contains(b) else {
                    throw fail(h.line, "budget '\(h.value)' is not one of the task's budgets \(task.budgets)")
                }
                budget = b
            }
        }
        var rows: [Int] = []
        var firstLine: [Int: Int] = [:]
        for r in file.rows {
            guard r.id >= 0, r.id < task.poolRows else { throw fail(r.line, "row \(r.id) is not in the pool (0..<\(task.poolRows))") }
            if let first = firstLine[r.id] { throw fail(r.line, "row \(r.id) repeated (first on line \(first))") }
            firstLine[r.id] = r.line
            rows.append(r.id)
            if let b = budget, rows.count > b { throw fail(r.line, "row \(rows.count) of a submission with budget \(b): over budget") }
        }
        guard version != nil else { throw InputError("\(path): no 'version:' line (the task's is \(task.version))") }
        if task.track == .selection {
            guard budget != nil else { throw InputError("\(path): no 'budget:' line (one of \(task.budgets))") }
            guard !rows.isEmpty else { throw InputError("\(path): no row ids") }
        }
        return Submission(name: file.name, path: path, version: task.version, budget: budget, rows: rows)
    }

    /// Debugging: the full ranking, rows not listed appended in id order.
    public func fullRanking(poolRows: Int) -> [Int] {
        let listed = Set(rows)
        return rows + (0..<poolRows).filter { !listed.contains($0) }
    }
}
