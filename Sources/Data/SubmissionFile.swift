import Foundation

/// The text of a DataPerf submission: a short header, then one pool row id a
/// line.
///
///     # anything after '#' is a comment; blank lines are skipped
///     version: v1-3f0c9a1b22de      the task's version
///     budget: 100                   selection only: one of the task's budgets
///     17                            pool row ids (selection: the chosen rows,
///     4031                          any order; debugging: most suspect first)
///
/// This reader owns the format (lines read by `TextLines`: CRLF, a BOM, no
/// final newline; comments; the header before the ids; ids as integers);
/// whether the values fit a task (its version, budgets and pool) is the
/// task's to judge, with the line numbers kept here. Each error names file:line.
public struct SubmissionFile: Sendable, Equatable {
    /// A header key the format knows.
    public enum Key: String, Sendable, Equatable { case version, budget }

    /// A header line: its key, its value as written, and where it stood (1-based).
    public struct Header: Sendable, Equatable {
        public var key: Key
        public var value: String
        public var line: Int
        public init(key: Key, value: String, line: Int) { self.key = key; self.value = value; self.line = line }
    }

    /// A row id and where it stood (1-based).
    public struct Row: Sendable, Equatable {
        public var id: Int
        public var line: Int
        public init(id: Int, line: Int) { self.id = id; self.line = line }
    }

    public var path: String
    public var headers: [Header]
    public var rows: [Row]

    /// The file's name without its extension: a submission's label.
    public var name: String { ((path as NSString).lastPathComponent as NSString).deletingPathExtension }

    /// The text of a submission file (what `parse` reads back).
    public static func render(version: String, budget: Int?, rows: [Int], comment: String? = nil) -> String {
        var lines: [String] = []
        if let comment { lines.append("# " + comment) }
        lines.append("version: \(version)")
        if let budget { lines.append("budget: \(budget)") }
        lines += rows.map(String.init)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads the file at `path`; an unreadable one is a `DataError.unreadable`
    /// saying why in words.
    public static func read(_ path: String) throws -> SubmissionFile {
        try parse(lines: TextLines.read(path), path: path)
    }

    /// Parses `text`, named `path` in errors.
    public static func parse(_ text: String, path: String) throws -> SubmissionFile {
        try parse(lines: TextLines.split(text), path: path)
    }

    /// Parses a submission's lines; element `i` is line `i + 1`.
    public static func parse(lines: [Substring], path: String) throws -> SubmissionFile {
        var file = SubmissionFile(path: path, headers: [], rows: [])
        for (i, raw) in lines.enumerated() {
            let n = i + 1
            func fail(_ why: String) -> DataError { .malformedLine(file: path, line: n, reason: why) }
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first
                .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if line.isEmpty { continue }
            if let colon = line.firstIndex(of: ":") {
                let key = line[..<colon].trimmingCharacters(in: .whitespaces)
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                guard file.rows.isEmpty else { throw fail("header line '\(key):' after the row ids") }
                guard let known = Key(rawValue: key) else { throw fail("unknown header '\(key):' (expected version: or budget:)") }
                file.headers.append(Header(key: known, value: value, line: n))
                continue
            }
            guard let id = Int(line) else { throw fail("'\(line)' is not a row id") }
            file.rows.append(Row(id: id, line: n))
        }
        return file
    }
}
