import Foundation

/// How Strata writes JSON, in one place: summary.json, the JSON lines, plan
/// and sweep files and every `--json` report use snake_case keys, sorted, and
/// write NaN and infinities as strings (a diverged run still writes its
/// summary). Checkpoint metadata, sweep points and messages between ranks
/// keep the types' own field names: they are read back, not by people.
public enum StrataJSON {
    public static func encoder(pretty: Bool = true, snakeCase: Bool = true) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        if snakeCase { e.keyEncodingStrategy = .convertToSnakeCase }
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    /// Reads what `encoder(snakeCase: false)` wrote, non-finite numbers included.
    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// `value` as a report to `path` ("-": standard output), as every `--json FILE` writes it.
    public static func write<T: Encodable>(_ value: T, to path: String) throws {
        let data = try encoder().encode(value)
        if path == "-" {
            print(String(decoding: data, as: UTF8.self))
        } else {
            try AtomicFile.write(data + Data("\n".utf8), to: path)
        }
    }
}
