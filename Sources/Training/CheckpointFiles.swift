import Collectives
import Data
import Foundation
import RunKit
import ShardedEmbeddings
import Tensors

/// Files written so that a crash at any instant leaves either the old file or
/// the new one, never a part: temporary name, write, fsync, rename, fsync of
/// the folder.
enum DurableFile {
    static func write(_ bytes: [UInt8], to path: String) throws { try AtomicFile.write(bytes, to: path) }

    static func read(_ path: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw InputError("\(path): cannot read (\(FileManager.default.isReadableFile(atPath: path) ? "a folder or an input/output error" : "permission denied or missing"))")
        }
        return [UInt8](d)
    }

    static func checksum(_ bytes: [UInt8]) -> String {
        String(format: "%016llx", bytes.withUnsafeBytes { fnv1a64($0) })
    }
}

/// A little-endian stream of Int64 and Float32 (checkpoint shards, dense
/// state, parameter dumps).
struct BinaryWriter {
    var bytes: [UInt8] = []
    mutating func magic(_ s: String) { bytes += Array(s.utf8) }
    mutating func int(_ v: Int) { withUnsafeBytes(of: Int64(v).littleEndian) { bytes += $0 } }
    mutating func floats(_ p: UnsafeBufferPointer<Float>) {
        guard p.count > 0 else { return }
        bytes += UnsafeRawBufferPointer(p)
    }
    /// Values of 16-bit rows (widened on the way here, so narrowing is exact).
    mutating func halves(_ p: UnsafeBufferPointer<Float>, _ precision: RowPrecision) {
        for v in p { withUnsafeBytes(of: Half16.encode(v, precision).littleEndian) { bytes += $0 } }
    }
}

struct BinaryReader {
    let bytes: [UInt8]
    let file: String
    var at = 0

    init(_ bytes: [UInt8], file: String) { self.bytes = bytes; self.file = file }

    mutating func magic(_ s: String) throws {
        let m = Array(s.utf8)
        guard bytes.count >= at + m.count, Array(bytes[at..<at + m.count]) == m else {
            throw InputError("\(file): not a \(s) file (bad magic)")
        }
        at += m.count
    }
    mutating func int() throws -> Int {
        guard bytes.count >= at + 8 else { throw InputError("\(file): truncated at byte \(at)") }
        var v: Int64 = 0
        withUnsafeMutableBytes(of: &v) { $0.copyBytes(from: bytes[at..<at + 8]) }
        at += 8
        return Int(Int64(littleEndian: v))
    }
    mutating func floats(_ n: Int) throws -> [Float] {
        guard n >= 0, bytes.count >= at + 4 * n else { throw InputError("\(file): truncated: needs \(4 * n) bytes at byte \(at)") }
        var out = [Float](repeating: 0, count: n)
        out.withUnsafeMutableBytes { $0.copyBytes(from: bytes[at..<at + 4 * n]) }
        at += 4 * n
        return out
    }
    /// `n` 16-bit values widened to f32.
    mutating func halves(_ n: Int, _ precision: RowPrecision) throws -> [Float] {
        guard n >= 0, bytes.count >= at + 2 * n else { throw InputError("\(file): truncated: needs \(2 * n) bytes at byte \(at)") }
        let out = (0..<n).map { i in Half16.decode(UInt16(bytes[at + 2 * i]) | UInt16(bytes[at + 2 * i + 1]) << 8, precision) }
        at += 2 * n
        return out
    }
    var atEnd: Bool { at == bytes.count }
}

/// An embedding file of a checkpoint: version 1 (every block f32) or 2 (a
/// precision per block; 16-bit blocks store their weights in 16 bits).
enum EmbeddingFile {
    static let magicV1 = "STRATA-EMB-1"
    static let magicV2 = "STRATA-EMB-2"

    static func write(_ w: inout BinaryWriter, block b: EmbeddingBlock, weights: UnsafeBufferPointer<Float>, state: UnsafeBufferPointer<Float>) {
        let code = b.precision == .fp32 ? 0 : b.precision == .fp16 ? 1 : 2
        for v in [b.table, b.firstRow, b.rows, b.columnStart, b.width, b.stateFloatsPerRow, b.isReplica ? 1 : 0, code] { w.int(v) }
        if b.precision == .fp32 { w.floats(weights) } else { w.halves(weights, b.precision) }
        w.floats(state)
    }

    /// Every block of the file: its header, weights widened to f32, state.
    static func read(_ r: inout BinaryReader, _ body: (EmbeddingBlock, [Float], [Float]) throws -> Void) throws {
        let version: Int
        if (try? r.magic(magicV2)) != nil { version = 2 } else { try r.magic(magicV1); version = 1 }
        let count = try r.int()
        for _ in 0..<max(count, 0) {
            let h = try (0..<(version == 2 ? 8 : 7)).map { _ in try r.int() }
            let precisions: [RowPrecision] = [.fp32, .fp16, .bf16]
            let code = version == 2 ? h[7] : 0
            guard precisions.indices.contains(code) else { throw InputError("\(r.file): block precision code \(code) is not 0, 1 or 2") }
            let b = EmbeddingBlock(table: h[0], firstRow: h[1], rows: h[2], columnStart: h[3], width: h[4],
                                   stateFloatsPerRow: h[5], isReplica: h[6] != 0, precision: precisions[code])
            guard b.rows >= 0, b.width >= 0, b.stateFloatsPerRow >= 0, b.rows <= Int.max / max(b.width, b.stateFloatsPerRow, 1) else {
                throw InputError("\(r.file): a block of negative or overflowing size (rows \(b.rows), width \(b.width))")
            }
            let weights = b.precision == .fp32 ? try r.floats(b.weightCount) : try r.halves(b.weightCount, b.precision)
            try body(b, weights, try r.floats(b.stateCount))
        }
        guard r.atEnd else { throw InputError("\(r.file): bytes after the last block") }
    }
}
