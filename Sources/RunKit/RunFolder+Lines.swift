import Foundation

/// JSON lines: one compact object per line (`StrataJSON.encoder(pretty: false)`),
/// each written with its own write(2), so a line is on disk, whole, once
/// `appendLine` returns and a reader following the file never waits on a buffer.
extension RunFolder {
    /// Starts `name` empty (a fresh run's lines replace any earlier run's).
    public func startLines(_ name: String) throws {
        try writeBytes(name, Data())
    }

    public func appendLine<T: Encodable>(_ name: String, _ value: T) throws {
        guard isWriter else { return }
        var line = try StrataJSON.encoder(pretty: false).encode(value)
        line.append(0x0A)
        let path = file(name)
        let fd = open(path, O_CREAT | O_WRONLY | O_APPEND, 0o644)
        guard fd >= 0 else {
            throw RunFileError("cannot append to the run file \(path): \(FileSystemError.reason(errno: errno))")
        }
        defer { close(fd) }
        guard AtomicFile.writeAll(fd, line) else { throw RunFileError("cannot append to the run file \(path): \(FileSystemError.reason(errno: errno))") }
    }

    /// Keeps the lines of `name` that `keep` accepts, rewriting it whole
    /// (a resumed run drops the lines of the steps it replays).
    public func rewriteLines(_ name: String, keep: (Data) -> Bool) throws {
        guard isWriter, let data = FileManager.default.contents(atPath: file(name)) else { return }
        var kept = Data()
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: true) where keep(Data(line)) {
            kept += line
            kept.append(0x0A)
        }
        try writeBytes(name, kept)
    }
}
