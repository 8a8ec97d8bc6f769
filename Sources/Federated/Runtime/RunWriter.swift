import Collectives
import Foundation

/// The run folder: rounds.jsonl (one RoundRecord a line, flushed per round),
/// summary.json, and SVG plots. Only the server writes.
public final class RunWriter {
    public let directory: String
    let rounds: FileHandle

    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("rounds.jsonl")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let h = FileHandle(forWritingAtPath: path) else { throw ClientDataError("\(path): cannot write") }
        rounds = h
    }

    deinit { try? rounds.close() }

    static func encoder() -> JSONEncoder { StrataJSON.encoder(pretty: false) }

    public func append(_ record: RoundRecord) throws {
        var data = try Self.encoder().encode(record)
        data.append(0x0A)
        rounds.write(data)
    }

    public func write<T: Encodable>(_ value: T, to name: String) throws {
        let e = Self.encoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        try e.encode(value).write(to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(name)))
    }

    public func writeText(_ text: String, to name: String) throws {
        try text.write(toFile: (directory as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
}
