import Foundation

/// The board of ranks that are separate processes: one file, 16 bytes per
/// rank (mark, heartbeat; little-endian Int64s) at offset 16 x rank. Each
/// rank writes only its own slot with one `pwrite`, so writers never
/// interleave, and every rank reads the whole file with one `pread`. Ranks
/// on several hosts need the folder on a shared file system, as checkpoints
/// already do. A stuck file system blocks the heartbeat thread that writes
/// here, which the other ranks then see as silence: that is the point.
public final class FileProgressBoard: ProgressBoard {
    public static let slotBytes = 16
    public let path: String
    let rank: Int
    let size: Int
    private let fd: Int32

    /// Creates the file, or empties one a previous run left; rank 0 alone,
    /// before any rank opens it.
    public static func create(path: String, size: Int) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            let code = errno
            throw InputError(FileSystemError.diagnose(path: path, what: "the progress board")
                             ?? "cannot write the progress board \(path): \(FileSystemError.reason(errno: code))")
        }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size * slotBytes)) == 0 else {
            throw InputError("cannot write the progress board \(path): \(FileSystemError.reason(errno: errno))")
        }
    }

    public init(path: String, rank: Int, size: Int) throws {
        self.path = path
        self.rank = rank
        self.size = size
        fd = open(path, O_RDWR)
        guard fd >= 0 else { throw InputError("cannot open the progress board \(path): \(FileSystemError.reason(errno: errno))") }
    }

    deinit { close(fd) }

    public func publish(_ slot: ProgressSlot) {
        var words = (slot.mark.littleEndian, slot.beat.littleEndian)
        // A failed write leaves the slot unchanged: the other ranks see this rank as silent, as they should.
        _ = withUnsafeBytes(of: &words) { pwrite(fd, $0.baseAddress, Self.slotBytes, off_t(rank * Self.slotBytes)) }
    }

    public func read() -> [ProgressSlot]? {
        var raw = [Int64](repeating: 0, count: 2 * size)
        let n = raw.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n >= 0 else { return nil }
        // Slots past a short read were never written.
        return (0..<size).map { ProgressSlot(mark: Int64(littleEndian: raw[2 * $0]), beat: Int64(littleEndian: raw[2 * $0 + 1])) }
    }
}
