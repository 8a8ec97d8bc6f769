import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The header of a Criteo shard: one converted input file (or one rank's share
/// of its lines), fixed-width records so any sample is found by arithmetic.
///
/// File layout (little-endian):
/// ```
/// offset 0     "STRATAC1"                 8 bytes magic
/// offset 8     H: UInt64                  header length
/// offset 16    header JSON (H bytes), padded with spaces to offset 4096
/// offset 4096  records, 160 bytes each:
///              label   Float32
///              dense   Float32 [13]       log(1 + max(I, 0)), missing 0
///              ids     Int32   [26]       row of C1...C26, -1 when missing
/// ```
/// The header has a fixed room so the writer streams records and fills the
/// header in last; the payload starts page-aligned for the memory map.
/// `checksum` is `CriteoShard.checksum` over the records, 16 hex digits.
public struct CriteoShardHeader: Sendable, Codable, Equatable {
    public var version: Int
    public var samples: Int
    /// Rows of tables C1...C26 (every id of column k is below tableRows[k]).
    public var tableRows: [Int]
    public var checksum: String
    /// The input file's name (`-` for standard input).
    public var source: String
    /// The input's position in the conversion's list: Criteo's day.
    public var day: Int
    /// This shard holds lines i with i % parts == part of its source.
    public var part: Int
    public var parts: Int
}

public enum CriteoShard {
    static let magic = Array("STRATAC1".utf8)
    public static let payloadOffset = 4096
    public static let denseCount = 13
    public static let sparseCount = 26
    /// Bytes of one record: label, 13 dense, 26 ids.
    public static let recordBytes = 4 * (1 + denseCount + sparseCount)

    /// A 64-bit FNV-1a-style hash over 8-byte words, with a shift-xor after
    /// each multiply so high bits feed low ones. Every step is a bijection of
    /// the state, so a change to any one word always changes the result; words
    /// rather than bytes keep verifying a large set at memory speed.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        precondition(bytes.count % 8 == 0, "checksum over whole 8-byte words")
        var h = seed
        var i = 0
        while i < bytes.count {
            let w = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            h = (h ^ w) &* 0x0000_0100_0000_01B3
            h ^= h >> 29
            i += 8
        }
        return h
    }

    static func encoded(_ h: CriteoShardHeader) throws -> Foundation.Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.keyEncodingStrategy = .convertToSnakeCase
        return try e.encode(h)
    }
}

/// Writes one shard as records arrive (memory stays at one 4 MiB buffer),
/// to a temporary file renamed into place by `finish`: a conversion cut off
/// half-way leaves no partial shard under the final name.
///
/// ```
/// let w = try CriteoShardWriter(path: "out/day_0.shard", tableRows: rows, source: "day_0.gz", day: 0)
/// try w.append(label: 1, dense: dense, ids: ids)   // 13 floats, 26 ids (-1: missing)
/// let header = try w.finish()
/// ```
public final class CriteoShardWriter {
    public let path: String
    let temporary: String
    private var fd: Int32
    /// Records not yet written; the first flush also carries the header's room.
    private let buffer: UnsafeMutableRawPointer
    private static let bufferBytes = 1 << 22
    private var used = 0
    private var header: CriteoShardHeader
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325
    private var finished = false
    private var written = 0

    public init(path: String, tableRows: [Int], source: String, day: Int, part: Int = 0, parts: Int = 1) throws {
        guard tableRows.count == CriteoShard.sparseCount, tableRows.allSatisfy({ $0 > 0 && $0 <= Int(Int32.max) }) else {
            throw DataError.invalidConfig("a Criteo shard needs 26 table sizes in 1...\(Int32.max), got \(tableRows)")
        }
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)").path
        fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw DataError.unreadable(file: path, reason: "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        header = CriteoShardHeader(version: 1, samples: 0, tableRows: tableRows, checksum: "", source: source,
                                   day: day, part: part, parts: parts)
        buffer = .allocate(byteCount: Self.bufferBytes, alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0x20, count: CriteoShard.payloadOffset)   // the header's room
        used = CriteoShard.payloadOffset
    }

    deinit {
        buffer.deallocate()
        if !finished { close(fd); unlink(temporary) }
    }

    /// Samples appended so far.
    public var samples: Int { header.samples }

    /// One record. `ids[k]` must be -1 or below tableRows[k].
    public func append(label: Float, dense: UnsafeBufferPointer<Float>, ids: UnsafeBufferPointer<Int32>) throws {
        precondition(dense.count == CriteoShard.denseCount && ids.count == CriteoShard.sparseCount, "13 dense, 26 ids")
        for k in 0..<CriteoShard.sparseCount where ids[k] >= 0 && Int(ids[k]) >= header.tableRows[k] {
            throw DataError.invalidConfig("C\(k + 1) id \(ids[k]) outside table of \(header.tableRows[k]) rows")
        }
        if used + CriteoShard.recordBytes > Self.bufferBytes { try flush() }
        let r = buffer + used
        r.storeBytes(of: label.bitPattern.littleEndian, as: UInt32.self)
        for j in 0..<CriteoShard.denseCount { r.storeBytes(of: dense[j].bitPattern.littleEndian, toByteOffset: 4 + 4 * j, as: UInt32.self) }
        for k in 0..<CriteoShard.sparseCount {
            r.storeBytes(of: ids[k].littleEndian, toByteOffset: 4 * (1 + CriteoShard.denseCount + k), as: Int32.self)
        }
        used += CriteoShard.recordBytes
        header.samples += 1
    }

    private func flush() throws {
        // The first flush carries the header's room, which is not payload.
        let skip = written == 0 ? CriteoShard.payloadOffset : 0
        state = CriteoShard.checksum(UnsafeRawBufferPointer(start: buffer + skip, count: used - skip), seed: state)
        try writeAll(UnsafeRawBufferPointer(start: buffer, count: used))
        written += used
        used = 0
    }

    private func writeAll(_ raw: UnsafeRawBufferPointer, at offset: Int? = nil) throws {
        var done = 0
        while done < raw.count {
            let n = offset.map { pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t($0 + done)) }
                ?? write(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError.unreadable(file: path, reason: "write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    /// Writes the header, closes and renames the file into place.
    @discardableResult
    public func finish() throws -> CriteoShardHeader {
        precondition(!finished, "finish called twice")
        if written == 0 || used > 0 { try flush() }
        header.checksum = String(format: "%016llx", state)
        let json = try CriteoShard.encoded(header)
        guard 16 + json.count <= CriteoShard.payloadOffset else {
            throw DataError.invalidConfig("shard header of \(json.count) bytes does not fit its room (source name too long?)")
        }
        var head = CriteoShard.magic
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { head.append(contentsOf: $0) }
        head.append(contentsOf: json)
        try head.withUnsafeBytes { try writeAll($0, at: 0) }
        guard fsync(fd) == 0, close(fd) == 0 else {
            throw DataError.unreadable(file: path, reason: "closing \(temporary) failed: \(String(cString: strerror(errno)))")
        }
        finished = true
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw DataError.unreadable(file: path, reason: "rename from \(temporary) failed: \(String(cString: strerror(errno)))")
        }
        return header
    }
}

/// A shard opened through a memory map: records are read in place.
public struct CriteoShardFile: Sendable {
    public let header: CriteoShardHeader
    let file: MappedFile

    public var path: String { file.path }
    public var sampleCount: Int { header.samples }

    /// Opens `path`: magic, header, size; with `verify` the records' checksum
    /// too (one pass at memory speed; a damaged record would otherwise train).
    public init(path: String, verify: Bool = true) throws {
        file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= CriteoShard.payloadOffset else {
            throw DataError.truncated(file: path, reason: "\(bytes.count) bytes, shorter than the \(CriteoShard.payloadOffset)-byte header room")
        }
        guard Array(bytes.prefix(8)) == CriteoShard.magic else {
            throw DataError.corrupted(file: path, reason: "bad magic, not a Strata Criteo shard")
        }
        let h = Int(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        guard h > 0, h <= CriteoShard.payloadOffset - 16 else {
            throw DataError.corrupted(file: path, reason: "header length \(h) outside its room")
        }
        let json = Foundation.Data(bytes[16..<(16 + h)])
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        let header: CriteoShardHeader
        do { header = try d.decode(CriteoShardHeader.self, from: json) } catch {
            throw DataError.corrupted(file: path, reason: "unreadable header: \(error)")
        }
        guard (try? CriteoShard.encoded(header)) == json else {
            throw DataError.corrupted(file: path, reason: "header holds keys or values the format does not write")
        }
        guard header.version == 1, header.samples >= 0, header.tableRows.count == CriteoShard.sparseCount,
              header.tableRows.allSatisfy({ $0 > 0 && $0 <= Int(Int32.max) }),
              header.parts > 0, (0..<header.parts).contains(header.part), header.day >= 0 else {
            throw DataError.corrupted(file: path, reason: "header values out of range")
        }
        let want = CriteoShard.payloadOffset + header.samples * CriteoShard.recordBytes
        guard bytes.count >= want else {
            throw DataError.truncated(file: path, reason: "\(bytes.count) bytes, header's \(header.samples) records need \(want)")
        }
        guard bytes.count == want else {
            throw DataError.corrupted(file: path, reason: "\(bytes.count - want) bytes after the last record")
        }
        if verify {
            let sum = CriteoShard.checksum(UnsafeRawBufferPointer(rebasing: bytes[CriteoShard.payloadOffset...]))
            guard String(format: "%016llx", sum) == header.checksum else {
                throw DataError.corrupted(file: path, reason: "checksum mismatch: header \(header.checksum), records \(String(format: "%016llx", sum))")
            }
        }
        self.header = header
        // Ids index tables: one outside its table would be an out-of-bounds
        // lookup, so a shard whose checksum was remade around a bad id is
        // refused here too (in the same pass over the bytes).
        if verify {
            for i in 0..<header.samples {
                for k in 0..<CriteoShard.sparseCount {
                    let id = self.id(i, k)
                    guard id >= -1, Int(id) < header.tableRows[k] else {
                        throw DataError.corrupted(file: path, reason: "record \(i): C\(k + 1) id \(id) outside -1..<\(header.tableRows[k])")
                    }
                }
            }
        }
    }

    @inline(__always)
    func record(_ i: Int) -> UnsafeRawPointer {
        file.base! + CriteoShard.payloadOffset + i * CriteoShard.recordBytes
    }

    @inline(__always)
    func label(_ i: Int) -> Float {
        Float(bitPattern: UInt32(littleEndian: record(i).loadUnaligned(as: UInt32.self)))
    }

    @inline(__always)
    func dense(_ i: Int, _ j: Int) -> Float {
        Float(bitPattern: UInt32(littleEndian: record(i).loadUnaligned(fromByteOffset: 4 + 4 * j, as: UInt32.self)))
    }

    @inline(__always)
    func id(_ i: Int, _ k: Int) -> Int32 {
        Int32(littleEndian: record(i).loadUnaligned(fromByteOffset: 4 * (1 + CriteoShard.denseCount + k), as: Int32.self))
    }
}
