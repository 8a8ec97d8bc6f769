import Collectives
import Foundation

/// A run's folder on disk. Only the writer rank (0) writes; JSON files are
/// written whole to a temporary name and renamed, so a reader never sees half
/// a file and a failed run leaves earlier files intact.
public struct RunFolder {
    public let path: String
    public let isWriter: Bool

    public init(path: String, isWriter: Bool) throws {
        self.path = path
        self.isWriter = isWriter
        guard isWriter else { return }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw TrainingFailure("cannot create run folder \(path): \(error.localizedDescription)")
        }
    }

    public func writeJSON<T: Encodable>(_ name: String, _ value: T) throws {
        guard isWriter else { return }
        let bytes = try StrataJSON.encoder().encode(value)
        let final = (path as NSString).appendingPathComponent(name)
        let temp = final + ".tmp"
        try bytes.write(to: URL(fileURLWithPath: temp))
        if FileManager.default.fileExists(atPath: final) { try FileManager.default.removeItem(atPath: final) }
        try FileManager.default.moveItem(atPath: temp, toPath: final)
    }

    public func appendLine<T: Encodable>(_ name: String, _ value: T) throws {
        guard isWriter else { return }
        var line = try StrataJSON.encoder(pretty: false).encode(value)
        line.append(0x0A)
        let file = (path as NSString).appendingPathComponent(name)
        if !FileManager.default.fileExists(atPath: file) { _ = FileManager.default.createFile(atPath: file, contents: nil) }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        defer { try? h.close() }
        try h.seekToEnd()
        try h.write(contentsOf: line)
    }

    /// Drops the lines of `steps.jsonl` after step `step` (a resumed run
    /// replays them), rewriting the file atomically.
    public func truncateSteps(after step: Int) throws {
        guard isWriter else { return }
        let file = (path as NSString).appendingPathComponent("steps.jsonl")
        guard let data = FileManager.default.contents(atPath: file) else { return }
        struct Line: Decodable { var step: Int }
        var kept: [UInt8] = []
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
            guard let l = try? JSONDecoder().decode(Line.self, from: Data(line)), l.step <= step else { continue }
            kept += line
            kept.append(0x0A)
        }
        try DurableFile.write(kept, to: file)
    }
}
