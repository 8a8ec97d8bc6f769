import CZlib
import Data
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Bytes of one input, read in order: a plain file, a gzip file (read through
/// zlib, never whole in memory) or standard input.
protocol ByteStream: AnyObject {
    /// The input's name in messages.
    var name: String { get }
    /// Bytes read from the file itself so far (compressed bytes for gzip): the
    /// offset named when the input is damaged, and the progress line's MB.
    var consumed: Int { get }
    /// Fills the front of `buffer`; 0 only at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Opens `path` (`-`: standard input), choosing gzip by the file's first two
/// bytes (1f 8b) rather than its name.
func openStream(_ path: String) throws -> ByteStream {
    let raw = try RawFile(path)
    var head = [UInt8](repeating: 0, count: 2)
    let n = try head.withUnsafeMutableBytes { try raw.read(into: $0) }
    if n == 2 && head == [0x1f, 0x8b] { return try GzipStream(raw, prefix: head) }
    raw.pushBack(Array(head.prefix(n)))
    return raw
}

/// A file descriptor read with read(2).
final class RawFile: ByteStream {
    let name: String
    private let fd: Int32
    private let owned: Bool
    private var pending: [UInt8] = []
    private(set) var consumed = 0

    init(_ path: String) throws {
        name = path == "-" ? "standard input" : path
        if path == "-" { fd = 0; owned = false; return }
        var st = stat()
        guard stat(path, &st) == 0 else { throw DataError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) != S_IFDIR else { throw DataError.unreadable(file: path, reason: "a folder, not a file") }
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw DataError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        owned = true
    }

    deinit { if owned { close(fd) } }

    /// Bytes already read that the next `read` returns first.
    func pushBack(_ bytes: [UInt8]) { pending = bytes + pending; consumed -= bytes.count }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        if !pending.isEmpty {
            let n = min(pending.count, buffer.count)
            buffer.copyBytes(from: pending.prefix(n))
            pending.removeFirst(n)
            consumed += n
            return n
        }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { consumed += n; return n }
            if errno == EINTR { continue }
            throw DataError.unreadable(file: name, reason: "read failed at byte \(consumed): \(String(cString: strerror(errno)))")
        }
    }
}

/// A gzip stream inflated as it is read. Several gzip members one after
/// another (what `cat a.gz b.gz` or pigz make) read as one stream, as `gzip -d`
/// does; the file ending inside a member, or bytes that do not inflate, stop
/// with the compressed offset.
final class GzipStream: ByteStream {
    private static let inputBytes = 1 << 20
    private let file: RawFile
    private var z = z_stream()
    /// zlib keeps a pointer into it between calls, so it is allocated by hand.
    private let input: UnsafeMutableRawPointer
    private var atFileEnd = false
    /// Inside a member (header read, trailer not yet).
    private var inMember = false
    private var ended = false

    var name: String { file.name }
    var consumed: Int { file.consumed - Int(z.avail_in) }

    init(_ file: RawFile, prefix: [UInt8]) throws {
        self.file = file
        input = .allocate(byteCount: Self.inputBytes, alignment: 16)
        input.copyMemory(from: prefix, byteCount: prefix.count)
        guard strata_inflate_init_gzip(&z) == Z_OK else {
            input.deallocate()
            throw DataError.unreadable(file: file.name, reason: "zlib could not start")
        }
        z.next_in = input.assumingMemoryBound(to: Bytef.self)
        z.avail_in = uInt(prefix.count)
    }

    deinit { inflateEnd(&z); input.deallocate() }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if ended || buffer.count == 0 { return 0 }
        z.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        z.avail_out = uInt(buffer.count)
        while z.avail_out > 0 {
            if z.avail_in == 0 && !atFileEnd {
                let n = try file.read(into: UnsafeMutableRawBufferPointer(start: input, count: Self.inputBytes))
                if n == 0 { atFileEnd = true } else { z.next_in = input.assumingMemoryBound(to: Bytef.self); z.avail_in = uInt(n) }
            }
            if z.avail_in == 0 && atFileEnd {
                if inMember {
                    throw DataError.truncated(file: name, reason: "the gzip stream ends inside a member at compressed byte \(consumed) (an incomplete download?)")
                }
                ended = true
                break
            }
            inMember = true
            let rc = inflate(&z, Z_NO_FLUSH)
            switch rc {
            case Z_OK:
                break
            case Z_BUF_ERROR:
                // No progress with input and room both left: zlib cannot go on.
                if z.avail_in > 0 && z.avail_out > 0 {
                    throw DataError.corrupted(file: name, reason: "gzip data stalls at compressed byte \(consumed)")
                }
            case Z_STREAM_END:
                inMember = false
                inflateReset(&z)
            default:
                let why = z.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                throw DataError.corrupted(file: name, reason: "gzip data does not inflate at compressed byte \(consumed): \(why)")
            }
        }
        return buffer.count - Int(z.avail_out)
    }
}
