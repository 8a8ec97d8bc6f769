import CriteoPipeline
import Data
import Foundation
import XCTest

/// Shards read through memory maps equal the text reader, and the reference
/// day split holds; damaged shards are refused by name.
final class ShardReadingTests: XCTestCase {
    /// Two plain day files, converted with ids hashed like CriteoReader's.
    func twoDays(lines: Int, rows: Int = 5_000) throws -> (dir: String, days: [String]) {
        let dir = try scratch(self)
        let days = try (0..<2).map { d -> String in
            let p = "\(dir)/day_\(d).tsv"
            try CriteoGenerator(seed: 11).write(day: d, lines: lines, to: p)
            return p
        }
        try convert(days, to: dir + "/shards", ids: .hash(tableRows: Array(repeating: rows, count: 26)))
        return (dir, days)
    }

    func testMemoryMappedShardsEqualTheReaderWithTheDaySplit() throws {
        let (dir, days) = try twoDays(lines: 3_001)
        let config = CriteoConfig(rowsPerTable: 5_000)
        let day0 = try CriteoReader.readAll(path: days[0], config: config).batch
        let day1 = try CriteoReader.readAll(path: days[1], config: config).batch
        let validation = try CriteoShardSet(directory: dir + "/shards", eval: .validation)
        let test = try CriteoShardSet(directory: dir + "/shards", eval: .test)
        XCTAssertEqual(validation.schema, config.schema)
        XCTAssertEqual(validation.sampleCount(.train), 3_001)
        XCTAssertEqual(validation.sampleCount(.eval), 1_500)
        XCTAssertEqual(test.sampleCount(.eval), 1_501)
        XCTAssertEqual(validation.all(.train), day0)
        XCTAssertEqual(validation.all(.eval), slice(day1, 0..<1_500))
        XCTAssertEqual(test.all(.eval), slice(day1, 1_500..<3_001, sampleIndex: 0))
        // `fill` into reused storage equals `batch`, slices crossing ends too.
        var reused = Batch.empty
        for (start, count) in [(0, 256), (2_900, 256), (1_000, 1), (2_990, 20), (5_000, 10)] {
            validation.fill(&reused, globalStart: start, count: count, split: .train, dedup: true)
            XCTAssertEqual(reused, validation.batch(globalStart: start, count: count, split: .train, dedup: true))
            let hi = min(start + count, 3_001), lo = min(start, hi)
            XCTAssertEqual(reused.labels, Array(day0.labels[lo..<hi]))
        }
    }

    func testRunsAcrossShardsAndPartsReadInOrder() throws {
        let dir = try scratch(self)
        let days = try (0..<3).map { d -> String in
            let p = "\(dir)/day_\(d).gz"
            try CriteoGenerator(seed: 5).write(day: d, lines: 700 + d, to: p)
            return p
        }
        // 3 inputs on 4 ranks: every input in 4 parts.
        let rows = CriteoIDs.hash(tableRows: Array(repeating: 977, count: 26))
        _ = try convert(days, to: dir + "/p", ranks: 4, ids: rows)
        try convert(days, to: dir + "/w", ids: rows)
        let parts = try CriteoShardSet(directory: dir + "/p"), whole = try CriteoShardSet(directory: dir + "/w")
        XCTAssertEqual(parts.manifest.shards.count, 12)
        XCTAssertEqual(parts.sampleCount(.train), 1_401)
        // Training reads days 0 and 1, each as its parts one after another.
        let order = (0..<2).flatMap { d in (0..<4).flatMap { p in stride(from: p, to: 700 + d, by: 4).map { (d == 0 ? 0 : 700) + $0 } } }
        let w = whole.all(.train), pb = parts.all(.train)
        XCTAssertEqual(pb.labels, order.map { w.labels[$0] })
        XCTAssertEqual(pb.itemSide.values(forKey: "C3").map(Array.init)?.count, w.itemSide.values(forKey: "C3")?.count)
        // Slices that cross part and day boundaries equal the whole split's slice.
        for start in [0, 170, 171, 350, 699, 700, 1_390] {
            XCTAssertEqual(parts.batch(globalStart: start, count: 37, split: .train, dedup: false),
                           slice(pb, start..<min(start + 37, 1_401)))
        }
    }

    func testDamagedShardsAndManifestsAreRefusedByName() throws {
        let (dir, _) = try twoDays(lines: 400)
        let shard = dir + "/shards/day-00001.shard"
        let good = try bytes(shard)
        func damaged(_ edit: (inout [UInt8]) -> Void) throws -> String {
            var b = good; edit(&b)
            try Data(b).write(to: URL(fileURLWithPath: shard))
            defer { try? Data(good).write(to: URL(fileURLWithPath: shard)) }
            return failure { _ = try CriteoShardSet(directory: dir + "/shards") }
        }
        XCTAssertEqual(failure { _ = try CriteoShardSet(directory: dir + "/shards") }, "")
        XCTAssertTrue(try damaged { $0[5_000] ^= 0x10 }.contains("\(shard): corrupted: checksum mismatch"))
        XCTAssertTrue(try damaged { $0.removeLast(7) }.contains("\(shard): truncated"))
        XCTAssertTrue(try damaged { $0.append(1) }.contains("bytes after the last record"))
        XCTAssertTrue(try damaged { $0[0] = 0x41 }.contains("bad magic"))
        XCTAssertTrue(try damaged { $0[20] = 0x7B }.contains("\(shard): corrupted"))
        // An id outside its table, the checksum remade around it: refused by record and column.
        XCTAssertTrue(try damaged { b in
            let at = CriteoShard.payloadOffset + 7 * CriteoShard.recordBytes + 4 * (1 + 13 + 2)   // record 7, C3
            b.replaceSubrange(at..<(at + 4), with: withUnsafeBytes(of: Int32(5_000).littleEndian) { Array($0) })
            let sum = b.withUnsafeBytes { CriteoShard.checksum(UnsafeRawBufferPointer(rebasing: $0[CriteoShard.payloadOffset...])) }
            let old = String(decoding: b[16..<CriteoShard.payloadOffset], as: UTF8.self)
            let fixed = old.replacingOccurrences(of: try! CriteoShardFile(path: shard).header.checksum, with: String(format: "%016llx", sum))
            b.replaceSubrange(16..<CriteoShard.payloadOffset, with: Array(fixed.utf8))
        }.contains("record 7: C3 id 5000 outside -1..<5000"))
        // A shard from another conversion (other table sizes) does not join the set.
        try convert([dir + "/day_1.tsv"], to: dir + "/other", ids: .hash(tableRows: Array(repeating: 10, count: 26)))
        try FileManager.default.removeItem(atPath: shard)
        try FileManager.default.copyItem(atPath: dir + "/other/day-00000.shard", toPath: shard)
        XCTAssertTrue(failure { _ = try CriteoShardSet(directory: dir + "/shards") }.contains("disagrees with"))
        // One day is not a split.
        XCTAssertTrue(failure { _ = try CriteoShardSet(directory: dir + "/other") }.contains("at least 2"))
    }
}
