import CZlib
import Data
import Foundation

/// Writes a gzip file through zlib's deflate, streaming, to a temporary name
/// renamed into place by `finish` (what `gzip -6` would write, readable by
/// gzip, zcat and `strata data convert`).
public final class GzipWriter {
    public let path: String
    private let temporary: String
    private let handle: FileHandle
    private var z = z_stream()
    private var out = [UInt8](repeating: 0, count: 1 << 20)
    private var finished = false
    /// Uncompressed bytes taken so far.
    public private(set) var bytesIn = 0

    public init(path: String, level: Int32 = 6) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let h = FileHandle(forWritingAtPath: temporary) else {
            throw DataError.unreadable(file: path, reason: "cannot create \(temporary)")
        }
        handle = h
        guard strata_deflate_init_gzip(&z, level) == Z_OK else {
            throw DataError.invalidConfig("zlib could not start deflate at level \(level)")
        }
    }

    deinit {
        deflateEnd(&z)
        if !finished { try? handle.close(); unlink(temporary) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        bytesIn += bytes.count
        z.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: Bytef.self))
        z.avail_in = uInt(bytes.count)
        try pump(Z_NO_FLUSH)
    }

    private func pump(_ flush: Int32) throws {
        repeat {
            let rc: Int32 = out.withUnsafeMutableBufferPointer { o in
                z.next_out = o.baseAddress
                z.avail_out = uInt(o.count)
                return deflate(&z, flush)
            }
            guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                throw DataError.unreadable(file: path, reason: "deflate failed with zlib error \(rc)")
            }
            let n = out.count - Int(z.avail_out)
            if n > 0 {
                do { try handle.write(contentsOf: out[0..<n]) } catch {
                    throw DataError.unreadable(file: path, reason: "write failed: \(error.localizedDescription)")
                }
            }
            if flush == Z_FINISH && rc == Z_STREAM_END { return }
        } while z.avail_out == 0 || flush == Z_FINISH
    }

    /// Ends the stream, closes and renames the file into place.
    public func finish() throws {
        z.next_in = nil; z.avail_in = 0
        try pump(Z_FINISH)
        do { try handle.synchronize(); try handle.close() } catch {
            throw DataError.unreadable(file: path, reason: "closing failed: \(error.localizedDescription)")
        }
        finished = true
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw DataError.unreadable(file: path, reason: "rename from \(temporary) failed, errno \(errno)")
        }
    }
}
