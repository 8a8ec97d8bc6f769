import CriteoPipeline
import Data
import Foundation
import XCTest

/// gzip input through zlib: the same shards as the plain text, damage stopped
/// with the file and the compressed offset.
final class GzipInputTests: XCTestCase {
    /// A plain day file and `gzip`'s (the system tool's) compression of it, under the same name.
    func makePair(lines: Int) throws -> (plain: String, gzip: String, dir: String) {
        let dir = try scratch(self)
        try FileManager.default.createDirectory(atPath: dir + "/plain", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/gz", withIntermediateDirectories: true)
        try CriteoGenerator(seed: 7).write(day: 0, lines: lines, to: dir + "/plain/day_0")
        try shell("gzip -c '\(dir)/plain/day_0' > '\(dir)/gz/day_0'")
        return (dir + "/plain/day_0", dir + "/gz/day_0", dir)
    }

    func testGzipAndPlainTextGiveByteIdenticalShards() throws {
        let (plain, gz, dir) = try makePair(lines: 30_000)
        XCTAssertEqual(Array(try bytes(gz).prefix(2)), [0x1f, 0x8b])
        try convert([plain], to: dir + "/a")
        try convert([gz], to: dir + "/b")
        let a = try bytes(dir + "/a/day-00000.shard"), b = try bytes(dir + "/b/day-00000.shard")
        XCTAssertEqual(a.count, CriteoShard.payloadOffset + 30_000 * CriteoShard.recordBytes)
        XCTAssertEqual(a, b)
        XCTAssertEqual(try bytes(dir + "/a/manifest.json"), try bytes(dir + "/b/manifest.json"))
    }

    func testOurGzipWriterAndConcatenatedMembersReadLikePlainText() throws {
        let (plain, _, dir) = try makePair(lines: 5_000)
        // Our deflate, read back by the system's gunzip: the bytes are the plain file's.
        let text = try bytes(plain)
        let w = try GzipWriter(path: dir + "/ours.gz")
        try text.withUnsafeBytes { try w.write($0) }
        try w.finish()
        try shell("gzip -dc '\(dir)/ours.gz' > '\(dir)/back'")
        XCTAssertEqual(try bytes(dir + "/back"), text)
        // Two gzip members one after the other read as their texts one after the other.
        try shell("head -n 2000 '\(plain)' > '\(dir)/h'; tail -n +2001 '\(plain)' > '\(dir)/t'")
        try shell("mkdir -p '\(dir)/cat'; (gzip -c '\(dir)/h'; gzip -c '\(dir)/t') > '\(dir)/cat/day_0'")
        try convert([plain], to: dir + "/p")
        try convert([dir + "/cat/day_0"], to: dir + "/c")
        XCTAssertEqual(try bytes(dir + "/p/day-00000.shard"), try bytes(dir + "/c/day-00000.shard"))
    }

    func testTruncatedGzipStopsWithTheFileAndTheOffset() throws {
        let (_, gz, dir) = try makePair(lines: 20_000)
        let whole = try bytes(gz)
        let cut = dir + "/cut.gz"
        try Data(whole.prefix(whole.count / 2)).write(to: URL(fileURLWithPath: cut))
        let message = failure { try convert([cut], to: dir + "/out") }
        XCTAssertTrue(message.contains(cut), message)
        XCTAssertTrue(message.contains("truncated") && message.contains("compressed byte \(whole.count / 2)"), message)
        // Nothing under the shard's final name: the half-written one was a temporary file.
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out/day-00000.shard"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out/manifest.json"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/out").filter { $0.hasPrefix(".") }, [])
    }

    func testCorruptGzipStopsWithTheFileAndTheOffset() throws {
        let (_, gz, dir) = try makePair(lines: 20_000)
        var damaged = try bytes(gz)
        // Overwrite a run of compressed bytes in the middle of the deflate stream.
        let at = damaged.count / 3
        for i in at..<(at + 64) { damaged[i] = UInt8(truncatingIfNeeded: i &* 131 &+ 7) }
        let path = dir + "/bad.gz"
        try Data(damaged).write(to: URL(fileURLWithPath: path))
        let message = failure { try convert([path], to: dir + "/out") }
        XCTAssertTrue(message.contains(path), message)
        // Either zlib stops (the offset named is at or after the damage) or the
        // garbage it inflated first is refused as a line (file:line named).
        if let offset = message.components(separatedBy: "compressed byte ").dropFirst().first.flatMap({ Int($0.prefix { $0.isNumber }) }) {
            XCTAssertTrue(message.contains("corrupted"), message)
            XCTAssertTrue(offset >= at && offset <= damaged.count, message)
        } else {
            XCTAssertNotNil(message.range(of: path + ":[0-9]+: ", options: .regularExpression), message)
        }
    }
}
