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
        do { try Self.prepare(path: path) } catch let e as InputError { throw TrainingFailure(e.description) }
    }

    /// Why the run folder could not be made or written, in words, without
    /// making it (a refused run writes nothing): "a parent of it, /x, is a
    /// file, not a folder", "no permission to write in /y".
    public static func check(path: String) throws {
        var dir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &dir) {
            guard dir.boolValue else { throw InputError("the run folder \(path) is a file, not a folder; pick another --run-dir") }
            guard FileManager.default.isWritableFile(atPath: path) else {
                throw InputError("the run folder \(path) is not writable (permission denied)")
            }
        } else if let why = FileSystemError.diagnose(path: path, what: "the run folder") {
            throw InputError(why)
        }
    }

    /// Creates the run folder (and its parents), or says in words why not.
    public static func prepare(path: String) throws {
        try check(path: path)
        if FileManager.default.fileExists(atPath: path) { return }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw InputError(FileSystemError.sentence(error, path: path, what: "the run folder"))
        }
    }

    public func writeJSON<T: Encodable>(_ name: String, _ value: T) throws {
        guard isWriter else { return }
        let bytes = try StrataJSON.encoder().encode(value)
        let final = (path as NSString).appendingPathComponent(name)
        let temp = final + ".tmp"
        do {
            try bytes.write(to: URL(fileURLWithPath: temp))
            if FileManager.default.fileExists(atPath: final) { try FileManager.default.removeItem(atPath: final) }
            try FileManager.default.moveItem(atPath: temp, toPath: final)
        } catch {
            throw TrainingFailure(FileSystemError.sentence(error, path: final, what: "the run file"))
        }
    }

    public func appendLine<T: Encodable>(_ name: String, _ value: T) throws {
        guard isWriter else { return }
        var line = try StrataJSON.encoder(pretty: false).encode(value)
        line.append(0x0A)
        let file = (path as NSString).appendingPathComponent(name)
        do {
            if !FileManager.default.fileExists(atPath: file) { _ = FileManager.default.createFile(atPath: file, contents: nil) }
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
            defer { try? h.close() }
            try h.seekToEnd()
            try h.write(contentsOf: line)
        } catch {
            throw TrainingFailure(FileSystemError.sentence(error, path: file, what: "the run file"))
        }
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
