import Data
import Foundation

/// An access trace: per table, per row, how often the profiled batches read
/// it. A file a user brings from production (`strata data profile` writes
/// one from any data source) stands in for the data when planning
/// (`sharding.profile: PATH`), so FlexShard plans from production statistics.
///
/// Format (text, one record a line, `#` lines ignored):
///
///     strata-access-trace 1
///     steps S                        global batches the counts cover (> 0)
///     table NAME ROWS RECORDS        then RECORDS lines:
///     ROW COUNT                      0 <= ROW < ROWS, COUNT >= 0, each row once
///     ...                            (rows not listed were never read)
///     end                            the last line: a file cut short has none
///
/// Sparse, so a 10^7-row table read on 10^5 rows is 10^5 lines. Every error
/// names the file and line.
public struct AccessTrace: Sendable, Equatable {
    public struct Table: Sendable, Equatable {
        public var name: String
        public var rows: Int
        /// (row, count) records with count > 0, rows increasing.
        public var records: [(row: Int, count: Int)]

        public init(name: String, rows: Int, records: [(row: Int, count: Int)]) {
            self.name = name; self.rows = rows; self.records = records
        }

        public static func == (a: Table, b: Table) -> Bool {
            a.name == b.name && a.rows == b.rows && a.records.elementsEqual(b.records) { $0 == $1 }
        }
    }

    public var steps: Int
    public var tables: [Table]

    public init(steps: Int, tables: [Table]) {
        self.steps = steps; self.tables = tables
    }

    /// The trace of a profile over `tables` (names and rows in its order); a
    /// sampled profile's counts scaled to its whole batches (rounded).
    public init(profile: AccessProfile, tables configs: [TableConfig]) {
        steps = profile.steps
        let scale = 1 / profile.sampledFraction
        tables = zip(configs, profile.counts).map { c, counts in
            Table(name: c.name, rows: c.rows, records: counts.indices.compactMap {
                counts[$0] > 0 ? ($0, scale == 1 ? counts[$0] : max(1, Int((Double(counts[$0]) * scale).rounded()))) : nil
            })
        }
    }

    /// The profile for `configs`: every table of the config must be in the
    /// trace with its row count, and the trace may name no other table.
    public func profile(for configs: [TableConfig], file: String) throws -> AccessProfile {
        for t in tables where !configs.contains(where: { $0.name == t.name }) {
            throw PlanError("\(file): unknown table '\(t.name)' (the config's tables: \(configs.map(\.name).joined(separator: ", ")))")
        }
        let counts = try configs.map { c -> [Int] in
            guard let t = tables.first(where: { $0.name == c.name }) else {
                throw PlanError("\(file): no counts for table '\(c.name)'")
            }
            guard t.rows == c.rows else {
                throw PlanError("\(file): table '\(c.name)' has \(t.rows) rows in the trace but \(c.rows) in the config")
            }
            var counts = [Int](repeating: 0, count: c.rows)
            for r in t.records { counts[r.row] = r.count }
            return counts
        }
        return AccessProfile(steps: steps, counts: counts)
    }

    public var text: String {
        var s = "strata-access-trace 1\nsteps \(steps)\n"
        for t in tables {
            s += "table \(t.name) \(t.rows) \(t.records.count)\n"
            for r in t.records { s += "\(r.row) \(r.count)\n" }
        }
        return s + "end\n"
    }

    public func write(to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    public static func read(_ path: String) throws -> AccessTrace {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlanError("\(path): cannot read the access trace: \(TextLines.whyUnreadable(path))")
        }
        return try parse(lines: TextLines.split(data), file: path)
    }

    public static func parse(_ text: String, file: String) throws -> AccessTrace {
        try parse(lines: TextLines.split(text), file: file)
    }

    /// Parses a trace's lines (`TextLines`: CRLF, a byte-order mark, no final newline read as "\n" does).
    static func parse(lines text: [Substring], file: String) throws -> AccessTrace {
        var lines = text.enumerated().lazy
            .map { ($0.offset + 1, $0.element.split(separator: " ", omittingEmptySubsequences: true)) }
            .filter { !$0.1.isEmpty && !$0.1[0].hasPrefix("#") }.makeIterator()
        var last = 0
        func next(_ what: String) throws -> (Int, [Substring]) {
            guard let l = lines.next() else { throw PlanError("\(file): truncated after line \(last): expected \(what)") }
            last = l.0
            return l
        }
        func int(_ s: Substring, _ line: Int, _ what: String) throws -> Int {
            guard let v = Int(s) else { throw PlanError("\(file):\(line): \(what) '\(s)' is not an integer") }
            return v
        }
        let (l0, magic) = try next("the header 'strata-access-trace 1'")
        guard magic == ["strata-access-trace", "1"] else { throw PlanError("\(file):\(l0): not an access trace (expected 'strata-access-trace 1')") }
        let (l1, st) = try next("'steps S'")
        guard st.count == 2, st[0] == "steps" else { throw PlanError("\(file):\(l1): expected 'steps S'") }
        let steps = try int(st[1], l1, "steps")
        guard steps > 0 else { throw PlanError("\(file):\(l1): steps must be positive, got \(steps)") }
        var tables: [Table] = []
        while true {
            let (l, f) = try next("'table NAME ROWS RECORDS' or 'end'")
            if f == ["end"] { break }
            guard f.count == 4, f[0] == "table" else { throw PlanError("\(file):\(l): expected 'table NAME ROWS RECORDS' or 'end'") }
            let name = String(f[1]), rows = try int(f[2], l, "rows"), n = try int(f[3], l, "records")
            guard rows > 0, n >= 0, n <= rows else { throw PlanError("\(file):\(l): table '\(name)': bad rows \(rows) or records \(n)") }
            guard !tables.contains(where: { $0.name == name }) else { throw PlanError("\(file):\(l): table '\(name)' twice") }
            var records: [(row: Int, count: Int)] = []
            records.reserveCapacity(n)
            var seen = Set<Int>()
            for k in 0..<n {
                let (lr, r) = try next("a 'ROW COUNT' record of table '\(name)'")
                if r == ["end"] || r[0] == "table" {
                    throw PlanError("\(file):\(lr): table '\(name)' has \(k) of its \(n) records (cut short?)")
                }
                guard r.count == 2 else { throw PlanError("\(file):\(lr): expected 'ROW COUNT' (table '\(name)')") }
                let row = try int(r[0], lr, "row"), count = try int(r[1], lr, "count")
                guard row >= 0 && row < rows else { throw PlanError("\(file):\(lr): row \(row) out of range 0..<\(rows) of table '\(name)'") }
                guard count >= 0 else { throw PlanError("\(file):\(lr): negative count \(count) for row \(row) of table '\(name)'") }
                guard seen.insert(row).inserted else { throw PlanError("\(file):\(lr): row \(row) of table '\(name)' twice") }
                if count > 0 { records.append((row, count)) }
            }
            records.sort { $0.row < $1.row }
            tables.append(Table(name: name, rows: rows, records: records))
        }
        if let (l, _) = lines.next() { throw PlanError("\(file):\(l): text after 'end'") }
        return AccessTrace(steps: steps, tables: tables)
    }
}
