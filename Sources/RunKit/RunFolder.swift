import Foundation

/// A run's folder on disk, the one every command writes: whole files (JSON,
/// text, CSV) written atomically (a reader never sees half a file and a run
/// that fails leaves the earlier files intact), JSON lines appended and on
/// disk line by line, and the config echo. Only the writer rank writes; on
/// the others every call does nothing, so callers need not ask who they are.
///
///     let folder = try RunFolder(path: dir, isWriter: comm.rank == 0)
///     try folder.writeConfig(config)                // config.json
///     try folder.appendLine("steps.jsonl", record)   // one compact line
///     try folder.writeJSON("summary.json", summary)  // pretty, sorted, snake_case
public struct RunFolder: Sendable {
    public let path: String
    public let isWriter: Bool

    /// Creates the folder (and its parents) on the writer, or says in words why it cannot.
    public init(path: String, isWriter: Bool = true) throws {
        self.path = path
        self.isWriter = isWriter
        guard isWriter else { return }
        do { try Self.prepare(path: path) } catch let e as InputError { throw RunFileError(e.description) }
    }

    /// The path of `name` inside the folder.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// `value` as pretty JSON (`StrataJSON.encoder()` unless told otherwise),
    /// written whole; `newline`: ending in one, as the `--json` reports do.
    public func writeJSON<T: Encodable>(_ name: String, _ value: T, encoder: JSONEncoder = StrataJSON.encoder(),
                                        newline: Bool = false) throws {
        guard isWriter else { return }
        var bytes = try encoder.encode(value)
        if newline { bytes.append(0x0A) }
        try writeBytes(name, bytes)
    }

    /// The settings a run was started with, as config.json.
    public func writeConfig<T: Encodable>(_ config: T, encoder: JSONEncoder = StrataJSON.encoder()) throws {
        try writeJSON("config.json", config, encoder: encoder)
    }

    /// A text file (SVG, LLVM IR, a report), written whole.
    public func writeText(_ name: String, _ text: String) throws {
        guard isWriter else { return }
        try writeBytes(name, Data(text.utf8))
    }

    /// A CSV file: the header, then one line per row, fields joined by commas
    /// as given (callers format numbers; fields holding commas are quoted).
    public func writeCSV(_ name: String, header: [String], rows: [[String]]) throws {
        let line = { (fields: [String]) in fields.map(Self.csvField).joined(separator: ",") + "\n" }
        try writeText(name, line(header) + rows.map(line).joined())
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Bytes written whole: a temporary file renamed over `name` (subfolders are made).
    public func writeBytes(_ name: String, _ bytes: Data) throws {
        guard isWriter else { return }
        let final = file(name)
        do {
            let dir = (final as NSString).deletingLastPathComponent
            if !FileManager.default.fileExists(atPath: dir) {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            }
            try AtomicFile.write(bytes, to: final)
        } catch let e as RunFileError {
            throw RunFileError(FileSystemError.diagnose(path: final, what: "the run file") ?? "cannot write the run file \(final): \(e.description)")
        } catch {
            throw RunFileError(FileSystemError.sentence(error, path: final, what: "the run file"))
        }
    }
}
