import Collectives
import Data
import Foundation

/// Files written so that a crash at any instant leaves either the old file or
/// the new one, never a part: temporary name, write, fsync, rename, fsync of
/// the folder.
enum DurableFile {
    static func write(_ bytes: [UInt8], to path: String) throws {
        let temp = path + ".tmp"
        let fd = open(temp, O_CREAT | O_TRUNC | O_WRONLY, 0o644)
        guard fd >= 0 else { throw TrainingFailure("cannot create \(temp): \(FileSystemError.reason(errno: errno))") }
        var at = 0
        let ok: Bool = bytes.withUnsafeBytes { raw in
            while at < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + at, raw.count - at)
                if n <= 0 { return false }
                at += n
            }
            return fsync(fd) == 0
        }
        let err = errno
        close(fd)
        guard ok else { unlink(temp); throw TrainingFailure("cannot write \(temp): \(FileSystemError.reason(errno: err))") }
        guard rename(temp, path) == 0 else {
            let e = errno; unlink(temp)
            throw TrainingFailure("cannot rename \(temp) to \(path): \(FileSystemError.reason(errno: e))")
        }
        syncDirectory((path as NSString).deletingLastPathComponent)
    }

    static func syncDirectory(_ dir: String) {
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

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
    var atEnd: Bool { at == bytes.count }
}
