/// Errors of the readers and the binary format; each names the file.
public enum DataError: Error, Equatable, CustomStringConvertible {
    /// Line `line` (1-based) of `file` could not be parsed.
    case malformedLine(file: String, line: Int, reason: String)
    /// `file` holds no samples.
    case emptyFile(file: String)
    /// `file` could not be opened or read.
    case unreadable(file: String, reason: String)
    /// `file` is shorter than its header says.
    case truncated(file: String, reason: String)
    /// `file` is damaged (bad magic, bad header, checksum mismatch).
    case corrupted(file: String, reason: String)
    /// A configuration does not fit the data.
    case invalidConfig(String)

    public var description: String {
        switch self {
        case let .malformedLine(file, line, reason): return "\(file):\(line): \(reason)"
        case let .emptyFile(file): return "\(file): empty file, no samples"
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .truncated(file, reason): return "\(file): truncated: \(reason)"
        case let .corrupted(file, reason): return "\(file): corrupted: \(reason)"
        case let .invalidConfig(why): return "invalid configuration: \(why)"
        }
    }
}
