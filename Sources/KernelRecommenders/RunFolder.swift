import Collectives
import Foundation

/// A run folder's files: pretty JSON documents, JSON lines appended as a run
/// goes, and text files (CSV, SVG). Written by rank 0 only (the caller decides).
public struct RunFolder: Sendable {
    public let path: String

    public init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public func writeJSON<T: Encodable>(_ value: T, to name: String) throws {
        try StrataJSON.encoder().encode(value).write(to: URL(fileURLWithPath: file(name)))
    }

    /// One compact JSON object as a line of `name`.
    public func appendLine<T: Encodable>(_ value: T, to name: String) throws {
        var line = try StrataJSON.encoder(pretty: false).encode(value)
        line.append(UInt8(ascii: "\n"))
        let url = URL(fileURLWithPath: file(name))
        if let h = try? FileHandle(forWritingTo: url) {
            defer { try? h.close() }
            try h.seekToEnd()
            try h.write(contentsOf: line)
        } else {
            try line.write(to: url)
        }
    }

    public func writeText(_ text: String, to name: String) throws {
        try text.write(toFile: file(name), atomically: true, encoding: .utf8)
    }
}

/// This process's peak resident memory in bytes (getrusage; Linux reports KiB).
public func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_maxrss * 1024
}

/// CPU seconds (user + system) this process has used: on cores shared with
/// other work, the figure that wall time hides.
public func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
