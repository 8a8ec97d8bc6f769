import Foundation

/// Whole files written so that a failure at any instant leaves either the old
/// file or the new one, never a part: temporary name, write, fsync, rename,
/// fsync of the folder. Every run file and checkpoint goes through here.
public enum AtomicFile {
    public static func write(_ bytes: some ContiguousBytes, to path: String) throws {
        let temp = path + ".tmp"
        let fd = open(temp, O_CREAT | O_TRUNC | O_WRONLY, 0o644)
        guard fd >= 0 else { throw RunFileError("cannot create \(temp): \(FileSystemError.reason(errno: errno))") }
        let ok = writeAll(fd, bytes) && fsync(fd) == 0
        let err = errno
        close(fd)
        guard ok else { unlink(temp); throw RunFileError("cannot write \(temp): \(FileSystemError.reason(errno: err))") }
        guard rename(temp, path) == 0 else {
            let e = errno; unlink(temp)
            throw RunFileError("cannot rename \(temp) to \(path): \(FileSystemError.reason(errno: e))")
        }
        syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// `text` as UTF-8, written as `write` does.
    public static func write(text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// Writes every byte to `fd` (write(2) may take fewer than asked); false on an error, with errno set.
    static func writeAll(_ fd: Int32, _ bytes: some ContiguousBytes) -> Bool {
        bytes.withUnsafeBytes { raw in
            var at = 0
            while at < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + at, raw.count - at)
                if n <= 0 { return false }
                at += n
            }
            return true
        }
    }

    static func syncDirectory(_ dir: String) {
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
