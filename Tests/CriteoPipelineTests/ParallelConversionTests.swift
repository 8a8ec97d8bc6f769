import CriteoPipeline
import Data
import Foundation
import XCTest

/// Conversion over ranks: the same shards (or the same data in the documented
/// order) and the same vocabulary whatever the world size.
final class ParallelConversionTests: XCTestCase {
    func days(_ n: Int, lines: Int, in dir: String) throws -> [String] {
        try (0..<n).map { d in
            let p = "\(dir)/day_\(d).gz"
            try CriteoGenerator(seed: 3).write(day: d, lines: lines, to: p)
            return p
        }
    }

    func testWholeInputsPerRankGiveTheSameShardsOnOneTwoAndFourRanks() throws {
        let dir = try scratch(self)
        let inputs = try days(4, lines: 3_000, in: dir)
        let ids = CriteoIDs.vocabulary(threshold: 2)
        try convert(inputs, to: dir + "/r1", ids: ids)
        let two = try convert(inputs, to: dir + "/r2", ranks: 2, ids: ids)
        let four = try convert(inputs, to: dir + "/r4", ranks: 4, ids: ids)
        XCTAssertEqual(Set(two.map(\.samples)), [12_000])
        XCTAssertEqual(Set(four.map(\.tableRows)).count, 1)
        for name in ["day-00000.shard", "day-00001.shard", "day-00002.shard", "day-00003.shard", "vocabulary.bin", "manifest.json"] {
            let one = try bytes(dir + "/r1/" + name)
            XCTAssertEqual(one, try bytes(dir + "/r2/" + name), name)
            XCTAssertEqual(one, try bytes(dir + "/r4/" + name), name)
        }
    }

    func testSharedLinesGivePartsThatInterleaveToTheOneRankShard() throws {
        let dir = try scratch(self)
        let inputs = try days(1, lines: 2_001, in: dir)
        let ids = CriteoIDs.vocabulary(threshold: 3)
        try convert(inputs, to: dir + "/r1", ids: ids)
        _ = try convert(inputs, to: dir + "/r2", ranks: 2, ids: ids)
        // The vocabulary counted in halves and merged is one rank's.
        XCTAssertEqual(try bytes(dir + "/r1/vocabulary.bin"), try bytes(dir + "/r2/vocabulary.bin"))
        let whole = try CriteoShardFile(path: dir + "/r1/day-00000.shard")
        let parts = try (0..<2).map { try CriteoShardFile(path: dir + "/r2/" + String(format: "day-00000.part-%03d-of-002.shard", $0)) }
        XCTAssertEqual(parts.map(\.sampleCount), [1_001, 1_000])
        XCTAssertEqual(parts.map(\.header.part), [0, 1])
        // Line i of the input is record i / 2 of part i % 2.
        let record = CriteoShard.recordBytes
        let w = try bytes(whole.path), p = try parts.map { try bytes($0.path) }
        for i in 0..<whole.sampleCount {
            let a = CriteoShard.payloadOffset + i * record, b = CriteoShard.payloadOffset + (i / 2) * record
            XCTAssertEqual(w[a..<(a + record)], p[i % 2][b..<(b + record)], "line \(i)")
        }
        let manifest = try CriteoShardManifest.read(directory: dir + "/r2")
        XCTAssertEqual(manifest.shards.map(\.file), ["day-00000.part-000-of-002.shard", "day-00000.part-001-of-002.shard"])
    }

    func testFrequencyThresholdOnHandMadeCounts() throws {
        let dir = try scratch(self)
        // C1 takes aa x4, bb x2, cc x1 and is missing once; C2 is 7 everywhere; the rest are empty.
        let c1 = ["aa", "bb", "aa", "cc", "aa", "", "bb", "aa"]
        let lines = c1.enumerated().map { i, v in
            (["\(i % 2)"] + Array(repeating: "1", count: 13) + [v, "7"] + Array(repeating: "", count: 24)).joined(separator: "\t")
        }
        for (day, text) in [(0, lines), (1, Array(lines.prefix(2)))] {
            try (text.joined(separator: "\n") + "\n").write(toFile: "\(dir)/day_\(day)", atomically: true, encoding: .utf8)
        }
        // Counts over both days: aa 5, bb 3, cc 1, C2's 7 ten times.
        for (threshold, c1Values, c1Rows) in [(1, [0xaa, 0xbb, 0xcc], [1, 2, 1, 3, 1, -1, 2, 1]),
                                              (3, [0xaa, 0xbb], [1, 2, 1, 0, 1, -1, 2, 1]),
                                              (4, [0xaa], [1, 0, 1, 0, 1, -1, 0, 1]),
                                              (6, [], [0, 0, 0, 0, 0, -1, 0, 0])] {
            let out = "\(dir)/t\(threshold)"
            let report = try convert(["\(dir)/day_0", "\(dir)/day_1"], to: out, ids: .vocabulary(threshold: threshold))
            let v = try CriteoVocabulary.read(path: out + "/vocabulary.bin")
            XCTAssertEqual(v.threshold, threshold)
            XCTAssertEqual(v.values[0], c1Values.map { UInt32($0) }, "threshold \(threshold)")
            XCTAssertEqual(v.values[1], threshold <= 10 ? [7] : [])
            XCTAssertEqual(v.values[2], [])
            XCTAssertEqual(report.tableRows[0], c1Values.count + 1)
            XCTAssertEqual(report.tableRows[2], 1)
            let set = try CriteoShardSet(directory: out)
            let b = set.all(.train)
            XCTAssertEqual(b.itemSide.lengths(forKey: "C1").map(Array.init), c1Rows.map { $0 < 0 ? 0 : 1 })
            XCTAssertEqual(b.itemSide.values(forKey: "C1").map(Array.init), c1Rows.filter { $0 >= 0 }.map { Int64($0) }, "threshold \(threshold)")
            XCTAssertEqual(b.itemSide.values(forKey: "C2").map(Array.init), Array(repeating: 1, count: 8))
        }
    }

    func testBadInputsAreRefusedByName() throws {
        let dir = try scratch(self)
        try "1\t2\n".write(toFile: dir + "/short", atomically: true, encoding: .utf8)
        XCTAssertTrue(failure { try convert([dir + "/short"], to: dir + "/o") }.contains(dir + "/short:1: expected 40 fields"))
        XCTAssertTrue(failure { try convert([dir + "/missing"], to: dir + "/o") }.contains(dir + "/missing"))
        XCTAssertTrue(failure { try convert(["-"], to: dir + "/o", ids: .vocabulary(threshold: 2)) }.contains("standard input"))
        XCTAssertTrue(failure { try convert([dir + "/short"], to: dir + "/o", ids: .vocabulary(threshold: 0)) }.contains("threshold"))
        // A bad line on one rank stops every rank with that rank's message.
        let inputs = try days(2, lines: 100, in: dir)
        try FileManager.default.copyItem(atPath: dir + "/short", toPath: dir + "/day_2")
        let messages = failures(ranks: 2) { comm in
            _ = try CriteoConversion(inputs: inputs + [dir + "/day_2"], output: dir + "/o2", ids: .hash(tableRows: Array(repeating: 10, count: 26))).run(comm: comm)
        }
        XCTAssertEqual(messages.count, 2)
        XCTAssertTrue(messages.allSatisfy { $0.contains("rank 0: " + dir + "/day_2:1: expected 40 fields") }, "\(messages)")
    }
}
