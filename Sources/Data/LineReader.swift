import Foundation

/// Reads a text file line by line in 1 MiB chunks (streaming: memory does not
/// grow with the file). Lines are split on "\n"; a trailing "\r" is dropped
/// (Windows line endings), and so is a leading byte-order mark.
final class LineReader {
    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    /// 1-based number of the last line returned.
    private(set) var lineNumber = 0

    init(path: String) throws {
        self.path = path
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw DataError.unreadable(file: path, reason: "no such file or not readable")
        }
        handle = h
    }

    deinit { try? handle.close() }

    /// The next line, or nil at the end of the file.
    func next() throws -> String? {
        while true {
            if let nl = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = nl
                if end > start && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = nl + 1
                lineNumber += 1
                return line
            }
            if eof {
                guard start < buffer.count else { return nil }
                var end = buffer.count
                if buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = buffer.count
                lineNumber += 1
                return line
            }
            buffer.removeSubrange(0..<start)
            start = 0
            let chunk: Foundation.Data?
            do { chunk = try handle.read(upToCount: 1 << 20) } catch {
                throw DataError.unreadable(file: path, reason: "\(error)")
            }
            if let chunk, !chunk.isEmpty {
                buffer.append(contentsOf: chunk)
                // A UTF-8 byte-order mark (Windows tools write one) is not part of line 1.
                if lineNumber == 0, start == 0, buffer.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
            } else { eof = true }
        }
    }
}
