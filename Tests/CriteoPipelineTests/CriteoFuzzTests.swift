import CriteoPipeline
import Data
import Foundation
import Tensors
import XCTest

/// Seeded damage to the pipeline's inputs: a gzip day and a shard either read
/// whole or are refused with an error naming the file, never a crash or hang
/// (docs/RELIABILITY.md, "Fuzzing").
final class CriteoFuzzTests: XCTestCase {
    /// `bytes` with one seeded damage: a flipped byte, a run overwritten, a cut, or bytes inserted.
    func damage(_ bytes: [UInt8], _ g: inout StrataRNG) -> [UInt8] {
        var b = bytes
        let at = g.nextIndex(below: b.count)
        switch g.nextIndex(below: 4) {
        case 0: b[at] ^= UInt8(1 + g.nextIndex(below: 255))
        case 1: for i in at..<min(at + 1 + g.nextIndex(below: 32), b.count) { b[i] = UInt8(truncatingIfNeeded: g.next()) }
        case 2: b.removeSubrange(at...)
        default: b.insert(contentsOf: (0..<(1 + g.nextIndex(below: 16))).map { _ in UInt8(truncatingIfNeeded: g.next()) }, at: at)
        }
        return b
    }

    func testDamagedGzipDaysConvertWholeOrAreRefusedByName() throws {
        let dir = try scratch(self)
        try CriteoGenerator(seed: 21).write(day: 0, lines: 400, to: dir + "/day.gz")
        let good = try bytes(dir + "/day.gz")
        var g = StrataRNG(seed: 77)
        var refused = 0
        for i in 0..<120 {
            let path = dir + "/d\(i).gz"
            try Data(damage(good, &g)).write(to: URL(fileURLWithPath: path))
            let message = failure { try convert([path], to: dir + "/o\(i)", skipBadLines: false) }
            if !message.isEmpty {
                refused += 1
                XCTAssertTrue(message.contains(path), "case \(i): \(message)")
            }
        }
        XCTAssertGreaterThan(refused, 60, "most damage to compressed data must be caught")
    }

    func testDamagedShardsOpenWholeOrAreRefusedByName() throws {
        let dir = try scratch(self)
        for d in 0..<2 { try CriteoGenerator(seed: 22).write(day: d, lines: 150, to: "\(dir)/day_\(d).tsv") }
        try convert(["\(dir)/day_0.tsv", "\(dir)/day_1.tsv"], to: dir + "/s", ids: .hash(tableRows: Array(repeating: 97, count: 26)))
        let shard = dir + "/s/day-00001.shard", good = try bytes(shard)
        var g = StrataRNG(seed: 78)
        var opened = 0
        for i in 0..<200 {
            try Data(damage(good, &g)).write(to: URL(fileURLWithPath: shard))
            do {
                let set = try CriteoShardSet(directory: dir + "/s")
                // Opened: the damage missed everything that is read (the header's padding).
                opened += 1
                let b = set.all(.eval)
                XCTAssertTrue(b.itemSide.values.allSatisfy { (0..<97).contains($0) }, "case \(i)")
            } catch {
                XCTAssertTrue("\(error)".contains(shard), "case \(i): \(error)")
            }
        }
        try Data(good).write(to: URL(fileURLWithPath: shard))
        XCTAssertLessThan(opened, 60)
    }
}
