import Foundation

/// The lines of a text input, read one way by every reader (MovieLens, FL's
/// clients, interaction CSVs, DataPerf submissions and flip lists, traces):
/// a UTF-8 byte-order mark is not part of line 1, "\r\n" ends a line as "\n"
/// does (Swift's `Character("\n")` is not `"\r\n"`, so splitting on it reads
/// a Windows file as one line), a last line without a final newline is a
/// line, and the empty piece after a final newline is not. Element `i` is
/// line `i + 1` of the file, so errors can name file:line.
public enum TextLines {
    /// The lines of `bytes`.
    public static func split<Bytes: BidirectionalCollection>(_ bytes: Bytes) -> [Substring] where Bytes.Element == UInt8 {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let body = bytes.starts(with: bom) ? bytes.dropFirst(3) : bytes[...]
        var lines = body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { piece in
            let line = piece.last == UInt8(ascii: "\r") ? piece.dropLast() : piece
            return Substring(String(decoding: line, as: UTF8.self))
        }
        if body.last == UInt8(ascii: "\n") || body.isEmpty { lines.removeLast() }
        return lines
    }

    /// The lines of `text` (already decoded; a BOM there is U+FEFF).
    public static func split(_ text: String) -> [Substring] { split(Array(text.utf8)) }

    /// The lines of the file at `path`, or `DataError.unreadable` saying in
    /// words why it could not be read (missing, a folder, no permission).
    public static func read(_ path: String) throws -> [Substring] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.unreadable(file: path, reason: whyUnreadable(path))
        }
        return split(data)
    }

    /// Why `path` cannot be read as a file, in words.
    public static func whyUnreadable(_ path: String) -> String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return "no such file" }
        if isDir.boolValue { return "it is a folder, not a file" }
        if !FileManager.default.isReadableFile(atPath: path) { return "permission denied" }
        return "the file could not be read"
    }
}
