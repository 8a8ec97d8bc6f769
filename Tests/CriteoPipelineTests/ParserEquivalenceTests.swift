import CriteoPipeline
import Data
import Foundation
import Tensors
import XCTest

/// The byte parser behind the conversion accepts and refuses exactly the lines
/// `CriteoReader` (the String reader training uses) does, with equal values.
final class ParserEquivalenceTests: XCTestCase {
    /// Lines with every kind of damage a log can carry, seeded.
    func damagedLines(count: Int, seed: UInt64) -> [String] {
        var g = StrataRNG(seed: seed)
        var base: [UInt8] = []
        let gen = CriteoGenerator(seed: seed)
        for i in 0..<count { gen.appendLine(day: 0, line: i, to: &base) }
        var lines = String(decoding: base, as: UTF8.self).split(separator: "\n").map(String.init)
        let edits: [(inout [String]) -> Void] = [
            { $0[1] = "" }, { $0[0] = "2" }, { $0[0] = "1.0" }, { $0[0] = "0.0" }, { $0[0] = "" },
            { $0[3] = "-7" }, { $0[4] = "3.5" }, { $0[5] = "1e3" }, { $0[6] = "nan" }, { $0[7] = "inf" }, { $0[8] = "x1" },
            { $0[9] = "+4" }, { $0[10] = "0000000000000000000012" }, { $0[2] = "-0" },
            { $0[14] = "ABCDEF01" }, { $0[15] = "123456789" }, { $0[16] = "zz" }, { $0[17] = "+1f" }, { $0[18] = "-0" },
            { $0[19] = "" }, { $0[20] = "0" }, { $0.removeLast() }, { $0.append("extra") }, { $0[39] = "ffffffff" },
        ]
        for i in lines.indices where g.nextUnit() < 0.6 {
            var fields = lines[i].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            for _ in 0..<(1 + g.nextIndex(below: 2)) where fields.count == 40 { edits[g.nextIndex(below: edits.count)](&fields) }
            let sep = g.nextUnit() < 0.2 ? "," : "\t"
            lines[i] = fields.joined(separator: sep)
        }
        return lines
    }

    func testByteParserMatchesTheReaderOnDamagedLines() throws {
        let dir = try scratch(self)
        for seed in 1...3 as ClosedRange<UInt64> {
            let path = "\(dir)/day_\(seed)"
            try (damagedLines(count: 2_000, seed: seed).joined(separator: "\r\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            let rows = 9_973
            let (reader, readerBad) = try CriteoReader.readAll(path: path, config: CriteoConfig(rowsPerTable: rows, skipBadLines: true))
            let report = try convert([path], to: "\(dir)/o\(seed)", ids: .hash(tableRows: Array(repeating: rows, count: 26)), skipBadLines: true)
            XCTAssertGreaterThan(readerBad, 100, "the damage must reach the refusals")
            XCTAssertGreaterThan(reader.size, 500)
            XCTAssertEqual(report.badLines, readerBad)
            XCTAssertEqual(report.samples, reader.size)
            // Read the one shard directly: every accepted line's values, in order.
            let shard = try CriteoShardFile(path: "\(dir)/o\(seed)/day-00000.shard")
            let got = CriteoShardSet.records(of: shard)
            XCTAssertEqual(got.labels, reader.labels)
            XCTAssertEqual(got.dense, reader.dense)
            XCTAssertEqual(got.itemSide, reader.itemSide)
        }
    }

    func testTheCSVSampleWithItsHeaderReadsAsTheReaderReadsIt() throws {
        let dir = try scratch(self)
        let lines = damagedLines(count: 300, seed: 9).filter { !$0.contains(",") }
            .map { $0.replacingOccurrences(of: "\t", with: ",") }
        let header = (["label"] + (1...13).map { "I\($0)" } + (1...26).map { "C\($0)" }).joined(separator: ",")
        let path = dir + "/sample.csv"
        try ("\u{FEFF}" + header + "\n" + lines.joined(separator: "\n")).write(toFile: path, atomically: true, encoding: .utf8)
        let (reader, bad) = try CriteoReader.readAll(path: path, config: CriteoConfig(rowsPerTable: 100, skipBadLines: true))
        let report = try convert([path], to: dir + "/o", ids: .hash(tableRows: Array(repeating: 100, count: 26)), skipBadLines: true)
        XCTAssertEqual(report.lines, lines.count)
        XCTAssertEqual(report.badLines, bad)
        let got = CriteoShardSet.records(of: try CriteoShardFile(path: dir + "/o/day-00000.shard"))
        XCTAssertEqual(got.labels, reader.labels)
        XCTAssertEqual(got.dense, reader.dense)
        XCTAssertEqual(got.itemSide, reader.itemSide)
    }
}
