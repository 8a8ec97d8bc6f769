import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Lines of a `ByteStream` as byte slices of one reused buffer (no String and
/// no allocation per line). Lines end at "\n"; a trailing "\r" is dropped, and
/// so is a UTF-8 byte-order mark at the start, as `LineReader` does.
final class LineSplitter {
    let stream: ByteStream
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0, end = 0
    private var atEnd = false
    /// 1-based number of the last line returned.
    private(set) var lineNumber = 0

    init(_ stream: ByteStream, capacity: Int = 1 << 22) {
        self.stream = stream
        self.capacity = capacity
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The next line, valid until the next call; nil at the end.
    func next() throws -> UnsafeBufferPointer<UInt8>? {
        while true {
            if start < end, let nl = memchr(buffer + start, 0x0A, end - start) {
                let stop = buffer.distance(to: nl)
                return line(from: start, to: stop, next: stop + 1)
            }
            if atEnd {
                guard start < end else { return nil }
                return line(from: start, to: end, next: end)
            }
            // Keep the partial line, then fill the rest of the buffer.
            if start > 0 {
                if end > start { memmove(buffer, buffer + start, end - start) }
                end -= start; start = 0
            }
            if end == capacity {   // a line longer than the buffer: grow it
                let bigger = UnsafeMutableRawPointer.allocate(byteCount: 2 * capacity, alignment: 16)
                bigger.copyMemory(from: buffer, byteCount: end)
                buffer.deallocate()
                buffer = bigger; capacity *= 2
            }
            let n = try stream.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: capacity - end))
            if n == 0 { atEnd = true } else { end += n }
        }
    }

    private func line(from a: Int, to b: Int, next: Int) -> UnsafeBufferPointer<UInt8> {
        var lo = a, hi = b
        if hi > lo && buffer.load(fromByteOffset: hi - 1, as: UInt8.self) == 0x0D { hi -= 1 }
        if lineNumber == 0 && hi - lo >= 3 && buffer.load(fromByteOffset: lo, as: UInt8.self) == 0xEF
            && buffer.load(fromByteOffset: lo + 1, as: UInt8.self) == 0xBB && buffer.load(fromByteOffset: lo + 2, as: UInt8.self) == 0xBF {
            lo += 3
        }
        start = next
        lineNumber += 1
        return UnsafeBufferPointer(start: (buffer + lo).assumingMemoryBound(to: UInt8.self), count: hi - lo)
    }
}
