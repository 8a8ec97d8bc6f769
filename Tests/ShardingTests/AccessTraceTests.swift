import XCTest
import Cluster
import Sharding

/// Access traces: the profile round-trips through the file format, plans from
/// a trace equal plans from its counts, and malformed traces are refused by name.
final class AccessTraceTests: XCTestCase {
    let tables = [TableConfig(name: "item", rows: 3_000, dim: 4), TableConfig(name: "user", rows: 200, dim: 4)]

    func profile() -> AccessProfile {
        AccessProfile(steps: 7, counts: tables.map { t in (0..<t.rows).map { $0 % 5 == 3 ? 0 : 5_000 / ($0 + 1) } })
    }

    func testRoundTripAndSamePlan() throws {
        let p = profile()
        let trace = AccessTrace(profile: p, tables: tables)
        let back = try AccessTrace.parse(trace.text, file: "t.trace")
        XCTAssertEqual(back, trace)
        XCTAssertEqual(try back.profile(for: tables, file: "t.trace"), p)
        var spec = ShardingSpec()
        spec.type = .uniform(.flexShard)
        let target = ShardingPlanner.Target(tables: tables, topology: try .emulated(worldSize: 8, ranksPerNode: 4), optimizer: .rowwiseAdagrad)
        let fromCounts = try ShardingPlanner.plan(spec, for: target) { p }.plan
        let fromTrace = try ShardingPlanner.plan(spec, for: target) { try back.profile(for: tables, file: "t.trace") }.plan
        XCTAssertEqual(fromCounts, fromTrace)
        XCTAssertNotNil(fromTrace.tables[0].tiers)
    }

    func testWindowsLineEndsAndAByteOrderMarkReadAsUnixLines() throws {
        let trace = AccessTrace(profile: profile(), tables: tables)
        let windows = "\u{FEFF}" + trace.text.replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertEqual(try AccessTrace.parse(windows, file: "w.trace"), trace)
        refused("strata-access-trace 1\r\nsteps x\r\n", "bad.trace:2: steps 'x' is not an integer")
    }

    func refused(_ text: String, _ message: String, line: UInt = #line) {
        XCTAssertThrowsError(try AccessTrace.parse(text, file: "bad.trace").profile(for: tables, file: "bad.trace"), line: line) { e in
            XCTAssertTrue("\(e)".contains(message), "\(e) does not say '\(message)'", line: line)
        }
    }

    func testBadTracesAreRefusedByName() {
        let good = "strata-access-trace 1\nsteps 2\ntable item 3000 2\n0 10\n5 3\ntable user 200 1\n1 4\nend\n"
        XCTAssertNoThrow(try AccessTrace.parse(good, file: "ok").profile(for: tables, file: "ok"))
        refused(good.replacingOccurrences(of: "table user", with: "table users"), "bad.trace: unknown table 'users'")
        refused(good.replacingOccurrences(of: "5 3", with: "3000 3"), "bad.trace:5: row 3000 out of range 0..<3000 of table 'item'")
        refused(good.replacingOccurrences(of: "5 3", with: "5 -3"), "bad.trace:5: negative count -3 for row 5 of table 'item'")
        refused(String(good.dropLast(4)), "bad.trace: truncated after line 7")
        refused(good.replacingOccurrences(of: "1 4\nend\n", with: ""), "bad.trace: truncated after line 6: expected a 'ROW COUNT' record of table 'user'")
        refused(good.replacingOccurrences(of: "1 4\n", with: ""), "bad.trace:7: table 'user' has 0 of its 1 records")
        refused(good.replacingOccurrences(of: "5 3", with: "0 3"), "bad.trace:5: row 0 of table 'item' twice")
        refused(good.replacingOccurrences(of: "3000 2", with: "3001 2"), "table 'item' has 3001 rows in the trace but 3000 in the config")
        refused("hello\n", "bad.trace:1: not an access trace")
        refused(good.replacingOccurrences(of: "table user 200 1\n1 4\n", with: ""), "bad.trace: no counts for table 'user'")
        refused(good.replacingOccurrences(of: "5 3", with: "5 x"), "bad.trace:5: count 'x' is not an integer")
    }

    /// Generated traces: Zipf's expected counts (an independent closed form),
    /// and a shape stretched to another size keeps its head's share.
    func testGeneratedTraces() {
        let z = AccessTrace.Table.zipf(name: "item", rows: 1_000, exponent: 1.1, accesses: 1_000_000)
        let h = (1...1_000).reduce(0.0) { $0 + pow(Double($1), -1.1) }
        XCTAssertEqual(z.records[0].count, Int((1e6 / h).rounded()))
        XCTAssertEqual(z.records[9].count, Int((1e6 * pow(10, -1.1) / h).rounded()))
        let total = z.records.reduce(0) { $0 + $1.count }
        XCTAssertEqual(Double(total), 1e6, accuracy: 1e6 * 1e-3)
        let source = z.records.map(\.count)
        let stretched = AccessTrace.Table.shaped(like: source, name: "item", rows: 10_000, accesses: 1_000_000)
        let head = { (t: AccessTrace.Table, n: Int) -> Double in
            Double(t.records.prefix { $0.row < n }.reduce(0) { $0 + $1.count }) / Double(t.records.reduce(0) { $0 + $1.count })
        }
        XCTAssertEqual(head(stretched, 1_000), head(z, 100), accuracy: 0.02, "the top 10 % reads the same share")
        XCTAssertTrue(zip(stretched.records, stretched.records.dropFirst()).allSatisfy { $0.count >= $1.count })
    }
}
